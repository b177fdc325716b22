"""The contract between the job queue (services.common.catalogue.jobs) and a training backend.

The worker that leased a job calls ``backend.train(spec, dataset_dir, progress)``. The
backend reports steps and losses through ``progress``, checks ``progress.should_stop()``
often (cancel requests and lost leases), and returns what it produced. Checkpoints the
backend wants to resume from are saved through ``progress.save_checkpoint`` so a job whose
worker was killed can continue on another worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class TrainingSpec:
    """What to train: validated by the registry before a job is queued."""

    job_id: str
    model_name: str  # the name the trained model is registered under, e.g. "telecaster"
    instrument: str  # free text for captions and the model card, e.g. "Telecaster guitar"
    base_model: str  # e.g. "melody" (a base MusicGen) or "" for a local timbre model
    hyperparameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingResult:
    """What a finished training produced."""

    #: For Replicate: "owner/model:version". For local models: the artifact key prefix.
    version: str
    #: Artifact keys of the files that make up the model (checkpoint, config...).
    artifact_keys: list[str]
    metrics: dict[str, float] = field(default_factory=dict)


class TrainingCancelledError(Exception):
    """Raised by a backend when ``should_stop()`` turned true mid-training."""


class TrainingProgress(Protocol):
    def report(self, step: int, total_steps: int, loss: float, message: str = "") -> None:
        """Records progress (persisted, and streamed to WatchTrainingJob watchers)."""

    def should_stop(self) -> bool:
        """True when the job was cancelled or this worker lost its lease."""

    def save_checkpoint(self, name: str, data: bytes) -> None:
        """Stores resumable state for this job under ``name``."""

    def load_checkpoint(self, name: str) -> bytes | None:
        """The state saved earlier under ``name`` (by this or a previous worker), if any."""


class TrainingBackend(Protocol):
    #: "local" or "replicate".
    name: str

    def train(
        self, spec: TrainingSpec, dataset_dir: Path, progress: TrainingProgress
    ) -> TrainingResult:
        """Trains on the prepared dataset (``*.wav`` chunks at 32 kHz with ``*.txt`` captions)."""
