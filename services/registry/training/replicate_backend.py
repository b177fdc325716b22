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

import functools
import json
import logging
import re
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import replicate
from replicate.training import Training

from services.common import replicate as replicate_api
from services.common.artifacts import ArtifactStore
from services.common.errors import InvalidInputError, PreconditionError
from services.common.retry import RetryPolicy
from services.common.settings import Settings
from services.registry.training import stopping
from services.registry.training.base import (
    TrainingCancelledError,
    TrainingProgress,
    TrainingResult,
    TrainingSpec,
)

logger = logging.getLogger(__name__)

#: The job checkpoint that remembers which Replicate training this job started.
TRAINING_CHECKPOINT = "replicate_training.json"
#: Training inputs the backend sets itself; hyperparameters may not override them.
RESERVED_INPUTS = ("dataset_path", "model_version")
_VERSION_PATTERN = re.compile(r"[\w.-]+/[\w.-]+:[0-9a-f]{8,}")
_EPOCH_PATTERN = re.compile(r"epoch\D{0,3}(\d+)\s*/\s*(\d+)", re.IGNORECASE)
_LOSS_PATTERN = re.compile(r"loss\W{0,3}([0-9]*\.?[0-9]+(?:e-?\d+)?)", re.IGNORECASE)
#: How often a sleeping poll loop wakes to see whether the job should stop, in seconds.
_STOP_CHECK_S = 1.0


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
        reserved = sorted(set(spec.hyperparameters) & set(RESERVED_INPUTS))
        if reserved:
            raise InvalidInputError(
                f"hyperparameters may not set {', '.join(reserved)}: the backend sets them"
            )
        client = replicate_api.make_client(self._settings)
        policy = replicate_api.retry_policy(self._settings)
        started = self._monotonic()

        training_id = _saved_training_id(progress)
        if training_id is None:
            training = self._start(spec, dataset_dir, client, policy, trainer_version, owner)
            progress.save_checkpoint(
                TRAINING_CHECKPOINT, json.dumps({"training_id": training.id}).encode()
            )
        else:
            logger.info("resuming to follow Replicate training %s", training_id)
            training = replicate_api.call(
                lambda: client.trainings.get(training_id),
                policy,
                f"reading training {training_id}",
            )
        training = self._follow(training, client, policy, progress)
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
        client: replicate.Client,
        policy: RetryPolicy,
        trainer_version: str,
        owner: str,
    ) -> Training:
        destination = f"{owner}/{spec.model_name}"
        self._ensure_destination(client, policy, owner, spec.model_name)
        with tempfile.TemporaryDirectory(prefix="replicate-dataset-") as scratch:
            archive = zip_dataset(dataset_dir, Path(scratch) / f"{spec.model_name}.zip")
            uploaded = replicate_api.call(
                lambda: client.files.create(archive, content_type="application/zip"),
                policy,
                "uploading the training dataset",
            )
        training_input: dict[str, Any] = {
            "dataset_path": uploaded.urls["get"],
            **spec.hyperparameters,
        }
        if spec.base_model:
            training_input["model_version"] = spec.base_model
        training = replicate_api.call(
            lambda: client.trainings.create(
                version=trainer_version, input=training_input, destination=destination
            ),
            policy,
            f"starting the training of {destination}",
        )
        logger.info("started Replicate training %s for %s", training.id, destination)
        return training

    def _ensure_destination(
        self, client: replicate.Client, policy: RetryPolicy, owner: str, name: str
    ) -> None:
        def get_or_create() -> None:
            try:
                client.models.get(owner, name)
            except replicate.exceptions.ReplicateError as error:
                if not replicate_api.is_not_found(error):
                    raise
                client.models.create(
                    owner=owner,
                    name=name,
                    visibility="private",
                    hardware=self._settings.replicate_training_hardware,
                    description=f"MusicGen fine-tuned by Expert Music AI ({name})",
                )

        replicate_api.call(get_or_create, policy, f"preparing the model {owner}/{name}")

    def _follow(
        self,
        training: Training,
        client: replicate.Client,
        policy: RetryPolicy,
        progress: TrainingProgress,
    ) -> Training:
        deadline = self._monotonic() + self._settings.replicate_training_timeout_s
        while training.status not in replicate_api.TERMINAL_STATUSES:
            self._report(training, progress)
            self._wait(self._settings.replicate_training_poll_interval_s, progress)
            if progress.should_stop():
                self._stop(training, client, policy, progress)
            if self._monotonic() > deadline:
                _cancel(training, client, policy)
                raise TimeoutError(
                    f"Replicate training {training.id} did not finish within "
                    f"{self._settings.replicate_training_timeout_s:g} s; it was cancelled"
                )
            training = replicate_api.call(
                functools.partial(client.trainings.get, training.id),
                policy,
                f"polling training {training.id}",
            )
        self._report(training, progress)
        return training

    def _wait(self, seconds: float, progress: TrainingProgress) -> None:
        """Sleeps ``seconds``, waking early when the job should stop."""
        until = self._monotonic() + seconds
        while not progress.should_stop():
            remaining = until - self._monotonic()
            if remaining <= 0:
                return
            self._sleep(min(_STOP_CHECK_S, remaining))

    def _stop(
        self,
        training: Training,
        client: replicate.Client,
        policy: RetryPolicy,
        progress: TrainingProgress,
    ) -> None:
        reason = stopping.stop_reason(progress)
        if reason == stopping.CANCELLED:
            _cancel(training, client, policy)
            raise TrainingCancelledError(f"Replicate training {training.id} was cancelled")
        # The job goes on elsewhere: the next worker follows this training (checkpoint).
        raise TrainingCancelledError(
            f"stopped following Replicate training {training.id} ({reason}); it keeps running"
        )

    @staticmethod
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


def _cancel(training: Training, client: replicate.Client, policy: RetryPolicy) -> None:
    """Cancels a training; a failure is logged, not raised (the job ends either way)."""
    try:
        replicate_api.call(
            lambda: client.trainings.cancel(training.id),
            policy,
            f"cancelling training {training.id}",
        )
    except Exception:
        logger.exception("could not cancel Replicate training %s", training.id)


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
    """The factory services.registry.backends loads (the artifact store is not needed:
    the dataset travels to Replicate, the model stays there)."""
    return ReplicateBackend(settings)
