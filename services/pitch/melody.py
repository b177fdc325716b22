"""One call from samples to a melody: pitch track, notes, phrases, tempo and key."""

from __future__ import annotations

import math
import threading

import numpy as np
import numpy.typing as npt
import soxr

from services.common.cancellation import raise_if_cancelled
from services.common.f0.engines import DEFAULT_ENGINE, get_tracker
from services.common.music import Melody
from services.common.phrases import group_phrases
from services.common.settings import Settings
from services.pitch.ceiling import seconds_above_ceiling
from services.pitch.key import estimate_key
from services.pitch.notes import segment_notes
from services.pitch.onsets import (
    frame_floor_db,
    frame_loudness_db,
    frame_spectra,
    onset_strength,
)
from services.pitch.tempo import estimate_tempo_bpm

# Every engine works at 16 kHz; resampling once here serves the engine and the onset features.
ANALYSIS_SAMPLE_RATE_HZ = 16_000
#: Below this peak (-80 dBFS) a recording holds nothing to transcribe: 16-bit dither
#: and a quiet room's noise floor through an idle microphone stay under it.
SILENCE_PEAK = 1e-4
#: A recording quieter than this peak (-20 dBFS) is raised to it before its pitch is
#: tracked: the trackers' confidence falls with the level (a hum whose loudest moment is
#: at -55 dBFS lost 19 of its 25 notes to SwiftF0 as it was, none raised), and the note
#: segmentation only compares levels with each other, so the gain changes nothing else.
#: Louder recordings are left as they are (raising every recording to -6 dBFS cost a
#: vocadito clip one false note).
RAISED_PEAK = 0.1
#: A recording whose loudest moment is below this (-40 dBFS) is transcribed, with a
#: warning: its notes are likely to be missed or wrong.
QUIET_PEAK = 1e-2
#: The shortest recording we transcribe, in seconds. A note must last 50 ms to count and
#: the trackers need about as long again around it (SwiftF0 finds nothing in 80 ms of
#: a hummed note, CREPE nothing in 60 ms); a quarter of a second leaves room for a
#: note's attack and release. Shorter clips are refused with this figure in the message.
MIN_DURATION_S = 0.25

#: The longest shortest-note a caller may ask for, in seconds (a note of 2 s is already
#: a held one; more would drop every note of most songs).
MAX_MIN_NOTE_DURATION_S = 2.0

SILENT_WARNING = "the audio is silent, so no melody was found"
NO_MELODY_WARNING = "no sung or hummed melody was found in the audio"
#: Tones above the engine's range for at least this long are worth a warning.
ABOVE_RANGE_WARNING_S = 0.1


class RecordingTooShortError(ValueError):
    """The recording is too short to hold a melody (INVALID_ARGUMENT / HTTP 400)."""

    def __init__(
        self, duration_s: float, min_duration_s: float = MIN_DURATION_S, why: str = ""
    ) -> None:
        """``why``: what is known of the cause (the decoder's "the file is cut short: ...")."""
        self.duration_s = duration_s
        self.min_duration_s = min_duration_s
        super().__init__(
            f"the recording is too short: {duration_s * 1000:.0f} ms long; a melody needs at "
            f"least {min_duration_s:g} s ({min_duration_s * 1000:.0f} ms) of audio"
            + (f". {why[:1].upper()}{why[1:]}" if why else "")
        )


