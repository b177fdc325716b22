"""The "replicate" training backend: MusicGen fine-tuned on Replicate, as the seed does it.

1. The prepared dataset (32 kHz ``*.wav`` chunks with ``*.txt`` captions) is zipped and
   uploaded through Replicate's files API.
2. The destination model ``<REPLICATE_OWNER>/<model name>`` is created (private) unless
   it exists: Replicate pushes the trained version there.
3. A training of the configured trainer (REPLICATE_MUSICGEN_TRAINER_VERSION) is created
   with the dataset's URL, the base MusicGen (``spec.base_model``) and the job's
   hyperparameters as its input. Its id is saved as the job's checkpoint at once, so a
   worker that dies while polling is replaced by one that polls the same training
   instead of paying for a second.
4. The training is polled until it ends; its logs' epoch and loss become progress. A
   cancelled job cancels the training; a worker shutting down or losing its lease
   leaves it running for the next worker.

The result's version is the new model version, "owner/name:version-id".
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from replicate.training import Training

from services.common.artifacts import ArtifactStore
from services.common.errors import PreconditionError
from services.common.musicgen import musicgen_training_input
from services.common.replicate import ReplicateClient, RunStoppedError, RunTimedOutError
from services.common.settings import Settings
from services.trainer import stopping
from services.trainer.base import (
    TrainingCancelledError,
    TrainingProgress,
    TrainingResult,
    TrainingSpec,
)

logger = logging.getLogger(__name__)

#: The job checkpoint that remembers which Replicate training this job started.
TRAINING_CHECKPOINT = "replicate_training.json"
_VERSION_PATTERN = re.compile(r"[\w.-]+/[\w.-]+:[0-9a-f]{8,}")
_EPOCH_PATTERN = re.compile(r"epoch\D{0,3}(\d+)\s*/\s*(\d+)", re.IGNORECASE)
_LOSS_PATTERN = re.compile(r"loss\W{0,3}([0-9]*\.?[0-9]+(?:e-?\d+)?)", re.IGNORECASE)


@dataclass(frozen=True)
class TrainingLogProgress:
    """What a trainer's log says so far: epoch (0 when unknown) of total, last loss."""

    epoch: int
    total_epochs: int
    loss: float


def parse_training_logs(logs: str) -> TrainingLogProgress:
    """The last "epoch N/M" and "loss X" a trainer logged (NaN loss when none)."""
    epochs = _EPOCH_PATTERN.findall(logs)
    losses = _LOSS_PATTERN.findall(logs)
    epoch, total = (int(epochs[-1][0]), int(epochs[-1][1])) if epochs else (0, 0)
    return TrainingLogProgress(
        epoch=epoch, total_epochs=total, loss=float(losses[-1]) if losses else float("nan")
    )


def zip_dataset(dataset_dir: Path, destination: Path) -> Path:
    """Zips the dataset's ``*.wav`` chunks and ``*.txt`` captions, flat, into destination.

    Audio barely compresses, so members are stored, which keeps zipping quick.

    Raises:
        PreconditionError: The directory holds no ``*.wav`` file.
    """
    members = sorted(dataset_dir.glob("*.wav")) + sorted(dataset_dir.glob("*.txt"))
    if not any(path.suffix == ".wav" for path in members):
        raise PreconditionError(f"the dataset at {dataset_dir} holds no .wav chunks")
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in members:
            archive.write(path, arcname=path.name)
    return destination


