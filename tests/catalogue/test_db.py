"""The registry database: migrations, engine settings and parameterized queries."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from services.common.catalogue.datasets import DatasetRepository
from services.common.catalogue.db import MIGRATIONS_DIR, Database, revisions
from services.common.catalogue.validation import DATASET_ID_PREFIX, new_id


def test_migrations_form_one_line_of_numbered_revisions() -> None:
    assert revisions() == [f"{number:04d}" for number in range(1, len(revisions()) + 1)]
    assert len(revisions()) >= 2


def test_migrations_are_applied_once_and_recorded(database_url: str) -> None:
    database = Database(database_url)
    assert database.migrate() == revisions()
    assert database.migrate() == []
    with database.transaction(readonly=True) as tx:
        (row,) = tx.fetch_all("SELECT version_num FROM alembic_version")
    assert row["version_num"] == revisions()[-1]
    database.close()


BROKEN_REVISION = """
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"


def upgrade() -> None:
    op.execute("CREATE TABLE half_done (id TEXT)")
    op.execute("NOT SQL AT ALL")
"""


def test_a_failing_migration_leaves_nothing_behind(database_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, broken, ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "versions" / "9999_broken.py").write_text(
        BROKEN_REVISION.format(revision="9999", down_revision=revisions()[-1])
    )
    database = Database(database_url)
    with pytest.raises(Exception, match=r"(?i)syntax"):
        database.migrate(broken)
    # Nothing of the batch was committed: the next migrate() applies all of it.
    assert database.migrate() == revisions()
    with database.transaction(readonly=True) as tx:
        tables = tx.fetch_all(
            "SELECT name FROM sqlite_master WHERE name = 'half_done'"
            if database.dialect == "sqlite"
            else "SELECT tablename AS name FROM pg_tables WHERE tablename = 'half_done'"
            " AND schemaname = current_schema()"
        )
    assert tables == []
    database.close()


def test_a_database_migrated_before_alembic_is_taken_up_where_it_stood(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    database = Database(str(path))
    database.migrate()
    with database.transaction() as tx:
        tx.execute("DROP TABLE alembic_version")
        tx.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at DOUBLE PRECISION NOT NULL)"
        )
        tx.execute(
            "INSERT INTO schema_migrations VALUES (1, '0001_initial_schema', 0),"
            " (2, '0002_seed_base_models', 0)"
        )

    # Re-creating the tables (or the base models) would fail: they are all there.
    assert database.migrate() == revisions()[2:]
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
