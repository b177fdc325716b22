"""Tempo of a melody from its note onsets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from services.common.music import Note

MIN_NOTES = 4
MIN_BPM = 40.0
MAX_BPM = 240.0
PRIOR_BPM = 110.0  # the log-normal prior's centre: resolves octave (half/double) ambiguity
PRIOR_OCTAVES = 1.0  # the prior's standard deviation, in octaves of tempo
_GRID_S = 0.005
_SMEAR_S = 0.025  # onset timing jitter of a sung melody


def estimate_tempo_bpm(notes: Sequence[Note]) -> float:
    """Beats per minute from the periodicity of note onsets; 0 when there are too few notes.

    The onsets become a pulse train (Gaussian pulses of 25 ms) whose autocorrelation is read
    at every beat period between 40 and 240 BPM. Each period scores its autocorrelation plus
    half that of its double (a beat recurs at its multiples), weighted by a log-normal prior
    around 110 BPM, which settles the half/double ambiguity of evenly spaced notes (they read
    as 78-155 BPM); the best period wins, refined by parabolic interpolation.

    Args:
        notes: Notes in time order (onset_s in seconds).

    Returns:
        Tempo in BPM, or 0.0 when there are fewer than 4 notes or no periodicity.
    """
    if len(notes) < MIN_NOTES:
        return 0.0
    onsets_s = np.array([note.onset_s for note in notes])
    onsets_s -= onsets_s.min()
    n_bins = int(np.ceil((onsets_s.max() + 4 * _SMEAR_S) / _GRID_S)) + 1
    times_s = np.arange(n_bins) * _GRID_S
    pulses = np.exp(-0.5 * ((times_s[:, None] - onsets_s[None, :] - 2 * _SMEAR_S) / _SMEAR_S) ** 2)
    train = pulses.sum(axis=1)
    spectrum = np.fft.rfft(train, n=2 * n_bins)
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum))[:n_bins]
    autocorrelation /= autocorrelation[0]

    periods_s = 60.0 / np.arange(MIN_BPM, MAX_BPM + 0.5, 0.5)

    def at(period_s: np.ndarray) -> np.ndarray:
        return np.interp(period_s / _GRID_S, np.arange(n_bins), autocorrelation, right=0.0)

    prior = np.exp(-0.5 * (np.log2(60.0 / periods_s / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    score = (at(periods_s) + 0.5 * at(2 * periods_s)) * prior
    best = int(np.argmax(score))
    if score[best] <= 1e-6:
        return 0.0
    bpm = 60.0 / periods_s[best]
    if 0 < best < len(score) - 1:
        left, centre, right = score[best - 1], score[best], score[best + 1]
        curvature = left - 2 * centre + right
        if curvature < 0:
            bpm += 0.5 * 0.5 * (left - right) / curvature
    return float(round(bpm, 1))