class ReplicateBackend:
    """Fine-tunes MusicGen on Replicate (see the module docstring)."""

    name = "replicate"

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._monotonic = monotonic

    def train(
        self, spec: TrainingSpec, dataset_dir: Path, progress: TrainingProgress
    ) -> TrainingResult:
        """Runs (or resumes following) the job's training on Replicate.

        Raises:
            PreconditionError: Replicate or the trainer is not configured, the dataset is
                empty, or the training failed on Replicate (with its error).
            InvalidInputError: A hyperparameter tries to set a reserved input.
            UnavailableError: Replicate kept failing after retries (the job may be retried).
            TrainingCancelledError: The job was cancelled (the training is cancelled too)
                or this worker must stop (the training is left running).
            TimeoutError: The training ran past REPLICATE_TRAINING_TIMEOUT_S (cancelled).
        """
        trainer_version, owner = self._configured_trainer()
        # Checked before anything is uploaded or paid for.
        musicgen_training_input("", spec.base_model, spec.hyperparameters)
        client = ReplicateClient(self._settings, sleep=self._sleep, monotonic=self._monotonic)
        started = self._monotonic()

        training_id = _saved_training_id(progress)
        if training_id is None:
            training = self._start(spec, dataset_dir, client, trainer_version, owner)
            progress.save_checkpoint(
                TRAINING_CHECKPOINT, json.dumps({"training_id": training.id}).encode()
            )
        else:
            logger.info("resuming to follow Replicate training %s", training_id)
            training = client.get_training(training_id)
        training = self._follow(training, client, progress)
        return _result(training, seconds=self._monotonic() - started)

    def _configured_trainer(self) -> tuple[str, str]:
        trainer_version = self._settings.replicate_musicgen_trainer_version
        if not _VERSION_PATTERN.fullmatch(trainer_version):
            raise PreconditionError(
                "MusicGen fine-tuning on Replicate is not configured: set "
                "REPLICATE_MUSICGEN_TRAINER_VERSION to the trainer's 'owner/name:version-id' "
                f"(got {trainer_version!r})"
            )
        if not self._settings.replicate_owner:
            raise PreconditionError(
                "set REPLICATE_OWNER to the Replicate account that fine-tuned models are pushed to"
            )
        return trainer_version, self._settings.replicate_owner

    def _start(
        self,
        spec: TrainingSpec,
        dataset_dir: Path,
        client: ReplicateClient,
        trainer_version: str,
        owner: str,
    ) -> Training:
        client.ensure_model(
            owner,
            spec.model_name,
            hardware=self._settings.replicate_training_hardware,
            description=f"MusicGen fine-tuned by Expert Music AI ({spec.model_name})",
        )
        with tempfile.TemporaryDirectory(prefix="replicate-dataset-") as scratch:
            archive = zip_dataset(dataset_dir, Path(scratch) / f"{spec.model_name}.zip")
            dataset_url = client.upload(archive, content_type="application/zip")
        training_input = musicgen_training_input(dataset_url, spec.base_model, spec.hyperparameters)
        destination = f"{owner}/{spec.model_name}"
        training = client.start_training(trainer_version, training_input, destination)
        logger.info("started Replicate training %s for %s", training.id, destination)
        return training

    def _follow(
        self, training: Training, client: ReplicateClient, progress: TrainingProgress
    ) -> Training:
        try:
            return client.follow(
                training,
                timeout_s=self._settings.replicate_training_timeout_s,
                poll_interval_s=self._settings.replicate_training_poll_interval_s,
                on_poll=lambda current: _report(current, progress),
                should_stop=progress.should_stop,
            )
        except RunTimedOutError as error:
            # The job fails (a retry would only pay for the same wait again).
            raise TimeoutError(f"Replicate {error}") from None
        except RunStoppedError:
            reason = stopping.stop_reason(progress)
            if reason == stopping.CANCELLED:
                client.cancel(training)
                raise TrainingCancelledError(
                    f"Replicate training {training.id} was cancelled"
                ) from None
            # The job goes on elsewhere: the next worker follows this training (checkpoint).
            raise TrainingCancelledError(
                f"stopped following Replicate training {training.id} ({reason}); it keeps running"
            ) from None


def _report(training: Training, progress: TrainingProgress) -> None:
    logged = parse_training_logs(training.logs or "")
    progress.report(
        logged.epoch,
        logged.total_epochs,
        logged.loss,
        f"Replicate training {training.id}: {training.status}",
    )


def _saved_training_id(progress: TrainingProgress) -> str | None:
    data = progress.load_checkpoint(TRAINING_CHECKPOINT)
    if data is None:
        return None
    training_id = json.loads(data).get("training_id")
    return str(training_id) if training_id else None


def _result(training: Training, seconds: float) -> TrainingResult:
    if training.status != "succeeded":
        raise PreconditionError(
            f"Replicate training {training.id} {training.status}: "
            f"{training.error or 'no reason given'}"
        )
    output = training.output if isinstance(training.output, dict) else {}
    version = output.get("version")
    if not isinstance(version, str) or not _VERSION_PATTERN.fullmatch(version):
        raise PreconditionError(
            f"Replicate training {training.id} succeeded but named no model version "
            f"(output: {training.output!r})"
        )
    logged = parse_training_logs(training.logs or "")
    metrics = {"training_seconds": seconds}
    if logged.loss == logged.loss:
        metrics["final_loss"] = logged.loss
    return TrainingResult(version=version, artifact_keys=[], metrics=metrics)


def create_backend(settings: Settings, artifacts: ArtifactStore) -> ReplicateBackend:
    """The factory services.trainer.backends loads (the artifact store is not needed:
    the dataset travels to Replicate, the model stays there)."""
    return ReplicateBackend(settings)
