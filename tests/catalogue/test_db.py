"""The registry database: migrations, engine settings and parameterized queries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from services.common.catalogue.datasets import DatasetRepository
from services.common.catalogue.db import Database, Migration, load_migrations
from services.common.catalogue.validation import DATASET_ID_PREFIX, new_id


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    versions = [migration.version for migration in load_migrations()]
    assert versions == list(range(1, len(versions) + 1))
    assert len(versions) >= 2


def test_migrations_are_applied_once_and_recorded(database_url: str) -> None:
    database = Database(database_url)
    applied = database.migrate()
    assert applied == [migration.version for migration in load_migrations()]
    assert database.migrate() == []
    with database.transaction(readonly=True) as tx:
        rows = tx.fetch_all("SELECT version, name FROM schema_migrations ORDER BY version")
    assert [row["name"] for row in rows] == [m.name for m in load_migrations()]
    database.close()


def test_a_failing_migration_leaves_nothing_behind(database_url: str) -> None:
    database = Database(database_url)
    broken = [
        *load_migrations(),
        Migration(99, "0099_broken", "CREATE TABLE half_done (id TEXT);\nNOT SQL AT ALL;"),
    ]
    with pytest.raises(Exception, match=r"(?i)syntax"):
        database.migrate(broken)
    # Nothing of the batch was committed: the first migrate() retries all of it.
    assert database.migrate() == [m.version for m in load_migrations()]
    with database.transaction(readonly=True) as tx:
        versions = {row["version"] for row in tx.fetch_all("SELECT version FROM schema_migrations")}
    assert 99 not in versions
    database.close()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/registry.sqlite3")
    database.migrate()
    with database.transaction(readonly=True) as tx:
        assert tx.fetch_one("PRAGMA journal_mode") == {"journal_mode": "wal"}
        assert tx.fetch_one("PRAGMA foreign_keys") == {"foreign_keys": 1}
        assert tx.fetch_one("PRAGMA busy_timeout") == {"timeout": 10_000}
    with pytest.raises(sqlite3.IntegrityError), database.transaction() as tx:
        tx.execute(
            "INSERT INTO job_events (job_id, seq, created_at, status, step, total_steps)"
            " VALUES ('job_missing', 1, 0, 'queued', 0, 0)"
        )
    database.close()


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="in-memory"):
        Database(":memory:")


def test_quotes_and_sql_in_values_are_stored_as_text(database: Database) -> None:
    hostile = 'licks\'); DROP TABLE datasets; -- 100% "fun" ?'
    repository = DatasetRepository(database)
    dataset = repository.add(
        dataset_id=new_id(DATASET_ID_PREFIX),
        name="licks",
        instrument=hostile,
        caption=hostile,
        chunk_count=1,
        total_duration_s=1.0,
        sample_rate_hz=32000,
        source_filename=hostile,
    )
    assert repository.get(dataset.id).caption == hostile
    assert [d.id for d in repository.list_datasets()] == [dataset.id]


def test_a_failed_transaction_is_rolled_back(database: Database) -> None:
    repository = DatasetRepository(database)
    with pytest.raises(RuntimeError), database.transaction() as tx:
        tx.execute(
            "INSERT INTO datasets (id, name, artifact_prefix, chunk_count, total_duration_s,"
            " sample_rate_hz, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("ds_rolled_back", "x", "datasets/ds_rolled_back/", 0, 0.0, 32000, 0.0),
        )
        raise RuntimeError("boom")
    assert repository.list_datasets() == []
