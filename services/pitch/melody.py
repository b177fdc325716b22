"""One call from samples to a melody: pitch track, notes, phrases, tempo and key."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

from services.common.f0.engines import DEFAULT_ENGINE, get_tracker
from services.common.music import Melody
from services.common.phrases import group_phrases
from services.pitch.key import estimate_key
from services.pitch.notes import segment_notes
from services.pitch.onsets import frame_loudness_db, onset_strength
from services.pitch.tempo import estimate_tempo_bpm

# Every engine works at 16 kHz; resampling once here serves the engine and the onset features.
ANALYSIS_SAMPLE_RATE_HZ = 16_000
SILENCE_PEAK = 1e-3  # -60 dBFS: below this the recording holds nothing to transcribe

SILENT_WARNING = "the audio is silent, so no melody was found"
NO_MELODY_WARNING = "no sung or hummed melody was found in the audio"


def extract_melody(
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    *,
    engine: str = DEFAULT_ENGINE,
    include_contour: bool = False,
    min_note_duration_s: float | None = None,
) -> Melody:
    """Transcribe a sung or hummed recording.

    Args:
        samples: Mono audio, shape (n_samples,), floats in [-1, 1].
        sample_rate_hz: Rate of ``samples``.
        engine: Pitch engine name (see engines.ENGINE_NAMES).
        include_contour: Also return the frame-level pitch track.
        min_note_duration_s: Shortest note kept, in seconds; None uses the segmenter's
            default (50 ms).

    Returns:
        Melody with notes, phrases, tempo and key. Silence or audio without a melody gives
        zero notes and a warning, not an error.

    Raises:
        engines.UnknownEngineError: ``engine`` is not a known engine.
        ValueError: ``samples`` is not one-dimensional or the rate is not positive.
    """
    tracker = get_tracker(engine)
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"samples must be mono, shape (n_samples,); got shape {audio.shape}")
    if sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be positive, got {sample_rate_hz}")
    duration_s = len(audio) / sample_rate_hz
    if audio.size == 0 or float(np.max(np.abs(audio))) < SILENCE_PEAK:
        return Melody(
            notes=[], phrases=[], duration_s=duration_s, engine=engine, warnings=[SILENT_WARNING]
        )
    if sample_rate_hz != ANALYSIS_SAMPLE_RATE_HZ:
        audio = soxr.resample(audio, sample_rate_hz, ANALYSIS_SAMPLE_RATE_HZ)

    track = tracker.track(audio, ANALYSIS_SAMPLE_RATE_HZ)
    notes = segment_notes(
        track,
        loudness_db=frame_loudness_db(audio, ANALYSIS_SAMPLE_RATE_HZ, track.times_s),
        onset_strength=onset_strength(audio, ANALYSIS_SAMPLE_RATE_HZ, track.times_s),
        min_note_duration_s=min_note_duration_s,
    )
    return Melody(
        notes=notes,
        phrases=group_phrases(notes),
        duration_s=duration_s,
        engine=engine,
        tempo_bpm=estimate_tempo_bpm(notes),
        key=estimate_key(notes),
        contour=track if include_contour else None,
        warnings=[] if notes else [NO_MELODY_WARNING],
    )
