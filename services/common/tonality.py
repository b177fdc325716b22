"""Which key a pitch-class profile is in: Krumhansl-Schmuckler profile matching.

The pitch service applies it to a melody's notes (time per pitch class), the registry to
a training recording's mean chroma (for its captions); both need the same probe-tone
profiles and the same correlation search, so they live here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.common.music import PITCH_CLASS_NAMES

# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass(frozen=True)
class KeyMatch:
    """The best-fitting key: ``tonic`` "C".."B", ``mode`` "major"/"minor", and the Pearson
    correlation ``correlation`` (-1..1) of the profile with that key's template."""

    tonic: str
    mode: str
    correlation: float

    @property
    def name(self) -> str:
        """E.g. "A minor"."""
        return f"{self.tonic} {self.mode}"


def best_key(profile: npt.ArrayLike) -> KeyMatch | None:
    """The major or minor key whose rotated profile correlates best with ``profile``.

    Args:
        profile: Weight of each pitch class C=0 .. B=11, shape (12,), e.g. seconds of
            notes per pitch class or a mean chroma vector.

    Returns:
        The best key (the first of equals, majors before minors, C upwards), or None when
        the profile cannot be correlated (fewer than two distinct weights, or not finite).
    """
    values = np.asarray(profile, dtype=np.float64)
    if values.shape != (12,):
        raise ValueError(f"a pitch-class profile has 12 values, got shape {values.shape}")
    if not np.isfinite(values).all() or np.ptp(values) == 0:
        return None
    best: KeyMatch | None = None
    for mode, template in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(values, np.roll(template, tonic))[0, 1])
            if best is None or r > best.correlation:
                best = KeyMatch(PITCH_CLASS_NAMES[tonic], mode, r)
    return best
