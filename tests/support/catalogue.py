"""Catalogue fixtures: every database test runs on SQLite and on PostgreSQL.

A test package uses them through its conftest::

    from tests.support.catalogue import database, database_url, dataset_id, postgres_schema_url

PostgreSQL tests use the server at ``TEST_DATABASE_URL`` (``scripts/start-postgres.sh``
starts one and prints it), each test in a schema of its own. Without that variable they
are skipped, unless ``REQUIRE_POSTGRES=1`` (CI), which makes them fail instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from services.common.catalogue.datasets import DatasetRepository
from services.common.catalogue.db import Database
from services.common.catalogue.validation import DATASET_ID_PREFIX, new_id


def postgres_url_or_skip() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url:
        return url
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
    pytest.skip("TEST_DATABASE_URL is not set (see scripts/start-postgres.sh)")


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A libpq URL whose connections see only a fresh, empty schema."""
    import psycopg

    server_url = postgres_url_or_skip()
    schema = f"test_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in server_url else "?"
    yield f"{server_url}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return str(tmp_path_factory.mktemp("registry") / "registry.sqlite3")
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated, empty registry database (SQLite file or PostgreSQL schema)."""
    database = Database(database_url)
    database.migrate()
    yield database
    database.close()


@pytest.fixture
def dataset_id(database: Database) -> str:
    """A recorded dataset to train on (its files are not needed by queue tests)."""
    dataset = DatasetRepository(database).add(
        dataset_id=new_id(DATASET_ID_PREFIX),
        name="telecaster_licks",
        instrument="Telecaster guitar",
        caption="clean Telecaster guitar",
        chunk_count=3,
        total_duration_s=75.0,
        sample_rate_hz=32000,
        source_filename="licks.zip",
    )
    return dataset.id
