"""The sung pitch contour: notes plus the small movements that make them sound sung.

After Saitou et al., "Speech-to-singing synthesis" (2007), whose listeners judged four
F0 features as what makes a voice sound sung rather than robotic:

- preparation: just before a note change the pitch dips slightly away from the new note;
- overshoot: right after it, the pitch passes the new note and settles back;
- vibrato: a quasi-periodic wobble on long notes, fading in after the attack;
- fine fluctuation: a few cents of slow random drift, never perfectly flat.

Transitions are centred on the note onsets, so the pitch crosses half-way between two
notes exactly at the written onset. The movements are kept inside the first and last
quarter of each note, so the middle half of a note is the note's pitch plus vibrato.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.synth.score import ScoreNote

FloatArray = npt.NDArray[np.float64]

#: Half-width of a pitch glide between two notes, in seconds (capped by the note lengths).
GLIDE_HALF_WIDTH_S = 0.03
#: Overshoot peak as a fraction of the interval, and its length in seconds.
OVERSHOOT_RATIO = 0.12
OVERSHOOT_S = 0.08
#: Preparation dip as a fraction of the interval, and its length in seconds.
PREPARATION_RATIO = 0.05
PREPARATION_S = 0.06
#: Neither movement exceeds this many cents, whatever the interval.
MAX_ORNAMENT_CENTS = 40.0
#: Vibrato starts on notes at least this long, after a delay, fading in.
VIBRATO_MIN_NOTE_S = 0.35
VIBRATO_DELAY_S = 0.18
VIBRATO_FADE_IN_S = 0.2
#: Standard deviation of the fine fluctuation, in cents, and its bandwidth in Hz.
FLUCTUATION_CENTS = 2.0
FLUCTUATION_BANDWIDTH_HZ = 3.0


@dataclass(frozen=True)
class Expression:
    """The singer's style: vibrato depth (peak, cents) and rate (Hz)."""

    vibrato_depth_cents: float = 25.0
    vibrato_rate_hz: float = 5.5
    fluctuation_cents: float = FLUCTUATION_CENTS


def sung_contour(
    notes: list[ScoreNote],
    times_s: FloatArray,
    expression: Expression,
    *,
    seed: int = 0,
) -> FloatArray:
    """The f0 a singer would follow over ``notes``, in Hz.

    Args:
        notes: the phrase's notes, in order, touching (legato).
        times_s: frame times of shape (n_frames,), in seconds on the same timeline;
            frames before the first onset get the first note's pitch, frames after the
            last offset the last note's.
        expression: vibrato and drift amounts.
        seed: makes the fine fluctuation repeatable.

    Returns:
        f0 in Hz, shape (n_frames,).
    """
    cents = np.full(times_s.shape, notes[0].midi_pitch * 100.0)
    for previous, note in itertools.pairwise(notes):
        cents += _transition_cents(times_s, previous, note)
    for note in notes:
        cents += _vibrato_cents(times_s, note, expression)
    cents += _fluctuation_cents(times_s, expression.fluctuation_cents, seed)
    return 440.0 * 2.0 ** ((cents - 6900.0) / 1200.0)


def _transition_cents(times_s: FloatArray, previous: ScoreNote, note: ScoreNote) -> FloatArray:
    """The change from ``previous`` to ``note``: a glide plus preparation and overshoot."""
    interval = (note.midi_pitch - previous.midi_pitch) * 100.0
    onset_s = note.onset_s
    shorter_s = min(previous.duration_s, note.duration_s)
    half_width_s = min(GLIDE_HALF_WIDTH_S, 0.1 * shorter_s)
    # Raised-cosine glide from 0 to the interval, centred on the onset.
    x = np.clip((times_s - onset_s + half_width_s) / (2 * half_width_s), 0.0, 1.0)
    change = interval * 0.5 * (1.0 - np.cos(np.pi * x))
    if interval == 0.0:
        return change
    direction = np.sign(interval)
    overshoot = direction * min(abs(interval) * OVERSHOOT_RATIO, MAX_ORNAMENT_CENTS)
    overshoot_s = min(OVERSHOOT_S, 0.15 * note.duration_s)
    change += overshoot * _bump(times_s, onset_s + half_width_s, overshoot_s)
    preparation = -direction * min(abs(interval) * PREPARATION_RATIO, MAX_ORNAMENT_CENTS)
    preparation_s = min(PREPARATION_S, 0.15 * previous.duration_s)
    change += preparation * _bump(times_s, onset_s - half_width_s - preparation_s, preparation_s)
    return change


def _bump(times_s: FloatArray, start_s: float, length_s: float) -> FloatArray:
    """A half-sine from 0 to 1 and back over [start_s, start_s + length_s], 0 elsewhere."""
    if length_s <= 0:
        return np.zeros_like(times_s)
    x = (times_s - start_s) / length_s
    return np.where((x > 0) & (x < 1), np.sin(np.pi * np.clip(x, 0.0, 1.0)), 0.0)


def _vibrato_cents(times_s: FloatArray, note: ScoreNote, expression: Expression) -> FloatArray:
    depth = expression.vibrato_depth_cents
    if depth <= 0 or note.duration_s < VIBRATO_MIN_NOTE_S:
        return np.zeros_like(times_s)
    start_s = note.onset_s + min(VIBRATO_DELAY_S, 0.3 * note.duration_s)
    end_s = note.offset_s - min(0.05, 0.1 * note.duration_s)
    inside = (times_s >= start_s) & (times_s < end_s)
    elapsed_s = times_s - start_s
    fade = np.clip(elapsed_s / VIBRATO_FADE_IN_S, 0.0, 1.0)
    fade *= np.clip((end_s - times_s) / 0.05, 0.0, 1.0)
    wobble = depth * fade * np.sin(2 * np.pi * expression.vibrato_rate_hz * elapsed_s)
    return np.where(inside, wobble, 0.0)


def _fluctuation_cents(times_s: FloatArray, amount_cents: float, seed: int) -> FloatArray:
    if amount_cents <= 0 or times_s.size < 2:
        return np.zeros_like(times_s)
    rng = np.random.default_rng(seed)
    hop_s = float(times_s[1] - times_s[0])
    noise = rng.standard_normal(times_s.size)
    # Moving-average low-pass: a window of 1/bandwidth keeps only slow drift.
    # (No wider than the phrase: numpy's "same" convolution returns the longer of its
    # two inputs, so a phrase shorter than the window got a contour of the wrong size.)
    width = min(times_s.size, max(1, round(1.0 / (FLUCTUATION_BANDWIDTH_HZ * hop_s))))
    smooth = np.convolve(noise, np.ones(width) / width, mode="same")
    spread = float(np.std(smooth))
    return smooth * (amount_cents / spread) if spread > 0 else smooth
