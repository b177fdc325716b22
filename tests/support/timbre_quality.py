"""How well a timbre model learnt an instrument whose spectrum the test knows.

Shared by the DDSP tests and ``bench.timbre``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch

from services.common.timbre.model import DdspDecoder
from services.trainer.ddsp.data import analyse_recording
from services.trainer.ddsp.loss import multiscale_spectral_loss
from tests.support.instruments import play, random_melody


def held_out_loss(
    decoder: DdspDecoder,
    profile: npt.NDArray[np.float64],
    recording_rate_hz: int,
    *,
    duration_s: float,
    seed: int,
) -> float:
    """Spectral loss of the decoder's rendition of ``duration_s`` of notes it never saw."""
    notes = random_melody(np.random.default_rng(seed), duration_s)
    audio = play(notes, profile, recording_rate_hz, seed=seed)
    config = decoder.config
    recording = analyse_recording(
        audio, recording_rate_hz, config.sample_rate_hz, config.hop_samples
    )
    with torch.inference_mode():
        rendered = decoder(
            torch.from_numpy(recording.f0_hz)[None],
            torch.from_numpy(recording.loudness_db)[None],
            torch.Generator().manual_seed(0),
        )
    return float(multiscale_spectral_loss(rendered, torch.from_numpy(recording.audio)[None]))
