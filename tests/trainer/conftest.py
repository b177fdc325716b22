"""Database fixtures (SQLite, and PostgreSQL at TEST_DATABASE_URL): see tests.support.catalogue."""

from tests.support.catalogue import (  # noqa: F401  (fixtures, found by name)
    database,
    database_url,
    dataset_id,
    postgres_schema_url,
)
