"""Operations that span the registry's parts: deleting a model's files, backend checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.artifacts import LocalArtifactStore
from services.common.catalogue.db import Database
from services.common.errors import InvalidInputError, NotFoundError
from services.common.settings import Settings
from services.registry.registry import Registry


@pytest.fixture
def registry(database: Database, tmp_path: Path) -> Registry:
    return Registry(database, LocalArtifactStore(tmp_path / "artifacts"), Settings())


def test_deleting_a_local_model_removes_its_files(registry: Registry, dataset_id: str) -> None:
    job = registry.submit_job(dataset_id=dataset_id, model_name="telecaster", backend="local")
    registry.jobs.claim("worker-a", lease_s=30)
    version = f"models/telecaster/{job.id}/"
    registry.artifacts.put(f"{version}timbre_model.pt", b"weights")
    registry.artifacts.put("models/telecaster_two/other.pt", b"other model")
    model_id = registry.jobs.succeed(job.id, "worker-a", version=version).result_model_id
    assert model_id is not None

    deleted = registry.delete_model(model_id)
    assert deleted.name == "telecaster"
    assert registry.artifacts.list(version) == []
    assert registry.artifacts.exists("models/telecaster_two/other.pt")
    assert registry.models.summary().fine_tuned == {}
    with pytest.raises(NotFoundError):
        registry.models.get(model_id)
    # The job keeps its history; only the model is gone.
    assert registry.jobs.get(job.id).result_model_id == model_id


def test_jobs_may_only_ask_for_known_backends(registry: Registry, dataset_id: str) -> None:
    with pytest.raises(InvalidInputError, match="choose one of: local, replicate"):
        registry.submit_job(dataset_id=dataset_id, model_name="t", backend="quantum")
