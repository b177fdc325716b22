"""Multi-scale spectral loss (DDSP, after Wang et al. 2019 and Engel et al. 2020).

Magnitude spectrograms are compared at several FFT sizes, so that long windows judge the
harmonic spectrum (pitch-resolved timbre) and short ones the envelopes and transients.
The linear term weighs the loud partials; the log term makes quiet ones count too. Phase
is ignored: the oscillators' phases are free, only what the ear hears is matched.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# DDSP's floor: below it, differences between near-silent bins are not worth matching.
_LOG_EPSILON = 1e-5


@dataclass(frozen=True)
class SpectralLossConfig:
    """fft_sizes: analysis windows, samples. overlap: fraction of a window shared by
    consecutive frames. linear_weight / log_weight: weights of the two L1 terms."""

    fft_sizes: tuple[int, ...] = (2048, 1024, 512, 256, 128, 64)
    overlap: float = 0.75
    linear_weight: float = 1.0
    log_weight: float = 1.0


def magnitude_spectrogram(audio: torch.Tensor, n_fft: int, overlap: float) -> torch.Tensor:
    """(batch, n_samples) -> |STFT|, (batch, n_fft // 2 + 1, n_frames), Hann window."""
    hop = max(1, int(n_fft * (1.0 - overlap)))
    window = torch.hann_window(n_fft, device=audio.device)
    return torch.stft(audio, n_fft, hop, window=window, center=True, return_complex=True).abs()


def multiscale_spectral_loss(
    audio: torch.Tensor,
    target: torch.Tensor,
    config: SpectralLossConfig | None = None,
) -> torch.Tensor:
    """Mean over FFT sizes of the L1 distances of linear and log magnitudes.

    Args:
        audio: (batch, n_samples), the synthesized audio.
        target: (batch, n_samples), the recording it should sound like.

    Returns:
        A scalar tensor (differentiable with respect to ``audio``).
    """
    config = config or SpectralLossConfig()
    total = audio.new_zeros(())
    for n_fft in config.fft_sizes:
        predicted = magnitude_spectrogram(audio, n_fft, config.overlap)
        expected = magnitude_spectrogram(target, n_fft, config.overlap)
        total = total + config.linear_weight * (predicted - expected).abs().mean()
        total = total + config.log_weight * (
            (torch.log(predicted + _LOG_EPSILON) - torch.log(expected + _LOG_EPSILON)).abs().mean()
        )
    return total / len(config.fft_sizes)
