"""Records of prepared training sets (their chunks live in the artifact store)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from services.common.catalogue.db import Database, Row
from services.common.catalogue.validation import DATASET_ID_PREFIX, validate_id
from services.common.errors import NotFoundError


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    instrument: str
    #: The caption given with the upload ("" when each chunk's caption was derived).
    caption: str
    #: Where the chunks are: ``<prefix>chunk_0000.wav`` + ``<prefix>chunk_0000.txt``, ...
    artifact_prefix: str
    chunk_count: int
    total_duration_s: float
    sample_rate_hz: int
    source_filename: str
    created_at: datetime


def dataset_prefix(dataset_id: str) -> str:
    """The artifact key prefix of a dataset's files."""
    return f"datasets/{validate_id(dataset_id, DATASET_ID_PREFIX, 'dataset')}/"


def _dataset_from_row(row: Row) -> Dataset:
    return Dataset(
        id=row["id"],
        name=row["name"],
        instrument=row["instrument"],
        caption=row["caption"],
        artifact_prefix=row["artifact_prefix"],
        chunk_count=int(row["chunk_count"]),
        total_duration_s=float(row["total_duration_s"]),
        sample_rate_hz=int(row["sample_rate_hz"]),
        source_filename=row["source_filename"],
        created_at=datetime.fromtimestamp(row["created_at"], UTC),
    )


class DatasetRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    def add(
        self,
        *,
        dataset_id: str,
        name: str,
        instrument: str,
        caption: str,
        chunk_count: int,
        total_duration_s: float,
        sample_rate_hz: int,
        source_filename: str,
    ) -> Dataset:
        """Records a dataset whose files are already stored under ``dataset_prefix(id)``."""
        with self._database.transaction() as tx:
            tx.execute(
                "INSERT INTO datasets (id, name, instrument, caption, artifact_prefix,"
                " chunk_count, total_duration_s, sample_rate_hz, source_filename, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    dataset_id,
                    name,
                    instrument,
                    caption,
                    dataset_prefix(dataset_id),
                    chunk_count,
                    total_duration_s,
                    sample_rate_hz,
                    source_filename,
                    time.time(),
                ),
            )
        return self.get(dataset_id)

    def get(self, dataset_id: str) -> Dataset:
        validate_id(dataset_id, DATASET_ID_PREFIX, "dataset")
        with self._database.transaction(readonly=True) as tx:
            row = tx.fetch_one("SELECT * FROM datasets WHERE id = ?", (dataset_id,))
        if row is None:
            raise NotFoundError(f"no dataset with id {dataset_id!r}")
        return _dataset_from_row(row)

    def list_datasets(self) -> list[Dataset]:
        """Every dataset, newest first."""
        with self._database.transaction(readonly=True) as tx:
            rows = tx.fetch_all("SELECT * FROM datasets ORDER BY created_at DESC, id")
        return [_dataset_from_row(row) for row in rows]
