"""Key of a melody: Krumhansl-Schmuckler profile matching."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from services.common.music import KeyEstimate, Note
from services.common.tonality import best_key


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
    match = best_key(profile)
    if match is None:
        return KeyEstimate()
    return KeyEstimate(
        tonic=match.tonic, mode=match.mode, confidence=float(np.clip(match.correlation, 0.0, 1.0))
    )
