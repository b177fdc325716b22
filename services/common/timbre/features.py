"""The control signals of a DDSP model: fundamental frequency and loudness per frame.

Both are computed once per recording, on a common frame grid: frame ``i`` is centred on
sample ``i * hop_samples`` (as a centred STFT frames it), so ``n_frames = n_samples // hop``
and the synthesizer turns ``n_frames`` controls back into exactly ``n_frames * hop`` samples.

f0 comes from the project's pitch engine (SwiftF0 by default). Unvoiced frames (rests,
breaths, the noisy start of a note) get an f0 interpolated from their voiced neighbours,
as DDSP's CREPE f0 is continuous too: the model learns to keep the harmonics quiet there
from the loudness, rather than being fed an f0 of 0 Hz it would have to special-case.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np
import numpy.typing as npt

from services.common.f0.engines import DEFAULT_ENGINE, track_pitch
from services.common.music import PitchTrack

FloatArray = npt.NDArray[np.float32]

#: Loudness of digital silence and the floor of every loudness curve, in dB.
SILENCE_DB = -100.0
_LOUDNESS_N_FFT = 1024


@dataclass(frozen=True)
class FrameFeatures:
    """Controls of one recording, one value per frame of ``hop_samples``.

    f0_hz: fundamental frequency, Hz, shape (n_frames,); continuous (gaps interpolated).
    loudness_db: A-weighted loudness, dB relative to a full-scale signal's mean square
        (a 1 kHz sine of amplitude 1 reads about -3 dB), shape (n_frames,).
    voiced: whether the pitch engine found a pitch in the frame, shape (n_frames,).
    """

    f0_hz: FloatArray
    loudness_db: FloatArray
    voiced: npt.NDArray[np.bool_]

    @property
    def n_frames(self) -> int:
        return int(self.f0_hz.shape[0])


def a_weighted_loudness_db(
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    hop_samples: int,
    n_fft: int = _LOUDNESS_N_FFT,
) -> FloatArray:
    """Loudness per frame: the A-weighted mean square of a Hann-windowed frame, in dB.

    Args:
        samples: Mono audio, shape (n_samples,), floats in [-1, 1].
        sample_rate_hz: Rate of ``samples``.
        hop_samples: Frame hop; frame i is centred on sample i * hop_samples.
        n_fft: Analysis window, in samples.

    Returns:
        Loudness in dB, shape (n_samples // hop_samples,), floored at SILENCE_DB.
    """
    n_frames = len(samples) // hop_samples
    spectrum = librosa.stft(
        np.asarray(samples, dtype=np.float32),
        n_fft=n_fft,
        hop_length=hop_samples,
        window="hann",
        center=True,
    )[:, :n_frames]
    # The DC bin is weighted as 1 Hz: the A-curve's log of 0 Hz is undefined (-inf dB).
    frequencies_hz = np.maximum(librosa.fft_frequencies(sr=sample_rate_hz, n_fft=n_fft), 1.0)
    weights = librosa.db_to_power(librosa.A_weighting(frequencies_hz))[:, np.newaxis]
    window = librosa.filters.get_window("hann", n_fft, fftbins=True)
    # Parseval over a one-sided spectrum: both halves count, so twice the positive bins.
    mean_square = (
        2.0 * np.sum(weights * np.abs(spectrum) ** 2, axis=0) / (n_fft * np.sum(window**2))
    )
    loudness_db = 10.0 * np.log10(np.maximum(mean_square, 10.0 ** (SILENCE_DB / 10.0)))
    return loudness_db.astype(np.float32)


def continuous_f0_hz(
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    hop_samples: int,
    engine: str = DEFAULT_ENGINE,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """f0 per frame from the pitch engine, with unvoiced gaps filled in.

    Args:
        samples: Mono audio, shape (n_samples,).
        sample_rate_hz: Rate of ``samples``.
        hop_samples: Frame hop of the result (the engine's own hop may differ).
        engine: A pitch engine of services.common.f0.engines.

    Returns:
        (f0_hz, voiced), each shape (n_samples // hop_samples,). Gaps are interpolated in
        log frequency between voiced neighbours and held at the ends. With no voiced
        frame at all, f0_hz is all zeros and voiced all False.
    """
    track = track_pitch(np.asarray(samples, dtype=np.float32), sample_rate_hz, engine)
    return track_on_frames(track, len(samples) // hop_samples, hop_samples / sample_rate_hz)


def track_on_frames(
    track: PitchTrack, n_frames: int, hop_s: float
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """A pitch track (any hop) moved onto the frame grid, gaps filled.

    Returns:
        (f0_hz, voiced), each shape (n_frames,); see continuous_f0_hz.
    """
    frame_times_s = np.arange(n_frames) * hop_s
    voiced_in_track = track.frequencies_hz > 0
    if not np.any(voiced_in_track):
        return np.zeros(n_frames, np.float32), np.zeros(n_frames, bool)
    log_f0 = np.interp(
        frame_times_s,
        track.times_s[voiced_in_track],
        np.log(track.frequencies_hz[voiced_in_track]),
    )
    nearest = np.clip(np.searchsorted(track.times_s, frame_times_s), 0, len(track.times_s) - 1)
    return np.exp(log_f0).astype(np.float32), voiced_in_track[nearest]


def extract_features(
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    hop_samples: int,
    pitch_engine: str = DEFAULT_ENGINE,
) -> FrameFeatures:
    """f0 and loudness of a mono recording on one frame grid (see the module docstring)."""
    f0_hz, voiced = continuous_f0_hz(samples, sample_rate_hz, hop_samples, pitch_engine)
    loudness_db = a_weighted_loudness_db(samples, sample_rate_hz, hop_samples)
    return FrameFeatures(f0_hz=f0_hz, loudness_db=loudness_db, voiced=voiced)
