"""Playing a trained timbre model: control curves, notes or a hum in, audio out.

Everything reduces to :func:`render_controls` (an f0 curve and a loudness curve on the
model's frame grid). Notes become curves with an attack, a gently decaying sustain and a
release, placed inside the loudness range the instrument was recorded at; a hum keeps
its own f0 and dynamics, moved by whole octaves into the instrument's pitch range and
mapped onto its loudness range ("hum it, hear it on the Telecaster").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import soxr
import torch

from services.common.errors import InvalidInputError
from services.common.music import Note, PitchTrack, midi_to_hz
from services.common.timbre.checkpoint import TimbreModel
from services.common.timbre.features import (
    SILENCE_DB,
    a_weighted_loudness_db,
    continuous_f0_hz,
    track_on_frames,
)

Float32Array = npt.NDArray[np.float32]

_ATTACK_S = 0.03
_RELEASE_S = 0.1
#: How far below the instrument's quiet playing a rest sits, in dB.
_REST_BELOW_QUIET_DB = 40.0
#: Loudness lost over a sustained note's first second, in dB (a plucked or bowed note
#: is not an organ).
_SUSTAIN_DECAY_DB_PER_S = 4.0


def render_controls(
    model: TimbreModel,
    f0_hz: npt.NDArray[np.floating],
    loudness_db: npt.NDArray[np.floating],
    sample_rate_hz: int | None = None,
    seed: int = 0,
) -> Float32Array:
    """Audio for control curves on the model's frame grid.

    Args:
        model: A trained timbre model.
        f0_hz: Fundamental per frame, Hz, shape (n_frames,); must be positive.
        loudness_db: Loudness per frame, dB, shape (n_frames,).
        sample_rate_hz: Output rate (None: the model's own). The model makes nothing
            above its own Nyquist; other rates are resampled to.
        seed: Seeds the noise component, so a render is repeatable.

    Returns:
        Mono float32 audio, shape (n_frames * hop_samples * rate ratio,), within [-1, 1].
    """
    if f0_hz.shape != loudness_db.shape or f0_hz.ndim != 1:
        raise InvalidInputError("f0 and loudness must be 1-D curves of the same length")
    if f0_hz.size == 0:
        raise InvalidInputError("nothing to render: the curves are empty")
    if sample_rate_hz is not None and sample_rate_hz <= 0:
        raise InvalidInputError(f"sample rate must be positive, got {sample_rate_hz}")
    f0 = torch.from_numpy(np.maximum(np.asarray(f0_hz, dtype=np.float32), 1.0))[None]
    loudness = torch.from_numpy(np.asarray(loudness_db, dtype=np.float32))[None]
    with torch.inference_mode():
        audio = model.decoder(f0, loudness, torch.Generator().manual_seed(seed))[0].numpy()
    model_rate_hz = model.config.sample_rate_hz
    if sample_rate_hz is not None and sample_rate_hz != model_rate_hz:
        audio = soxr.resample(audio, model_rate_hz, sample_rate_hz, quality="HQ")
    return np.clip(audio, -1.0, 1.0).astype(np.float32)


def note_frequency_hz(note: Note) -> float:
    """The note's sung frequency if known, else its MIDI pitch plus cents offset."""
    if note.frequency_hz > 0:
        return note.frequency_hz
    return midi_to_hz(note.midi_pitch + note.cents_offset / 100.0)


def notes_to_controls(
    notes: Sequence[Note],
    model: TimbreModel,
    *,
    level: float = 0.8,
    tail_s: float = 0.5,
) -> tuple[Float32Array, Float32Array]:
    """f0 and loudness curves that play ``notes`` on the model's frame grid.

    Args:
        notes: In any order; overlapping notes are played monophonically, the later
            onset cutting the earlier note.
        model: Supplies the frame hop and the instrument's loudness range.
        level: Playing strength, 0 (the quietest the instrument was recorded at) to 1
            (the loudest).
        tail_s: Silence after the last note, seconds, for the release to ring out.

    Returns:
        (f0_hz, loudness_db), each shape (n_frames,). Between notes f0 holds the previous
        note's pitch (the first note's before it), as a player's would.
    """
    if not notes:
        raise InvalidInputError("no notes to render")
    if not 0.0 <= level <= 1.0:
        raise InvalidInputError(f"level must be within 0..1, got {level}")
    ordered = sorted(notes, key=lambda note: note.onset_s)
    hop_s = model.config.hop_samples / model.config.sample_rate_hz
    end_s = max(note.offset_s for note in ordered) + tail_s
    times_s = np.arange(int(np.ceil(end_s / hop_s))) * hop_s

    quiet_db, loud_db = model.instrument_range.loudness_db
    peak_db = quiet_db + level * (loud_db - quiet_db)
    rest_db = max(SILENCE_DB, quiet_db - _REST_BELOW_QUIET_DB)
    f0_hz = np.full(times_s.shape, note_frequency_hz(ordered[0]))
    loudness_db = np.full(times_s.shape, rest_db)
    for i, note in enumerate(ordered):
        following_onset_s = ordered[i + 1].onset_s if i + 1 < len(ordered) else end_s
        sounding_until_s = min(note.offset_s, following_onset_s)
        span = (times_s >= note.onset_s) & (times_s < min(sounding_until_s + _RELEASE_S, end_s))
        span &= times_s < following_onset_s
        f0_hz[times_s >= note.onset_s] = note_frequency_hz(note)
        t = times_s[span] - note.onset_s
        held_s = sounding_until_s - note.onset_s
        sustain_db = peak_db - _SUSTAIN_DECAY_DB_PER_S * np.minimum(t, 1.0)
        attack = np.clip(t / _ATTACK_S, 0.0, 1.0)
        release = np.clip(1.0 - (t - held_s) / _RELEASE_S, 0.0, 1.0)
        # Envelopes shape amplitude: blend linearly in amplitude, then go back to dB.
        gain = attack * release
        amplitude = gain * 10 ** (sustain_db / 20) + (1 - gain) * 10 ** (rest_db / 20)
        loudness_db[span] = 20 * np.log10(amplitude)
    return f0_hz.astype(np.float32), loudness_db.astype(np.float32)


def render_notes(
    model: TimbreModel,
    notes: Sequence[Note],
    sample_rate_hz: int | None = None,
    *,
    level: float = 0.8,
) -> Float32Array:
    """Plays notes on the instrument (see notes_to_controls); audio as render_controls."""
    f0_hz, loudness_db = notes_to_controls(notes, model, level=level)
    return render_controls(model, f0_hz, loudness_db, sample_rate_hz)


def octave_shift_into_range(
    f0_hz: npt.NDArray[np.floating], f0_range_hz: tuple[float, float]
) -> int:
    """Whole octaves (may be negative) that bring the median of ``f0_hz`` closest to the
    geometric centre of ``f0_range_hz``: a hum an octave below a flute plays as a flute."""
    centre_hz = float(np.sqrt(f0_range_hz[0] * f0_range_hz[1]))
    return int(np.round(np.log2(centre_hz / float(np.median(f0_hz)))))


def hum_to_controls(
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    model: TimbreModel,
    *,
    pitch_track: PitchTrack | None = None,
    transpose_octaves: int | None = None,
) -> tuple[Float32Array, Float32Array]:
    """f0 and loudness curves that play a hummed melody on the instrument.

    Args:
        samples: The hum, mono, shape (n_samples,).
        sample_rate_hz: Rate of ``samples``.
        model: Supplies the frame grid and the instrument's pitch and loudness range.
        pitch_track: The hum's f0 if already tracked (e.g. by the pitch service); None
            tracks it here with the default engine.
        transpose_octaves: Octaves to move the hum by; None picks the shift that centres
            it in the instrument's range.

    Returns:
        (f0_hz, loudness_db) on the model's frame grid. The hum's loudness is mapped
        linearly so that its quiet and loud parts (10th and 95th percentile of voiced
        frames) meet the instrument's; its unvoiced parts are silenced.

    Raises:
        InvalidInputError: No pitch found in the hum.
    """
    model_rate_hz = model.config.sample_rate_hz
    hop = model.config.hop_samples
    audio = np.asarray(samples, dtype=np.float32)
    if sample_rate_hz != model_rate_hz:
        audio = soxr.resample(audio, sample_rate_hz, model_rate_hz, quality="HQ")
    n_frames = len(audio) // hop
    if pitch_track is None:
        f0_hz, voiced = continuous_f0_hz(audio, model_rate_hz, hop)
    else:
        f0_hz, voiced = track_on_frames(pitch_track, n_frames, hop / model_rate_hz)
    if not voiced.any():
        raise InvalidInputError("no melody found in the hum: it has no pitched frames")
    shift = (
        octave_shift_into_range(f0_hz[voiced], model.instrument_range.f0_hz)
        if transpose_octaves is None
        else transpose_octaves
    )
    f0_hz = f0_hz * 2.0**shift

    hum_db = a_weighted_loudness_db(audio, model_rate_hz, hop)
    hum_quiet_db, hum_loud_db = np.percentile(hum_db[voiced], [10, 95])
    quiet_db, loud_db = model.instrument_range.loudness_db
    scale = (loud_db - quiet_db) / max(hum_loud_db - hum_quiet_db, 1.0)
    loudness_db = quiet_db + (hum_db - hum_quiet_db) * scale
    # Breaths and consonants between sung notes are not notes: keep the instrument quiet.
    rest_db = max(SILENCE_DB, quiet_db - _REST_BELOW_QUIET_DB)
    loudness_db = np.where(voiced, loudness_db, np.minimum(loudness_db, rest_db))
    loudness_db = np.maximum(loudness_db, SILENCE_DB)
    return f0_hz.astype(np.float32), loudness_db.astype(np.float32)


def render_hum(
    model: TimbreModel,
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    output_sample_rate_hz: int | None = None,
    *,
    pitch_track: PitchTrack | None = None,
    transpose_octaves: int | None = None,
) -> Float32Array:
    """Plays a hum on the instrument (see hum_to_controls); audio as render_controls."""
    f0_hz, loudness_db = hum_to_controls(
        samples,
        sample_rate_hz,
        model,
        pitch_track=pitch_track,
        transpose_octaves=transpose_octaves,
    )
    return render_controls(model, f0_hz, loudness_db, output_sample_rate_hz)
