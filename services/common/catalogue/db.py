"""The registry's database: SQLite by default, PostgreSQL when a URL says so.

Both run the same SQL. Queries are written with ``?`` placeholders (SQLite's) and turned
into ``%s`` for psycopg (so SQL text never holds a literal ``?``); every value travels
as a parameter, never inside the SQL text.
The schema is built by the numbered files in ``migrations/`` (``0001_*.sql``, ...), each
applied once, in order, inside one transaction, and recorded in ``schema_migrations``.
Types are the ones both engines accept: TEXT, INTEGER, DOUBLE PRECISION; times are Unix
seconds (DOUBLE PRECISION), JSON is TEXT.

Each thread gets its own connection (gRPC handlers run on a thread pool, and neither
sqlite3 nor psycopg connections may be shared by threads mid-transaction).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from services.common.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: How long SQLite waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 10_000
_MIGRATION_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
# An arbitrary constant: the PostgreSQL advisory lock that serializes migrations when a
# server and its workers start at the same moment.
_MIGRATION_LOCK_ID = 7_420_101

Dialect = Literal["sqlite", "postgresql"]
Row = dict[str, Any]


class Transaction:
    """One open transaction: statements run in it, rows come back as dicts."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self._cursor = cursor
        self.dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Runs one statement; returns the number of rows it changed."""
        self._cursor.execute(self._native(sql), tuple(params))
        return int(self._cursor.rowcount)

    def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self._cursor.execute(self._native(sql), tuple(params))
        row = self._cursor.fetchone()
        return None if row is None else dict(row)

    def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cursor.execute(self._native(sql), tuple(params))
        return [dict(row) for row in self._cursor.fetchall()]

    def _native(self, sql: str) -> str:
        if self.dialect == "postgresql":
            # psycopg's placeholders are %s, so a literal % must be doubled first.
            return sql.replace("%", "%%").replace("?", "%s")
        return sql


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """The file's statements. Migrations keep ';' out of string literals and comments."""
        without_comments = "\n".join(
            line for line in self.sql.splitlines() if not line.lstrip().startswith("--")
        )
        return [part.strip() for part in without_comments.split(";") if part.strip()]


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; refuses gaps and duplicate numbers."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.fullmatch(path.name)
        if match is None:
            raise ValueError(f"migration file name {path.name!r} is not NNNN_name.sql")
        migrations.append(Migration(int(match.group(1)), path.stem, path.read_text()))
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3... without gaps; got {versions}")
    return migrations


class Database:
    """A SQLite file or a PostgreSQL database, opened lazily per thread."""

    def __init__(self, url: str) -> None:
        """
        Args:
            url: ``postgresql://user@host:port/db`` (any libpq URL), or ``sqlite:///path``,
                or a plain file path for SQLite (``:memory:`` is refused: every thread
                would see a different empty database).
        """
        self.url = url
        self.dialect: Dialect
        if url.startswith(("postgresql://", "postgres://")):
            self.dialect = "postgresql"
            self._sqlite_path: Path | None = None
        else:
            # SQLAlchemy's convention: sqlite:///relative/path, sqlite:////absolute/path.
            path = url.removeprefix("sqlite:///")
            if not path or path == ":memory:":
                raise ValueError("the registry needs a database file, not an in-memory one")
            self.dialect = "sqlite"
            self._sqlite_path = Path(path)
        self._local = threading.local()
        self._all_connections: list[Any] = []
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """PostgreSQL when ``database_url`` is set, else ``data_dir/registry.sqlite3``."""
        if settings.database_url:
            return cls(settings.database_url)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(str(settings.data_dir / "registry.sqlite3"))

    @contextmanager
    def transaction(self, readonly: bool = False) -> Iterator[Transaction]:
        """Runs the block in one transaction: committed on success, rolled back on error.

        On SQLite a writing transaction starts with BEGIN IMMEDIATE (the write lock up
        front), so two writers queue on the busy timeout instead of one failing when its
        read lock cannot be upgraded; ``readonly`` ones start deferred and, with WAL, run
        beside a writer.
        """
        connection = self._connection()
        if self.dialect == "sqlite":
            cursor = connection.cursor()
            cursor.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")
            try:
                yield Transaction(cursor, self.dialect)
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        else:
            with connection.transaction(), connection.cursor() as cursor:
                yield Transaction(cursor, self.dialect)

    def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Applies the migrations not applied yet, in order; returns their versions."""
        pending = list(load_migrations() if migrations is None else migrations)
        applied_now = []
        with self.transaction() as tx:
            if self.dialect == "postgresql":
                tx.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK_ID,))
            tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL,"
                " applied_at DOUBLE PRECISION NOT NULL)"
            )
            done = {row["version"] for row in tx.fetch_all("SELECT version FROM schema_migrations")}
            for migration in pending:
                if migration.version in done:
                    continue
                for statement in migration.statements():
                    tx.execute(statement)
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, time.time()),
                )
                applied_now.append(migration.version)
        return applied_now

    def close(self) -> None:
        """Closes every connection this object opened (in any thread)."""
        with self._lock:
            connections, self._all_connections = self._all_connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is not None and not _is_closed(connection):
            return connection
        connection = self._open()
        self._local.connection = connection
        with self._lock:
            self._all_connections.append(connection)
        return connection

    def _open(self) -> Any:
        if self.dialect == "sqlite":
            assert self._sqlite_path is not None
            self._sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN ourselves (see transaction()).
            connection = sqlite3.connect(
                self._sqlite_path,
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            # WAL + NORMAL is durable across application crashes (the case leases cover).
            connection.execute("PRAGMA synchronous = NORMAL")
            return connection
        import psycopg  # deferred: SQLite deployments never need the driver
        from psycopg.rows import dict_row

        return psycopg.connect(self.url, autocommit=True, row_factory=dict_row)


def _is_closed(connection: Any) -> bool:
    # psycopg marks a connection "broken" when the server went away: open a new one then.
    return bool(getattr(connection, "closed", False) or getattr(connection, "broken", False))
