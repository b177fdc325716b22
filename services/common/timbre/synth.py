"""Differentiable synthesizers: a bank of harmonic oscillators and filtered noise.

Pure functions over torch tensors. Controls arrive per frame (frame ``i`` at sample
``i * hop_samples``) and are interpolated to the audio rate here, so a model only has to
predict slowly varying envelopes. Gradients flow into the amplitudes and noise
magnitudes; f0 is an input (measured, not learned), so the oscillator phases are computed
without a graph.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812  (the conventional torch alias)


def upsample_frames(frames: torch.Tensor, hop_samples: int) -> torch.Tensor:
    """Linear interpolation of frame-rate controls to the audio rate.

    Args:
        frames: (batch, n_frames, channels); frame i belongs to sample i * hop_samples.

    Returns:
        (batch, n_frames * hop_samples, channels). Samples after the last frame hold it.
    """
    n_frames = frames.shape[1]
    position = torch.arange(n_frames * hop_samples, device=frames.device) / hop_samples
    left = position.floor().long()
    right = (left + 1).clamp(max=n_frames - 1)
    weight = (position - left).to(frames.dtype)[None, :, None]
    return torch.lerp(frames[:, left], frames[:, right], weight)


def harmonic_frequencies_hz(f0_hz: torch.Tensor, n_harmonics: int) -> torch.Tensor:
    """(batch, n_frames, 1) f0 in Hz -> (batch, n_frames, n_harmonics): k * f0, k = 1..K."""
    k = torch.arange(1, n_harmonics + 1, device=f0_hz.device, dtype=f0_hz.dtype)
    return f0_hz * k


def remove_above_nyquist(
    harmonic_distribution: torch.Tensor, f0_hz: torch.Tensor, sample_rate_hz: int
) -> torch.Tensor:
    """Silences harmonics at or above Nyquist and renormalizes the rest to sum to 1.

    Args:
        harmonic_distribution: (batch, n_frames, n_harmonics), non-negative.
        f0_hz: (batch, n_frames, 1).

    Returns:
        (batch, n_frames, n_harmonics), each frame summing to 1 (or 0 if none is audible).
    """
    frequencies_hz = harmonic_frequencies_hz(f0_hz, harmonic_distribution.shape[-1])
    audible = harmonic_distribution * (frequencies_hz < sample_rate_hz / 2).to(
        harmonic_distribution.dtype
    )
    return audible / audible.sum(dim=-1, keepdim=True).clamp_min(1e-7)


def oscillator_phases(f0_hz: torch.Tensor, sample_rate_hz: int) -> torch.Tensor:
    """Running phase of the fundamental, in cycles within [0, 1).

    Args:
        f0_hz: (batch, n_samples) at the audio rate.

    Returns:
        (batch, n_samples), float32. Accumulated in float64 and wrapped, because a
        float32 sum of a few seconds of phase loses the precision upper harmonics need.
    """
    cycles = torch.cumsum(f0_hz.detach().double() / sample_rate_hz, dim=-1)
    return torch.remainder(cycles, 1.0).float()


def harmonic_synth(
    f0_hz: torch.Tensor,
    amplitude: torch.Tensor,
    harmonic_distribution: torch.Tensor,
    sample_rate_hz: int,
    hop_samples: int,
) -> torch.Tensor:
    """Additive synthesis of a harmonic tone.

    Harmonic amplitudes are interpolated linearly from one frame to the next. Within a
    frame that interpolation is a blend of the frame's and the next frame's amplitudes,
    so each frame's audio is two matrix products of its oscillators with the two
    amplitude vectors: far cheaper to differentiate than upsampling every harmonic's
    amplitude to the audio rate.

    Args:
        f0_hz: (batch, n_frames, 1), fundamental per frame, Hz.
        amplitude: (batch, n_frames, 1), overall linear amplitude per frame.
        harmonic_distribution: (batch, n_frames, n_harmonics), relative amplitude of
            harmonic k = 1..K (non-negative; renormalized after removing those above
            Nyquist).
        sample_rate_hz: Output rate.
        hop_samples: Samples per frame.

    Returns:
        Audio, (batch, n_frames * hop_samples).
    """
    batch, n_frames, n_harmonics = harmonic_distribution.shape
    amplitudes = amplitude * remove_above_nyquist(harmonic_distribution, f0_hz, sample_rate_hz)
    following = torch.cat([amplitudes[:, 1:], amplitudes[:, -1:]], dim=1)
    # (batch * n_frames, n_harmonics, 2): this frame's and the next frame's amplitudes.
    endpoints = torch.stack([amplitudes, following], dim=-1).reshape(-1, n_harmonics, 2)

    phases = oscillator_phases(upsample_frames(f0_hz, hop_samples)[..., 0], sample_rate_hz)
    k = torch.arange(1, n_harmonics + 1, device=f0_hz.device, dtype=torch.float32)
    # k * phase stays below K cycles, well within float32 precision.
    oscillators = torch.sin(2.0 * math.pi * phases[..., None] * k)
    per_frame = torch.bmm(oscillators.reshape(-1, hop_samples, n_harmonics), endpoints)

    blend = torch.arange(hop_samples, device=f0_hz.device, dtype=torch.float32) / hop_samples
    audio = per_frame[..., 0] * (1.0 - blend) + per_frame[..., 1] * blend
    return audio.reshape(batch, n_frames * hop_samples)


def filtered_noise(
    magnitudes: torch.Tensor,
    hop_samples: int,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """White noise shaped by a time-varying filter, one magnitude response per frame.

    The filter is applied in the STFT domain: each frame of uniform noise is multiplied by
    the frame's response (``n_bands`` magnitudes spaced linearly from 0 Hz to Nyquist,
    interpolated to the STFT bins) and overlap-added back. This is DDSP's frequency-
    sampling filter with a zero-phase response, in two library calls.

    Args:
        magnitudes: (batch, n_frames, n_bands), linear, non-negative.
        hop_samples: Samples per frame; the STFT uses a Hann window of 2 * hop_samples.
        generator: Seeds the noise (None: torch's global generator).

    Returns:
        Audio, (batch, n_frames * hop_samples).
    """
    batch, n_frames, _ = magnitudes.shape
    n_samples = n_frames * hop_samples
    n_fft = 2 * hop_samples
    noise = torch.rand(batch, n_samples, generator=generator, device=magnitudes.device)
    window = torch.hann_window(n_fft, device=magnitudes.device)
    spectrum = torch.stft(
        noise * 2.0 - 1.0, n_fft, hop_samples, window=window, center=True, return_complex=True
    )  # (batch, n_fft // 2 + 1, n_frames + 1)
    response = F.interpolate(
        magnitudes.reshape(batch * n_frames, 1, -1),
        size=n_fft // 2 + 1,
        mode="linear",
        align_corners=True,
    ).reshape(batch, n_frames, -1)
    # A centred STFT has one frame more than the controls: the last control holds.
    response = torch.cat([response, response[:, -1:]], dim=1).transpose(1, 2)
    return torch.istft(spectrum * response, n_fft, hop_samples, window=window, length=n_samples)
