"""A synthetic monophonic instrument whose timbre the test knows exactly.

Every note is a sum of harmonics with fixed relative amplitudes (the instrument's
"harmonic profile"), a little vibrato, an attack/decay/release envelope at its own level,
and a faint breath of noise. A timbre model trained on such a recording should learn the
profile; tests compare it with the spectrum of what the model renders.

    profile = clarinet_like_profile(20)
    notes = random_melody(np.random.default_rng(0), duration_s=20.0)
    audio = play(notes, profile, sample_rate_hz=32_000)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_ATTACK_S = 0.04
_RELEASE_S = 0.08


@dataclass(frozen=True)
class PlayedNote:
    """One note: MIDI pitch, onset and duration in seconds, peak amplitude (linear)."""

    midi_pitch: float
    onset_s: float
    duration_s: float
    peak: float

    @property
    def frequency_hz(self) -> float:
        return 440.0 * 2.0 ** ((self.midi_pitch - 69.0) / 12.0)


def clarinet_like_profile(n_harmonics: int) -> npt.NDArray[np.float64]:
    """Harmonic k at k^-1.5, even harmonics a further 8 dB down; normalized to sum to 1.

    With it the 2nd harmonic is quieter than the 3rd, a signature a model must learn.
    """
    k = np.arange(1, n_harmonics + 1, dtype=np.float64)
    amplitudes = k**-1.5 * np.where(k % 2 == 0, 10 ** (-8 / 20), 1.0)
    return amplitudes / amplitudes.sum()


def random_melody(
    rng: np.random.Generator,
    duration_s: float,
    *,
    lowest_midi: int = 55,
    highest_midi: int = 76,
) -> list[PlayedNote]:
    """Notes of random pitch (lowest..highest MIDI), length 0.25-0.9 s and level
    (0.1-0.6 peak), separated by short rests, filling ``duration_s``."""
    notes: list[PlayedNote] = []
    onset_s = 0.1
    while True:
        length_s = float(rng.uniform(0.25, 0.9))
        if onset_s + length_s > duration_s - 0.1:
            return notes
        notes.append(
            PlayedNote(
                midi_pitch=float(rng.integers(lowest_midi, highest_midi + 1)),
                onset_s=onset_s,
                duration_s=length_s,
                peak=float(rng.uniform(0.1, 0.6)),
            )
        )
        onset_s += length_s + float(rng.uniform(0.02, 0.25))


def play(
    notes: Sequence[PlayedNote],
    profile: npt.NDArray[np.float64],
    sample_rate_hz: int,
    *,
    vibrato_cents: float = 15.0,
    vibrato_hz: float = 5.0,
    noise_db: float = -45.0,
    tail_s: float = 0.2,
    seed: int = 0,
) -> npt.NDArray[np.float32]:
    """Renders notes with the instrument's harmonic ``profile`` (amplitude of harmonic k
    at index k - 1). Harmonics at or above Nyquist are left out. Returns mono float32."""
    rng = np.random.default_rng(seed)
    total_s = max(n.onset_s + n.duration_s for n in notes) + tail_s
    audio = np.zeros(int(total_s * sample_rate_hz))
    for note in notes:
        n = int((note.duration_s + _RELEASE_S) * sample_rate_hz)
        t = np.arange(n) / sample_rate_hz
        cents = vibrato_cents * np.sin(2 * np.pi * vibrato_hz * t) * np.minimum(1.0, t / 0.2)
        f0 = note.frequency_hz * 2.0 ** (cents / 1200.0)
        phase = 2 * np.pi * np.cumsum(f0) / sample_rate_hz
        tone = np.zeros(n)
        for k, amplitude in enumerate(profile, start=1):
            if k * note.frequency_hz * 1.01 < sample_rate_hz / 2:
                tone += amplitude * np.sin(k * phase)
        envelope = np.interp(
            t,
            [0.0, _ATTACK_S, note.duration_s, note.duration_s + _RELEASE_S],
            [0.0, 1.0, 0.7, 0.0],
        )
        start = int(note.onset_s * sample_rate_hz)
        breath = rng.standard_normal(n) * 10 ** (noise_db / 20)
        audio[start : start + n] += note.peak * envelope * (tone + breath)
    return audio.astype(np.float32)


def harmonic_profile_db(
    audio: npt.NDArray[np.floating], sample_rate_hz: int, f0_hz: float, n_harmonics: int
) -> npt.NDArray[np.float64]:
    """Level of harmonics 1..n of a steady tone relative to the fundamental, in dB.

    Each harmonic's level is the peak of a Hann-windowed spectrum within a quarter of f0
    of k * f0, so a little vibrato or tuning error does not miss it.
    """
    windowed = np.asarray(audio, dtype=np.float64) * np.hanning(len(audio))
    spectrum = np.abs(np.fft.rfft(windowed))
    frequencies_hz = np.fft.rfftfreq(len(audio), 1.0 / sample_rate_hz)
    levels = []
    for k in range(1, n_harmonics + 1):
        near = np.abs(frequencies_hz - k * f0_hz) < f0_hz / 4
        levels.append(spectrum[near].max())
    levels_db = 20 * np.log10(np.maximum(levels, 1e-12))
    return levels_db - levels_db[0]
