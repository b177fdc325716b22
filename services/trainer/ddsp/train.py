"""Training a timbre model on the CPU, and the job queue's "local" backend around it.

:func:`train_decoder` is the loop: random crops, the decoder's audio, the multi-scale
spectral loss, Adam with an exponentially decaying learning rate. It reports through the
job's :class:`TrainingProgress`, stops when asked, and every ``checkpoint_every`` steps
saves everything needed to carry on (weights, optimizer, step, random state) so a job
whose worker died resumes where the last checkpoint left it.

:class:`DdspBackend` reads the prepared dataset, runs the loop, and stores the trained
model in the artifact store.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from services.common.artifacts import ArtifactStore
from services.common.errors import InvalidInputError
from services.common.f0.engines import DEFAULT_ENGINE
from services.common.settings import Settings
from services.common.timbre.checkpoint import (
    MODEL_FILE_NAME,
    InstrumentRange,
    TimbreModel,
    model_to_bytes,
)
from services.common.timbre.model import DdspConfig, DdspDecoder
from services.trainer import stopping
from services.trainer.base import (
    TrainingCancelledError,
    TrainingProgress,
    TrainingResult,
    TrainingSpec,
)
from services.trainer.ddsp.data import (
    CropSampler,
    Recording,
    load_recordings,
    total_duration_s,
)
from services.trainer.ddsp.loss import SpectralLossConfig, multiscale_spectral_loss

logger = logging.getLogger(__name__)

#: The progress checkpoint name of the training state.
STATE_CHECKPOINT = "ddsp_state.pt"


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    steps: optimizer steps in all.
    batch_size: crops per step.
    crop_frames: frames per crop (64 frames of 16 ms = 1.02 s).
    learning_rate: Adam's initial step size.
    final_learning_rate: the step size at the last step (exponential decay in between).
    gradient_clip: maximum global gradient norm.
    report_every: steps between progress reports (and cancellation checks).
    checkpoint_every: steps between resumable checkpoints.
    threads: torch intra-op threads. Two train 2 minutes of audio in about 70 s where
        the cores are ours (against 110 s with one), but where other processes keep the
        cores busy the second OpenMP thread mostly spins and training ran up to 6x
        slower: use 1 on crowded machines.
    seed: seeds initialization, crop choice and noise.
    pitch_engine: the f0 tracker of services.common.f0.engines.
    """

    steps: int = 800
    batch_size: int = 8
    crop_frames: int = 64
    learning_rate: float = 2e-3
    final_learning_rate: float = 2e-4
    gradient_clip: float = 3.0
    report_every: int = 10
    checkpoint_every: int = 100
    threads: int = 2
    seed: int = 0
    pitch_engine: str = DEFAULT_ENGINE

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "crop_frames", "report_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.final_learning_rate <= self.learning_rate:
            raise ValueError("learning rates must satisfy 0 < final_learning_rate <= learning_rate")

    def learning_rate_at(self, step: int) -> float:
        """Exponential decay from learning_rate (step 0) to final_learning_rate (last step)."""
        progress = step / max(1, self.steps - 1)
        return self.learning_rate * (self.final_learning_rate / self.learning_rate) ** progress


def configs_from_hyperparameters(
    hyperparameters: Mapping[str, Any],
) -> tuple[DdspConfig, TrainConfig]:
    """Splits a job's hyperparameters into the model's and the training's configs.

    Every field of :class:`DdspConfig` and :class:`TrainConfig` may be given; the rest
    keep their defaults.

    Raises:
        InvalidInputError: An unknown name, or a value of the wrong type or range.
    """
    model_names = {f.name: f for f in fields(DdspConfig)}
    train_names = {f.name: f for f in fields(TrainConfig)}
    unknown = sorted(set(hyperparameters) - set(model_names) - set(train_names))
    if unknown:
        raise InvalidInputError(
            f"unknown hyperparameters for the local backend: {', '.join(unknown)}; valid: "
            f"{', '.join(sorted(model_names | train_names))}"
        )
    try:
        model_values = {
            k: _typed(v, model_names[k].type)
            for k, v in hyperparameters.items()
            if k in model_names
        }
        train_values = {
            k: _typed(v, train_names[k].type)
            for k, v in hyperparameters.items()
            if k in train_names
        }
        return DdspConfig(**model_values), TrainConfig(**train_values)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"invalid hyperparameters for the local backend: {error}"
        ) from error


