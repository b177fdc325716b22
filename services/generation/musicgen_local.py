"""MusicGen on this machine, through ``transformers``, when its weights are on disk.

No package ships MusicGen weights and nothing is downloaded at run time: MUSICGEN_MODEL_DIR
must name a directory written by ``save_pretrained`` (``config.json``, the weights and the
T5 tokenizer files), such as a copy of facebook/musicgen-small. It is loaded once, with
``local_files_only=True``, and generates from a text prompt.

``transformers`` is imported only here and only when a local generation is asked for: it
takes seconds to import, and a registry that never generates locally should not pay that.
(It would also import torchaudio if that were installed; it is not, on purpose.)
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from services.common.errors import InvalidInputError, PreconditionError

logger = logging.getLogger(__name__)

#: MusicGen was trained on 30 s excerpts; its position embeddings end there.
MAX_DURATION_S = 30.0
#: Classifier-free guidance strength: audiocraft's and transformers' default for MusicGen.
GUIDANCE_SCALE = 3.0
_SETUP_HINT = (
    "set MUSICGEN_MODEL_DIR to a directory saved with transformers' save_pretrained "
    "(config.json, model weights and tokenizer files), e.g. a copy of facebook/musicgen-small"
)


@dataclass(frozen=True)
class GeneratedClip:
    """Mono audio: samples (n_samples,) float32 in [-1, 1] at sample_rate_hz."""

    samples: npt.NDArray[np.float32]
    sample_rate_hz: int


class LocalMusicgen:
    """A MusicGen checkpoint on disk, loaded on first use; safe to share between threads."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def check_available(self) -> None:
        """Raises PreconditionError (saying how to fix it) unless the directory looks like
        a saved MusicGen: cheap, no weights are read."""
        if not (self.model_dir / "config.json").is_file():
            raise PreconditionError(
                f"no MusicGen weights at {str(self.model_dir)!r}: {_SETUP_HINT}"
            )

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._loaded is None:
                self.check_available()
                from transformers import AutoConfig, AutoTokenizer, MusicgenForConditionalGeneration

                config = AutoConfig.from_pretrained(self.model_dir, local_files_only=True)
                if config.model_type != "musicgen":
                    raise PreconditionError(
                        f"the model at {str(self.model_dir)!r} is a {config.model_type!r}, "
                        "not a text-to-music MusicGen; melody MusicGen runs on Replicate"
                    )
                try:
                    tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
                    model = MusicgenForConditionalGeneration.from_pretrained(
                        self.model_dir, local_files_only=True
                    ).eval()
                except (OSError, ValueError) as error:
                    raise PreconditionError(
                        f"could not load MusicGen from {str(self.model_dir)!r}: {error}; "
                        f"{_SETUP_HINT}"
                    ) from error
                logger.info("loaded MusicGen", extra={"model_dir": str(self.model_dir)})
                self._loaded = (tokenizer, model)
            return self._loaded

    def generate(self, prompt: str, duration_s: float, seed: int = 0) -> GeneratedClip:
        """Music for a text prompt.

        Args:
            prompt: What to play, e.g. "warm Telecaster lead over brushed drums".
            duration_s: Length of the result, seconds (0, 30].
            seed: Seeds the sampling, so the same request gives the same music.

        Returns:
            Mono audio at the checkpoint's rate (32 kHz for the published models),
            ``duration_s`` long (or a little shorter: MusicGen's codebook delay pattern
            costs a few frames).

        Raises:
            InvalidInputError: Empty prompt or a duration outside (0, 30] s.
            PreconditionError: The weights are missing or not a MusicGen.
        """
        if not prompt.strip():
            raise InvalidInputError("MusicGen needs a prompt describing the music")
        if not 0 < duration_s <= MAX_DURATION_S:
            raise InvalidInputError(
                f"duration must be within (0, {MAX_DURATION_S:g}] s, got {duration_s:g}"
            )
        tokenizer, model = self._load()
        audio_config = model.config.audio_encoder
        sample_rate_hz = int(audio_config.sampling_rate)
        inputs = tokenizer([prompt], padding=True, return_tensors="pt")
        torch.manual_seed(seed)
        with torch.inference_mode():
            audio = model.generate(
                **inputs,
                do_sample=True,
                guidance_scale=GUIDANCE_SCALE,
                max_new_tokens=max(1, round(duration_s * audio_config.frame_rate)),
            )  # (batch, channels, n_samples)
        samples = audio[0].float().mean(dim=0).numpy()[: round(duration_s * sample_rate_hz)]
        return GeneratedClip(
            samples=np.clip(samples, -1.0, 1.0).astype(np.float32), sample_rate_hz=sample_rate_hz
        )
