"""The model catalogue: the seed's base MusicGen versions and the models training made."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from services.common.catalogue.db import Database, Row, Transaction
from services.common.catalogue.validation import (
    MODEL_ID_PREFIX,
    new_id,
    validate_id,
    validate_name,
    validate_text,
)
from services.common.errors import NotFoundError, PreconditionError


class ModelKind(StrEnum):
    BASE = "base"
    FINE_TUNED = "fine_tuned"


class Engine(StrEnum):
    #: Runs on Replicate; the version is "owner/model:version-id".
    REPLICATE = "replicate"
    #: Runs in our synth service; the version is the artifact key prefix of its files.
    LOCAL = "local"


class ModelStatus(StrEnum):
    READY = "ready"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class Model:
    id: str
    name: str
    kind: ModelKind
    engine: Engine
    version: str
    instrument: str
    description: str
    #: Lineage: the dataset and training job that produced a fine-tuned model.
    dataset_id: str | None
    job_id: str | None
    status: ModelStatus
    created_at: datetime


@dataclass(frozen=True)
class ModelsSummary:
    """The seed's ``GET /models`` shape: name -> version, per kind."""

    base: dict[str, str]
    fine_tuned: dict[str, str]

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {"base": dict(self.base), "fine_tuned": dict(self.fine_tuned)}


def _model_from_row(row: Row) -> Model:
    return Model(
        id=row["id"],
        name=row["name"],
        kind=ModelKind(row["kind"]),
        engine=Engine(row["engine"]),
        version=row["version"],
        instrument=row["instrument"],
        description=row["description"],
        dataset_id=row["dataset_id"],
        job_id=row["job_id"],
        status=ModelStatus(row["status"]),
        created_at=datetime.fromtimestamp(row["created_at"], UTC),
    )


class ModelRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    def list_models(self, kind: ModelKind | None = None) -> list[Model]:
        """Models by kind (base first), then name."""
        sql = "SELECT * FROM models"
        params: tuple[Any, ...] = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            params = (kind.value,)
        with self._database.transaction(readonly=True) as tx:
            rows = tx.fetch_all(sql + " ORDER BY kind, name", params)
        return [_model_from_row(row) for row in rows]

    def get(self, model_id: str) -> Model:
        validate_id(model_id, MODEL_ID_PREFIX, "model")
        with self._database.transaction(readonly=True) as tx:
            row = tx.fetch_one("SELECT * FROM models WHERE id = ?", (model_id,))
        if row is None:
            raise NotFoundError(f"no model with id {model_id!r}")
        return _model_from_row(row)

    def get_by_name(self, name: str) -> Model:
        validate_name(name, "model name")
        with self._database.transaction(readonly=True) as tx:
            row = tx.fetch_one("SELECT * FROM models WHERE name = ?", (name,))
        if row is None:
            raise NotFoundError(f"no model named {name!r}")
        return _model_from_row(row)

    def lookup(self, ref: str) -> Model:
        """A model by id ("mdl_...") or, for anything else, by name.

        Raises:
            InvalidInputError: A malformed id or name.
            NotFoundError: No such model.
        """
        if ref.startswith(f"{MODEL_ID_PREFIX}_"):
            return self.get(ref)
        return self.get_by_name(ref)

    def summary(self) -> ModelsSummary:
        """Ready models as the seed's registry.json: {"base": {...}, "fine_tuned": {...}}."""
        base: dict[str, str] = {}
        fine_tuned: dict[str, str] = {}
        for model in self.list_models():
            if model.status is ModelStatus.READY:
                target = base if model.kind is ModelKind.BASE else fine_tuned
                target[model.name] = model.version
        return ModelsSummary(base=base, fine_tuned=fine_tuned)

    def register_fine_tuned(
        self,
        tx: Transaction,
        *,
        name: str,
        engine: Engine,
        version: str,
        instrument: str,
        description: str,
        dataset_id: str,
        job_id: str,
    ) -> str:
        """Records a trained model inside the caller's transaction; returns its id.

        Training a name again replaces the model's version and lineage (the id stays), so
        the name -> version map of :meth:`summary` always points at the latest training.
        Base model names cannot be taken.
        """
        validate_name(name, "model name")
        existing = tx.fetch_one("SELECT id, kind FROM models WHERE name = ?", (name,))
        values = (
            engine.value,
            version,
            validate_text(instrument, "instrument"),
            validate_text(description, "description"),
            dataset_id,
            job_id,
            ModelStatus.READY.value,
            time.time(),
        )
        if existing is None:
            model_id = new_id(MODEL_ID_PREFIX)
            tx.execute(
                "INSERT INTO models (id, name, kind, engine, version, instrument, description,"
                " dataset_id, job_id, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (model_id, name, ModelKind.FINE_TUNED.value, *values),
            )
            return model_id
        if existing["kind"] != ModelKind.FINE_TUNED.value:
            raise PreconditionError(f"{name!r} is a base model's name; choose another name")
        tx.execute(
            "UPDATE models SET engine = ?, version = ?, instrument = ?, description = ?,"
            " dataset_id = ?, job_id = ?, status = ?, created_at = ? WHERE id = ?",
            (*values, existing["id"]),
        )
        return str(existing["id"])

    def delete(self, model_id: str) -> Model:
        """Removes a fine-tuned model and returns what it was (its files are the caller's
        to remove). Base models belong to the seed and cannot be deleted."""
        model = self.get(model_id)
        if model.kind is ModelKind.BASE:
            raise PreconditionError(
                f"{model.name!r} is a base model; only fine-tuned models can be deleted"
            )
        with self._database.transaction() as tx:
            tx.execute("DELETE FROM models WHERE id = ?", (model_id,))
        return model
