"""Synthetic hums for tests: a known melody rendered as a voice-like signal.

A hum is a sum of harmonics shaped by vowel formants, with vibrato, a short attack and
release per note, and a little breath noise, so that pitch trackers and note segmentation
meet something close to a real voice while the test knows the true notes.

    notes = hum_notes([60, 62, 64], note_duration_s=0.4)
    audio = synthesize_hum(notes, sample_rate_hz=16000)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Formants of an open "ah" (Hz, bandwidth Hz, relative gain): the spectral envelope of the hum.
_FORMANTS = ((700.0, 130.0, 1.0), (1220.0, 70.0, 0.5), (2600.0, 160.0, 0.25))
_ATTACK_S = 0.03
_RELEASE_S = 0.05


@dataclass(frozen=True)
class HumNote:
    """One note of a test melody: a (possibly fractional) MIDI pitch, onset and duration in s."""

    midi_pitch: float
    onset_s: float
    duration_s: float

    @property
    def offset_s(self) -> float:
        return self.onset_s + self.duration_s

    @property
    def frequency_hz(self) -> float:
        return 440.0 * 2.0 ** ((self.midi_pitch - 69.0) / 12.0)


def hum_notes(
    midi_pitches: Sequence[float],
    *,
    note_duration_s: float = 0.4,
    gap_s: float = 0.05,
    lead_in_s: float = 0.3,
    rests_s: Mapping[int, float] | None = None,
) -> list[HumNote]:
    """Notes one after another: ``rests_s[i]`` adds a rest of that many seconds after note i."""
    notes = []
    onset_s = lead_in_s
    for i, midi_pitch in enumerate(midi_pitches):
        notes.append(HumNote(float(midi_pitch), onset_s, note_duration_s))
        onset_s += note_duration_s + gap_s + (rests_s or {}).get(i, 0.0)
    return notes


C_MAJOR_PITCHES = (60, 62, 64, 65, 67, 69, 71, 72)
C_MAJOR_SCALE = hum_notes(C_MAJOR_PITCHES)
# The scale with a 0.6 s breath after the fourth note: two phrases of four notes.
C_MAJOR_SCALE_WITH_REST = hum_notes(C_MAJOR_PITCHES, rests_s={3: 0.6})


def synthesize_hum(
    notes: Sequence[HumNote],
    sample_rate_hz: int = 16_000,
    *,
    vibrato_cents: float = 30.0,
    vibrato_hz: float = 5.5,
    noise_db: float = -35.0,
    peak: float = 0.5,
    tail_s: float = 0.3,
    seed: int = 0,
) -> npt.NDArray[np.float32]:
    """Render notes as a hummed vowel.

    Args:
        notes: The melody; notes may touch (then each note's own attack marks its onset).
        sample_rate_hz: Output rate.
        vibrato_cents: Depth of the sinusoidal vibrato (peak deviation), in cents.
        vibrato_hz: Vibrato rate.
        noise_db: Level of white breath noise relative to ``peak``, in dB.
        peak: Peak amplitude of the voiced signal before noise.
        tail_s: Silence (plus noise) after the last note.
        seed: Seed of the noise and of each note's vibrato phase.

    Returns:
        Mono float32 samples, shape (n_samples,), in [-1, 1].
    """
    rng = np.random.default_rng(seed)
    end_s = max((note.offset_s for note in notes), default=0.0) + tail_s
    n_samples = round(end_s * sample_rate_hz)
    voice = np.zeros(n_samples)
    for note in notes:
        start = round(note.onset_s * sample_rate_hz)
        length = round(note.duration_s * sample_rate_hz)
        if length <= 0:
            continue
        t_s = np.arange(length) / sample_rate_hz
        vibrato_phase = rng.uniform(0, 2 * np.pi)
        f0_hz = note.frequency_hz * 2.0 ** (
            vibrato_cents / 1200.0 * np.sin(2 * np.pi * vibrato_hz * t_s + vibrato_phase)
        )
        phase = 2 * np.pi * np.cumsum(f0_hz) / sample_rate_hz
        tone = np.zeros(length)
        for harmonic in range(1, int(0.45 * sample_rate_hz / note.frequency_hz) + 1):
            tone += _formant_gain(harmonic * note.frequency_hz) * np.sin(harmonic * phase)
        voice[start : start + length] += (
            tone[: n_samples - start] * _envelope(length, sample_rate_hz)[: n_samples - start]
        )
    loudest = float(np.max(np.abs(voice))) if n_samples else 0.0
    if loudest > 0:
        voice *= peak / loudest
    noise = rng.standard_normal(n_samples) * peak * 10.0 ** (noise_db / 20.0)
    return np.clip(voice + noise, -1.0, 1.0).astype(np.float32)


def _formant_gain(frequency_hz: float) -> float:
    # Resonances over a glottal source that falls off at about -12 dB per octave.
    source = 1.0 / (1.0 + (frequency_hz / 200.0) ** 2)
    resonance = sum(
        gain / (1.0 + ((frequency_hz - centre_hz) / bandwidth_hz) ** 2)
        for centre_hz, bandwidth_hz, gain in _FORMANTS
    )
    return source * (0.05 + resonance)


def _envelope(length: int, sample_rate_hz: int) -> npt.NDArray[np.float64]:
    attack = min(length // 2, round(_ATTACK_S * sample_rate_hz))
    release = min(length - attack, round(_RELEASE_S * sample_rate_hz))
    envelope = np.ones(length)
    envelope[:attack] = np.linspace(0.0, 1.0, attack, endpoint=False)
    if release:
        envelope[length - release :] = np.linspace(1.0, 0.0, release)
    return envelope
