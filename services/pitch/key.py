"""Key of a melody: Krumhansl-Schmuckler profile matching."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from services.common.music import PITCH_CLASS_NAMES, KeyEstimate, Note

# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def pitch_class_profile(notes: Sequence[Note]) -> np.ndarray:
    """Total duration in seconds of each pitch class (C=0 .. B=11), shape (12,)."""
    profile = np.zeros(12)
    for note in notes:
        profile[note.midi_pitch % 12] += note.duration_s
    return profile


def estimate_key(notes: Sequence[Note]) -> KeyEstimate:
    """The major or minor key whose profile best correlates with the melody's.

    Args:
        notes: Notes (midi_pitch and duration_s are used).

    Returns:
        KeyEstimate with tonic "C".."B", mode "major"/"minor" and the Pearson correlation
        (clipped to [0, 1]) as confidence; an empty KeyEstimate when there are no notes or
        only one pitch class.
    """
    profile = pitch_class_profile(notes)
    if np.count_nonzero(profile) < 2:
        return KeyEstimate()
    best = KeyEstimate()
    best_r = -np.inf
    for mode, template in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(profile, np.roll(template, tonic))[0, 1])
            if r > best_r:
                best_r = r
                best = KeyEstimate(tonic=PITCH_CLASS_NAMES[tonic], mode=mode, confidence=0.0)
    return KeyEstimate(
        tonic=best.tonic, mode=best.mode, confidence=float(np.clip(best_r, 0.0, 1.0))
    )
