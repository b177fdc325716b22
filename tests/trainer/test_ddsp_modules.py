"""The DDSP building blocks, each against what its docstring promises."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from services.common.timbre.features import a_weighted_loudness_db
from services.common.timbre.synth import filtered_noise, harmonic_synth, upsample_frames
from services.trainer.ddsp.loss import multiscale_spectral_loss

RATE_HZ = 16_000
HOP = 256
N_FRAMES = 125  # 2 s


def spectrum_peak_hz(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return float(np.fft.rfftfreq(len(audio), 1 / RATE_HZ)[np.argmax(spectrum)])


def constant(value: float, channels: int = 1) -> torch.Tensor:
    return torch.full((1, N_FRAMES, channels), value)


def test_one_harmonic_is_a_sine_of_the_given_frequency_and_amplitude() -> None:
    distribution = torch.zeros(1, N_FRAMES, 10)
    distribution[..., 0] = 1.0

    audio = harmonic_synth(constant(440.0), constant(0.5), distribution, RATE_HZ, HOP)[0].numpy()

    assert audio.shape == (N_FRAMES * HOP,)
    assert spectrum_peak_hz(audio) == pytest.approx(440.0, abs=2.0)
    assert np.sqrt(np.mean(audio**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_harmonics_above_nyquist_are_silenced_and_the_rest_renormalized() -> None:
    distribution = torch.zeros(1, N_FRAMES, 2)
    distribution[..., :] = 0.5  # harmonic 2 of 5 kHz would be 10 kHz, above 8 kHz

    audio = harmonic_synth(constant(5000.0), constant(0.5), distribution, RATE_HZ, HOP)[0].numpy()

    assert spectrum_peak_hz(audio) == pytest.approx(5000.0, abs=2.0)
    assert np.sqrt(np.mean(audio**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_frame_controls_are_exact_at_their_own_samples_and_linear_between() -> None:
    frames = torch.tensor([[[0.0], [1.0], [3.0]]])
    upsampled = upsample_frames(frames, hop_samples=4)[0, :, 0]
    assert upsampled.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0, 3.0, 3.0]


def test_filtered_noise_keeps_its_energy_in_the_open_bands() -> None:
    magnitudes = torch.zeros(1, N_FRAMES, 65)
    magnitudes[..., :9] = 1.0  # bands up to 1 kHz of 0..8 kHz

    audio = filtered_noise(magnitudes, HOP, torch.Generator().manual_seed(0))[0].numpy()

    power = np.abs(np.fft.rfft(audio)) ** 2
    frequencies_hz = np.fft.rfftfreq(len(audio), 1 / RATE_HZ)
    assert power[frequencies_hz < 1300].sum() > 0.95 * power.sum()


def test_spectral_loss_is_zero_for_the_same_audio_and_grows_with_the_difference() -> None:
    t = torch.arange(RATE_HZ) / RATE_HZ
    target = 0.5 * torch.sin(2 * torch.pi * 440 * t)[None]
    slightly_off = 0.5 * torch.sin(2 * torch.pi * 450 * t)[None]
    far_off = 0.5 * torch.sin(2 * torch.pi * 880 * t)[None]

    assert float(multiscale_spectral_loss(target, target)) == pytest.approx(0.0, abs=1e-6)
    assert (
        0
        < float(multiscale_spectral_loss(slightly_off, target))
        < float(multiscale_spectral_loss(far_off, target))
    )


def test_loudness_reads_a_full_scale_1khz_sine_at_minus_3_db_and_follows_gain() -> None:
    sine = np.sin(2 * np.pi * 1000 * np.arange(RATE_HZ) / RATE_HZ).astype(np.float32)

    loud = a_weighted_loudness_db(sine, RATE_HZ, HOP)
    quiet = a_weighted_loudness_db(0.1 * sine, RATE_HZ, HOP)

    assert loud.shape == (RATE_HZ // HOP,)
    assert np.median(loud) == pytest.approx(-3.0, abs=0.5)
    assert np.median(loud - quiet) == pytest.approx(20.0, abs=0.1)
