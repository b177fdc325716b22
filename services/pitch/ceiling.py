"""Pitches above what an engine can hear: whistles, piccolos, a child's highest notes.

A pitch tracker reports nothing above its top bin (SwiftF0 2094 Hz, CREPE 2005 Hz), so a
melody whistled higher than that simply vanishes. This finds the frames where one sinusoid
above the engine's ceiling carries most of the sound, and the engine heard no pitch of
which it is a harmonic, so that the transcription can say what it missed.
"""

from __future__ import annotations

import numpy as np

from services.common.music import PitchTrack
from services.pitch.onsets import FrameSpectra

#: Share of a frame's energy (above 60 Hz) in one spectral peak that makes it a pure tone:
#: a whistle holds almost all of it; a voice spreads it over many harmonics.
TONAL_SHARE = 0.5
#: Frames quieter than this below the loudest are background, not a tune.
RELATIVE_FLOOR_DB = -30.0
_LOW_CUT_HZ = 60.0
_PEAK_HALF_WIDTH_BINS = 2  # a Hann window's main lobe
_HARMONIC_TOLERANCE = 0.03


def seconds_above_ceiling(
    spectra: FrameSpectra, track: PitchTrack, highest_frequency_hz: float
) -> float:
    """How long the recording holds a tone pitched above ``highest_frequency_hz``.

    Args:
        spectra: The spectrum around each of the track's frames (onsets.frame_spectra).
        track: The engine's pitch track of the same audio (frame times and f0).
        highest_frequency_hz: The engine's ceiling, in Hz.

    Returns:
        Seconds (frames times the track's hop) where a pure tone more than half a semitone
        above the ceiling dominates and the engine found no pitch it is a harmonic of.
    """
    if len(track.times_s) == 0:
        return 0.0
    power = spectra.magnitudes**2
    bin_hz = spectra.bin_hz
    power[:, bin_hz < _LOW_CUT_HZ] = 0.0
    total = power.sum(axis=1)
    peak = power.argmax(axis=1)
    around = np.clip(
        peak[:, None] + np.arange(-_PEAK_HALF_WIDTH_BINS, _PEAK_HALF_WIDTH_BINS + 1),
        0,
        power.shape[1] - 1,
    )
    peak_power = np.take_along_axis(power, around, axis=1).sum(axis=1)
    peak_hz = bin_hz[peak]

    level_db = 10.0 * np.log10(np.maximum(total, 1e-20))
    loud = level_db >= level_db.max() + RELATIVE_FLOOR_DB
    tonal = peak_power >= TONAL_SHARE * np.maximum(total, 1e-20)
    too_high = peak_hz > highest_frequency_hz * 2.0 ** (0.5 / 12.0)
    f0_hz = np.nan_to_num(np.asarray(track.frequencies_hz, dtype=np.float64))
    ratio = np.divide(peak_hz, f0_hz, out=np.zeros_like(peak_hz), where=f0_hz > 0)
    harmonic_of_heard = (f0_hz > 0) & (
        np.abs(ratio - np.round(ratio)) <= _HARMONIC_TOLERANCE * np.maximum(np.round(ratio), 1)
    )
    unheard = loud & tonal & too_high & ~harmonic_of_heard
    return float(np.count_nonzero(unheard) * track.hop_s)
