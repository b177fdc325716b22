"""Frame-level audio features that tell where notes begin: loudness and spectral flux.

Both are computed at a pitch track's frame times, so any engine's hop works.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.common.music import FloatArray

LOUDNESS_WINDOW_S = 0.032
# The floor level is measured over two periods of the frame's f0 (no ripple from the
# pulses of a low voice), never less than 6 ms, at every millisecond of the frame's hop.
FLOOR_WINDOW_PERIODS = 2.0
FLOOR_MIN_WINDOW_S = 0.006
FLOOR_STEP_S = 0.001
FLUX_WINDOW_S = 0.064
FLUX_LAG_S = 0.032
FLUX_FMIN_HZ = 60.0
FLUX_FMAX_HZ = 5000.0
FLUX_BANDS_PER_OCTAVE = 12
_SILENCE_DB = -140.0


def frame_loudness_db(
    samples: npt.NDArray[np.floating], sample_rate_hz: int, times_s: FloatArray
) -> FloatArray:
    """RMS level in dBFS of the 32 ms of audio centred on each frame.

    Args:
        samples: Mono audio, shape (n_samples,).
        sample_rate_hz: Rate of ``samples``.
        times_s: Frame centres in seconds, shape (n_frames,).

    Returns:
        Level in dB, shape (n_frames,); -140 dB for digital silence.
    """
    signal = np.asarray(samples, dtype=np.float64)
    half = max(1, round(LOUDNESS_WINDOW_S * sample_rate_hz / 2))
    energy = np.concatenate(([0.0], np.cumsum(signal * signal)))
    centres = np.round(np.asarray(times_s) * sample_rate_hz).astype(np.int64)
    start = np.clip(centres - half, 0, len(signal))
    end = np.clip(centres + half, 0, len(signal))
    mean_square = (energy[end] - energy[start]) / (2 * half)
    return np.maximum(10.0 * np.log10(np.maximum(mean_square, 1e-30)), _SILENCE_DB)


def frame_floor_db(
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    times_s: FloatArray,
    frequencies_hz: FloatArray,
) -> FloatArray:
    """The level of the quietest moment within each frame's hop, in dBFS.

    A 32 ms loudness window hides a 10 ms silence between two struck notes (the level
    falls by 1.6 dB); this finds it. For each frame, the RMS level is taken over windows of
    two periods of the frame's f0 (32 ms where unvoiced, at least 6 ms) centred every
    millisecond across the frame's hop, and the lowest is kept.

    Args:
        samples: Mono audio, shape (n_samples,).
        sample_rate_hz: Rate of ``samples``.
        times_s: Frame centres in seconds, shape (n_frames,), evenly spaced.
        frequencies_hz: f0 of each frame in Hz (0 where unvoiced), shape (n_frames,).

    Returns:
        Level in dB, shape (n_frames,); -140 dB for digital silence.
    """
    times = np.asarray(times_s, dtype=np.float64)
    n_frames = len(times)
    if n_frames == 0:
        return np.zeros(0)
    signal = np.asarray(samples, dtype=np.float64)
    hop_s = float(np.median(np.diff(times))) if n_frames > 1 else LOUDNESS_WINDOW_S
    f0_hz = np.nan_to_num(np.asarray(frequencies_hz, dtype=np.float64))
    window_s = np.where(
        f0_hz > 0, FLOOR_WINDOW_PERIODS / np.maximum(f0_hz, 1e-9), LOUDNESS_WINDOW_S
    )
    window_s = np.clip(window_s, FLOOR_MIN_WINDOW_S, LOUDNESS_WINDOW_S)
    half = np.maximum(1, np.round(window_s * sample_rate_hz / 2)).astype(np.int64)
    step = max(1, round(FLOOR_STEP_S * sample_rate_hz))
    reach = round(hop_s * sample_rate_hz / 2)
    offsets = np.arange(-reach, reach + 1, step)
    energy = np.concatenate(([0.0], np.cumsum(signal * signal)))
    centres = np.round(times * sample_rate_hz).astype(np.int64)[:, None] + offsets[None, :]
    start = np.clip(centres - half[:, None], 0, len(signal))
    end = np.clip(centres + half[:, None], 0, len(signal))
    mean_square = (energy[end] - energy[start]) / (2 * half[:, None])
    lowest = np.maximum(mean_square.min(axis=1), 1e-30)
    return np.maximum(10.0 * np.log10(lowest), _SILENCE_DB)


@dataclass(frozen=True)
class FrameSpectra:
    """Magnitude spectra of 64 ms Hann windows centred on a track's frames.

    magnitudes: shape (n_frames, n_fft // 2 + 1); bin_hz: each bin's frequency, shape
    (n_fft // 2 + 1,); n_fft: the window length in samples (a power of two).
    """

    magnitudes: FloatArray
    bin_hz: FloatArray
    n_fft: int


def frame_spectra(
    samples: npt.NDArray[np.floating], sample_rate_hz: int, times_s: FloatArray
) -> FrameSpectra:
    """The spectrum around each frame (computed once for the onsets and the pitch ceiling).

    Args:
        samples: Mono audio, shape (n_samples,).
        sample_rate_hz: Rate of ``samples``.
        times_s: Frame centres in seconds, shape (n_frames,).
    """
    times = np.asarray(times_s, dtype=np.float64)
    signal = np.asarray(samples, dtype=np.float32)
    n_fft = 1 << int(np.ceil(np.log2(FLUX_WINDOW_S * sample_rate_hz)))
    padded = np.pad(signal, (n_fft // 2, n_fft))
    centres = np.clip(np.round(times * sample_rate_hz).astype(np.int64), 0, len(signal))
    frames = padded[centres[:, None] + np.arange(n_fft)[None, :]] * np.hanning(n_fft).astype(
        np.float32
    )
    return FrameSpectra(
        magnitudes=np.abs(np.fft.rfft(frames, axis=1)),
        bin_hz=np.fft.rfftfreq(n_fft, 1.0 / sample_rate_hz).astype(np.float64),
        n_fft=n_fft,
    )


def onset_strength(
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    times_s: FloatArray,
    spectra: FrameSpectra | None = None,
) -> FloatArray:
    """Spectral flux at each frame, scaled so that 1 is a strong onset for this recording.

    SuperFlux-style (Böck & Widmer, 2013): log-compressed energy in semitone-wide bands,
    compared with the maximum of the neighbouring bands 32 ms earlier, so a vibrato moving
    a harmonic into the next band does not read as an onset. Only rises count.

    Args:
        samples: Mono audio, shape (n_samples,).
        sample_rate_hz: Rate of ``samples``.
        times_s: Frame centres in seconds, shape (n_frames,).
        spectra: ``frame_spectra`` of the same audio and frames, if already computed.

    Returns:
        Onset strength, shape (n_frames,), in [0, 1]: flux divided by its 95th percentile
        over the recording, clipped.
    """
    times = np.asarray(times_s, dtype=np.float64)
    n_frames = len(times)
    if n_frames == 0:
        return np.zeros(0)
    if spectra is None:
        spectra = frame_spectra(samples, sample_rate_hz, times)
    bands = np.log1p(1000.0 * spectra.magnitudes @ _band_filters(spectra.n_fft, sample_rate_hz).T)
    widened = np.maximum(np.maximum(bands, np.roll(bands, 1, axis=1)), np.roll(bands, -1, axis=1))
    times_step_s = float(np.median(np.diff(times))) if n_frames > 1 else FLUX_LAG_S
    lag = max(1, round(FLUX_LAG_S / times_step_s))
    flux = np.zeros(n_frames)
    if n_frames > lag:
        flux[lag:] = np.maximum(0.0, bands[lag:] - widened[:-lag]).mean(axis=1)
    scale = float(np.percentile(flux, 95))
    if scale <= 1e-9:
        return np.zeros(n_frames)
    return np.clip(flux / scale, 0.0, 1.0)


def _band_filters(n_fft: int, sample_rate_hz: int) -> FloatArray:
    """Triangular semitone bands, shape (n_bands, n_fft // 2 + 1)."""
    fmax_hz = min(FLUX_FMAX_HZ, sample_rate_hz / 2)
    n_bands = int(FLUX_BANDS_PER_OCTAVE * np.log2(fmax_hz / FLUX_FMIN_HZ))
    edges_hz = FLUX_FMIN_HZ * 2.0 ** (np.arange(n_bands + 2) / FLUX_BANDS_PER_OCTAVE)
    bin_hz = np.fft.rfftfreq(n_fft, 1.0 / sample_rate_hz)
    low, centre, high = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    filters = np.maximum(
        0.0, np.minimum((bin_hz - low) / (centre - low), (high - bin_hz) / (high - centre))
    )
    # Low bands are narrower than one FFT bin: give each at least its nearest bin.
    nearest = np.abs(bin_hz[None, :] - centre).argmin(axis=1)
    filters[np.arange(n_bands), nearest] = np.maximum(filters[np.arange(n_bands), nearest], 1.0)
    return filters
