"""The registry's domain in one object: what the gRPC servicer calls, knowing nothing of
gRPC. Repositories, the job queue and dataset preparation share one database and one
artifact store; the few operations that span them live here."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from services.common.artifacts import ArtifactStore, artifact_store_from_settings
from services.common.catalogue.datasets import DatasetRepository
from services.common.catalogue.db import Database
from services.common.catalogue.jobs import TRAINING_BACKENDS, JobQueue, TrainingJob
from services.common.catalogue.models import Engine, Model, ModelRepository
from services.common.errors import InvalidInputError
from services.common.settings import Settings
from services.registry.preparation import DatasetPreparer


class Registry:
    def __init__(
        self,
        database: Database,
        artifacts: ArtifactStore,
        settings: Settings,
        backend_names: Collection[str] = TRAINING_BACKENDS,
    ) -> None:
        """
        Args:
            backend_names: The training backends jobs may ask for (the workers' names).
        """
        self.database = database
        self.artifacts = artifacts
        self.models = ModelRepository(database)
        self.datasets = DatasetRepository(database)
        self.jobs = JobQueue(database, max_attempts=settings.registry_max_attempts)
        self.preparer = DatasetPreparer.from_settings(settings, artifacts, self.datasets)
        self._backend_names = frozenset(backend_names)

    @classmethod
    def from_settings(cls, settings: Settings) -> Registry:
        """On the configured database (migrated here) and artifact store."""
        database = Database.from_settings(settings)
        database.migrate()
        return cls(database, artifact_store_from_settings(settings), settings)

    def delete_model(self, model_id: str) -> Model:
        """Deletes a fine-tuned model and, for a local one, its files."""
        model = self.models.delete(model_id)
        if model.engine is Engine.LOCAL and model.version.endswith("/"):
            self.artifacts.delete_prefix(model.version)
        return model

    def submit_job(
        self,
        *,
        dataset_id: str,
        model_name: str,
        backend: str,
        base_model: str = "",
        instrument: str = "",
        hyperparameters: Mapping[str, Any] | None = None,
    ) -> TrainingJob:
        """Queues a training job on one of the known backends (see JobQueue.submit)."""
        if backend not in self._backend_names:
            raise InvalidInputError(
                f"unknown training backend {backend!r}; "
                f"choose one of: {', '.join(sorted(self._backend_names))}"
            )
        return self.jobs.submit(
            dataset_id=dataset_id,
            model_name=model_name,
            backend=backend,
            base_model=base_model,
            instrument=instrument,
            hyperparameters=hyperparameters,
        )
