"""The DDSP decoder: f0 and loudness per frame -> synthesizer controls -> audio.

After Engel et al., "DDSP: Differentiable Digital Signal Processing" (ICLR 2020), the
RNN-FC decoder of their solo-instrument models, shrunk to train on a CPU in minutes:

    f0 ----> MLP --+
                   +--> GRU --> [GRU out, f0 MLP, loudness MLP] --> MLP --> heads
    loudness -> MLP+

The heads are an overall amplitude, a distribution over ``n_harmonics`` harmonics
(softmax) and the magnitudes of ``n_noise_bands`` noise bands, fed to the harmonic and
filtered-noise synthesizers of :mod:`.synth`; the model's output is their sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from services.common.timbre import synth


@dataclass(frozen=True)
class DdspConfig:
    """Shape of a timbre model and of the audio it makes.

    sample_rate_hz: rate the model is trained and renders at.
    hop_samples: samples per control frame (256 at 16 kHz = 16 ms, SwiftF0's hop).
    n_harmonics: harmonic oscillators (60 covers a 130 Hz note up to 8 kHz).
    n_noise_bands: magnitudes of the noise filter, linearly spaced from 0 Hz to Nyquist.
    hidden_size: width of every MLP layer.
    gru_size: width of the recurrent state.
    mlp_layers: layers per MLP.
    """

    sample_rate_hz: int = 16_000
    hop_samples: int = 256
    n_harmonics: int = 60
    n_noise_bands: int = 65
    hidden_size: int = 192
    gru_size: int = 192
    mlp_layers: int = 2

    def __post_init__(self) -> None:
        for name in ("sample_rate_hz", "hop_samples", "n_harmonics", "hidden_size", "gru_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.n_noise_bands < 2:
            raise ValueError(f"n_noise_bands must be at least 2, got {self.n_noise_bands}")
        if self.mlp_layers < 1:
            raise ValueError(f"mlp_layers must be at least 1, got {self.mlp_layers}")


def scale_f0(f0_hz: torch.Tensor) -> torch.Tensor:
    """Network input for f0: MIDI number / 127, so 0..1 over the MIDI range."""
    midi = 69.0 + 12.0 * torch.log2(f0_hz.clamp_min(1.0) / 440.0)
    return (midi / 127.0).clamp(0.0, 1.0)


def scale_loudness(loudness_db: torch.Tensor) -> torch.Tensor:
    """Network input for loudness: -80..0 dB -> 0..1 (DDSP's fixed scaling)."""
    return loudness_db / 80.0 + 1.0


def exp_sigmoid(x: torch.Tensor, max_value: float = 2.0, threshold: float = 1e-7) -> torch.Tensor:
    """DDSP's positive activation: a sigmoid raised to ln(10), so its output spans decades
    of amplitude, as loudness does, instead of saturating linearly."""
    return max_value * torch.sigmoid(x) ** math.log(10.0) + threshold


def mlp(in_size: int, hidden_size: int, layers: int) -> nn.Sequential:
    """Dense -> LayerNorm -> LeakyReLU, ``layers`` times."""
    modules: list[nn.Module] = []
    for i in range(layers):
        modules += [
            nn.Linear(in_size if i == 0 else hidden_size, hidden_size),
            nn.LayerNorm(hidden_size),
            nn.LeakyReLU(),
        ]
    return nn.Sequential(*modules)


@dataclass(frozen=True)
class SynthControls:
    """What the decoder predicts, per frame.

    amplitude: (batch, n_frames, 1), linear.
    harmonic_distribution: (batch, n_frames, n_harmonics), sums to 1 over harmonics.
    noise_magnitudes: (batch, n_frames, n_noise_bands), linear.
    """

    amplitude: torch.Tensor
    harmonic_distribution: torch.Tensor
    noise_magnitudes: torch.Tensor


class DdspDecoder(nn.Module):
    """f0 + loudness -> synthesizer controls -> audio (see the module docstring)."""

    # DDSP starts the noise 5 nats down the exp-sigmoid, so early training hears the
    # harmonics rather than a wall of noise.
    _NOISE_BIAS = -5.0

    def __init__(self, config: DdspConfig) -> None:
        super().__init__()
        self.config = config
        self.f0_mlp = mlp(1, config.hidden_size, config.mlp_layers)
        self.loudness_mlp = mlp(1, config.hidden_size, config.mlp_layers)
        self.gru = nn.GRU(2 * config.hidden_size, config.gru_size, batch_first=True)
        self.out_mlp = mlp(
            config.gru_size + 2 * config.hidden_size, config.hidden_size, config.mlp_layers
        )
        self.head = nn.Linear(config.hidden_size, 1 + config.n_harmonics + config.n_noise_bands)

    def controls(self, f0_hz: torch.Tensor, loudness_db: torch.Tensor) -> SynthControls:
        """Synthesizer controls for f0 and loudness curves.

        Args:
            f0_hz: (batch, n_frames), Hz.
            loudness_db: (batch, n_frames), dB (see features.a_weighted_loudness_db).
        """
        f0_features = self.f0_mlp(scale_f0(f0_hz)[..., None])
        loudness_features = self.loudness_mlp(scale_loudness(loudness_db)[..., None])
        recurrent, _ = self.gru(torch.cat([f0_features, loudness_features], dim=-1))
        hidden = self.out_mlp(torch.cat([recurrent, f0_features, loudness_features], dim=-1))
        amplitude, harmonics, noise = torch.split(
            self.head(hidden),
            [1, self.config.n_harmonics, self.config.n_noise_bands],
            dim=-1,
        )
        return SynthControls(
            amplitude=exp_sigmoid(amplitude),
            harmonic_distribution=torch.softmax(harmonics, dim=-1),
            noise_magnitudes=exp_sigmoid(noise + self._NOISE_BIAS),
        )

    def synthesize(
        self,
        f0_hz: torch.Tensor,
        controls: SynthControls,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Audio from controls: (batch, n_frames) f0 -> (batch, n_frames * hop_samples)."""
        harmonic = synth.harmonic_synth(
            f0_hz[..., None],
            controls.amplitude,
            controls.harmonic_distribution,
            self.config.sample_rate_hz,
            self.config.hop_samples,
        )
        noise = synth.filtered_noise(controls.noise_magnitudes, self.config.hop_samples, generator)
        return harmonic + noise

    def forward(
        self,
        f0_hz: torch.Tensor,
        loudness_db: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """(batch, n_frames) f0 in Hz and loudness in dB -> audio (batch, n_frames * hop)."""
        return self.synthesize(f0_hz, self.controls(f0_hz, loudness_db), generator)