def _typed(value: Any, annotation: Any) -> Any:
    # Hyperparameters arrive as JSON, where 2 and 2.0 (and "2") are easy to mix up; the
    # dataclass annotations are strings under `from __future__ import annotations`.
    kind = {"int": int, "float": float, "str": str}[str(annotation)]
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    if kind is not str and isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return kind(value)


@dataclass(frozen=True)
class TrainedDecoder:
    """What :func:`train_decoder` produced: the decoder, the mean loss of its last report
    interval, the steps run in this call and the wall time they took, in seconds."""

    decoder: DdspDecoder
    final_loss: float
    steps_run: int
    seconds: float


def train_decoder(
    recordings: list[Recording],
    model_config: DdspConfig,
    train_config: TrainConfig,
    progress: TrainingProgress,
    loss_config: SpectralLossConfig | None = None,
) -> TrainedDecoder:
    """Trains a decoder on analysed recordings, resuming from the job's checkpoint if any.

    Raises:
        TrainingCancelledError: ``progress.should_stop()`` turned true.
    """
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(train_config.threads)
    try:
        return _train(recordings, model_config, train_config, progress, loss_config)
    finally:
        torch.set_num_threads(previous_threads)


def _train(
    recordings: list[Recording],
    model_config: DdspConfig,
    train_config: TrainConfig,
    progress: TrainingProgress,
    loss_config: SpectralLossConfig | None,
) -> TrainedDecoder:
    started = time.monotonic()
    torch.manual_seed(train_config.seed)
    decoder = DdspDecoder(model_config)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=train_config.learning_rate)
    generator = torch.Generator().manual_seed(train_config.seed)
    sampler = CropSampler(recordings, train_config.crop_frames, model_config.hop_samples)
    first_step = _resume(progress, decoder, optimizer, generator, model_config, train_config)

    decoder.train()
    interval_losses: list[float] = []
    final_loss = float("nan")
    for step in range(first_step, train_config.steps):
        if step % train_config.report_every == 0 and progress.should_stop():
            if stopping.stop_reason(progress) == stopping.SHUTDOWN and step > first_step:
                # The job goes back to the queue: let the next worker start from here.
                progress.save_checkpoint(
                    STATE_CHECKPOINT,
                    _state_bytes(step, decoder, optimizer, generator, model_config, train_config),
                )
            raise TrainingCancelledError(f"training stopped at step {step}")
        for group in optimizer.param_groups:
            group["lr"] = train_config.learning_rate_at(step)
        batch = sampler.sample(train_config.batch_size, generator)
        audio = decoder(batch.f0_hz, batch.loudness_db, generator)
        loss = multiscale_spectral_loss(audio, batch.audio, loss_config)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(decoder.parameters(), train_config.gradient_clip)
        optimizer.step()

        interval_losses.append(loss.item())
        done = step + 1
        if done % train_config.report_every == 0 or done == train_config.steps:
            final_loss = float(np.mean(interval_losses))
            interval_losses.clear()
            progress.report(done, train_config.steps, final_loss)
        if done % train_config.checkpoint_every == 0 and done < train_config.steps:
            progress.save_checkpoint(
                STATE_CHECKPOINT,
                _state_bytes(done, decoder, optimizer, generator, model_config, train_config),
            )
    decoder.eval()
    return TrainedDecoder(
        decoder=decoder,
        final_loss=final_loss,
        steps_run=train_config.steps - first_step,
        seconds=time.monotonic() - started,
    )