def extract_melody(
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    *,
    engine: str = DEFAULT_ENGINE,
    include_contour: bool = False,
    min_note_duration_s: float | None = None,
    cancelled: threading.Event | None = None,
) -> Melody:
    """Transcribe a sung or hummed recording.

    Args:
        samples: Mono audio, shape (n_samples,), floats in [-1, 1].
        sample_rate_hz: Rate of ``samples``.
        engine: Pitch engine name (see engines.ENGINE_NAMES).
        include_contour: Also return the frame-level pitch track.
        min_note_duration_s: Shortest note kept, in seconds; None uses the segmenter's
            default (50 ms).
        cancelled: Set when the caller no longer wants the result; the work stops at the
            next step (within a batch of frames for the CREPE engines).

    Returns:
        Melody with notes, phrases, tempo and key; a quiet recording gives the notes it
        would give at RAISED_PEAK (it is raised to it first; below QUIET_PEAK a warning
        says it is very quiet). Silence (below SILENCE_PEAK) or audio without a
        melody gives zero notes and a warning, not an error; so does a tune pitched above what the
        engine can hear (a high whistle), next to whatever notes were found.

    Raises:
        engines.UnknownEngineError: ``engine`` is not a known engine.
        RecordingTooShortError: Shorter than MIN_DURATION_S.
        WorkCancelledError: ``cancelled`` was set before the work was done.
        ValueError: ``samples`` is not one-dimensional, the rate is not positive, or
            ``min_note_duration_s`` is not above 0 and at most MAX_MIN_NOTE_DURATION_S.
    """
    tracker = get_tracker(engine)
    if min_note_duration_s is not None and not (
        math.isfinite(min_note_duration_s) and 0 < min_note_duration_s <= MAX_MIN_NOTE_DURATION_S
    ):
        raise ValueError(
            f"min_note_duration_s is {min_note_duration_s!r}; it must be a number of seconds "
            f"above 0 and at most {MAX_MIN_NOTE_DURATION_S:g} (0 or unset: the default)"
        )
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"samples must be mono, shape (n_samples,); got shape {audio.shape}")
    if sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be positive, got {sample_rate_hz}")
    duration_s = len(audio) / sample_rate_hz
    if duration_s < MIN_DURATION_S:
        raise RecordingTooShortError(duration_s)
    peak = float(np.max(np.abs(audio)))
    if peak < SILENCE_PEAK:
        return Melody(
            notes=[], phrases=[], duration_s=duration_s, engine=engine, warnings=[SILENT_WARNING]
        )
    level_warnings = []
    if peak < QUIET_PEAK:
        level_warnings.append(
            f"the recording is very quiet (its loudest moment is {20 * np.log10(peak):.0f} "
            "dBFS), so it was amplified to find the notes: sing closer to the microphone or "
            "raise its input level"
        )
    if peak < RAISED_PEAK:
        audio = audio * np.float32(RAISED_PEAK / peak)
    if sample_rate_hz != ANALYSIS_SAMPLE_RATE_HZ:
        audio = soxr.resample(audio, sample_rate_hz, ANALYSIS_SAMPLE_RATE_HZ)

    track = tracker.track(audio, ANALYSIS_SAMPLE_RATE_HZ, cancelled)
    raise_if_cancelled(cancelled, "finding notes")
    spectra = frame_spectra(audio, ANALYSIS_SAMPLE_RATE_HZ, track.times_s)
    notes = segment_notes(
        track,
        loudness_db=frame_loudness_db(audio, ANALYSIS_SAMPLE_RATE_HZ, track.times_s),
        onset_strength=onset_strength(audio, ANALYSIS_SAMPLE_RATE_HZ, track.times_s, spectra),
        floor_db=frame_floor_db(
            audio, ANALYSIS_SAMPLE_RATE_HZ, track.times_s, track.frequencies_hz
        ),
        min_note_duration_s=min_note_duration_s,
    )
    warnings = level_warnings + ([] if notes else [NO_MELODY_WARNING])
    unheard_s = seconds_above_ceiling(spectra, track, tracker.highest_frequency_hz)
    if unheard_s >= ABOVE_RANGE_WARNING_S:
        warnings.append(
            f"about {unheard_s:.1f} s of the recording is pitched above "
            f"{tracker.highest_frequency_hz:.0f} Hz, the highest the {engine} engine can "
            "hear (a high whistle?), so it has no notes there"
        )
    return Melody(
        notes=notes,
        phrases=group_phrases(notes),
        duration_s=duration_s,
        engine=engine,
        tempo_bpm=estimate_tempo_bpm(notes),
        key=estimate_key(notes),
        contour=track if include_contour else None,
        warnings=warnings,
    )


def warm_up(settings: Settings) -> None:
    """Transcribes a second of a hummed 220 Hz tone with the default engine
    (``Settings.default_pitch_engine``): loads its model and numpy's FFT plans, so that a
    service's first call is as fast as the next."""
    times_s = np.arange(ANALYSIS_SAMPLE_RATE_HZ) / ANALYSIS_SAMPLE_RATE_HZ
    tone = (0.3 * np.sin(2 * np.pi * 220.0 * times_s)).astype(np.float32)
    extract_melody(tone, ANALYSIS_SAMPLE_RATE_HZ, engine=settings.default_pitch_engine)