def _state_bytes(
    step: int,
    decoder: DdspDecoder,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    model_config: DdspConfig,
    train_config: TrainConfig,
) -> bytes:
    buffer = io.BytesIO()
    torch.save(
        {
            "step": step,
            "model_config": asdict(model_config),
            "train_config": asdict(train_config),
            "decoder": decoder.state_dict(),
            "optimizer": optimizer.state_dict(),
            "generator": generator.get_state(),
        },
        buffer,
    )
    return buffer.getvalue()


def _resume(
    progress: TrainingProgress,
    decoder: DdspDecoder,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    model_config: DdspConfig,
    train_config: TrainConfig,
) -> int:
    """Loads the job's saved state into the objects; returns the step to continue from."""
    data = progress.load_checkpoint(STATE_CHECKPOINT)
    if data is None:
        return 0
    state = torch.load(io.BytesIO(data), weights_only=True)
    if state["model_config"] != asdict(model_config) or state["train_config"] != asdict(
        train_config
    ):
        # The job's hyperparameters cannot change, so this is a checkpoint from another
        # version of this code: starting over is safe, continuing is not.
        logger.warning("ignoring a training checkpoint made with a different configuration")
        return 0
    decoder.load_state_dict(state["decoder"])
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    logger.info("resuming training", extra={"step": state["step"]})
    return int(state["step"])


def instrument_range(recordings: list[Recording]) -> InstrumentRange:
    """The loudness and pitch range of the voiced frames of the recordings."""
    voiced_loudness = np.concatenate([r.loudness_db[r.voiced] for r in recordings])
    voiced_f0 = np.concatenate([r.f0_hz[r.voiced] for r in recordings])
    quiet_db, loud_db = np.percentile(voiced_loudness, [10, 95])
    low_hz, high_hz = np.percentile(voiced_f0, [2, 98])
    return InstrumentRange(
        loudness_db=(float(quiet_db), float(loud_db)), f0_hz=(float(low_hz), float(high_hz))
    )


def model_prefix(spec: TrainingSpec) -> str:
    """Where a local model's files live in the artifact store."""
    return f"models/{spec.model_name}/{spec.job_id}"


class DdspBackend:
    """The "local" training backend: a DDSP timbre model trained on this machine's CPU.

    The trained model is stored as ``models/<model_name>/<job_id>/timbre_model.pt``;
    ``TrainingResult.version`` is that key's prefix.
    """

    name = "local"

    def __init__(self, artifacts: ArtifactStore) -> None:
        self._artifacts = artifacts

    def train(
        self, spec: TrainingSpec, dataset_dir: Path, progress: TrainingProgress
    ) -> TrainingResult:
        """Trains on the dataset's ``*.wav`` chunks; the hyperparameters are the fields of
        DdspConfig and TrainConfig.

        Raises:
            InvalidInputError: Unknown or malformed hyperparameters.
            PreconditionError: The dataset holds no pitched audio.
            TrainingCancelledError: The job was cancelled or its lease lost.
        """
        model_config, train_config = configs_from_hyperparameters(spec.hyperparameters)
        recordings = load_recordings(
            dataset_dir,
            model_config.sample_rate_hz,
            model_config.hop_samples,
            train_config.pitch_engine,
        )
        trained = train_decoder(recordings, model_config, train_config, progress)
        model = TimbreModel(
            decoder=trained.decoder,
            instrument=spec.instrument,
            instrument_range=instrument_range(recordings),
        )
        prefix = model_prefix(spec)
        key = f"{prefix}/{MODEL_FILE_NAME}"
        self._artifacts.put(key, model_to_bytes(model))
        return TrainingResult(
            version=prefix,
            artifact_keys=[key],
            metrics={
                "final_loss": trained.final_loss,
                "training_seconds": trained.seconds,
                "audio_seconds": total_duration_s(recordings, model_config.sample_rate_hz),
                "steps": float(train_config.steps),
            },
        )


def create_backend(settings: Settings, artifacts: ArtifactStore) -> DdspBackend:
    """The factory services.trainer.backends loads."""
    return DdspBackend(artifacts)
