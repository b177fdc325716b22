"""The registry's database: SQLite by default, PostgreSQL when a URL says so.

Both run the same SQL. Queries are written with ``?`` placeholders (SQLite's) and turned
into ``%s`` for psycopg (so SQL text never holds a literal ``?``); every value travels
as a parameter, never inside the SQL text.
The schema is built by Alembic from the revisions in ``migrations/versions/``
(``0001``, ``0002``...): :meth:`Database.migrate` applies the pending ones, in order,
inside one transaction, and Alembic records where the database stands in
``alembic_version``. Types are the ones both engines accept: TEXT, INTEGER, DOUBLE
PRECISION; times are Unix seconds (DOUBLE PRECISION), JSON is TEXT. Queries stay plain
SQL through the drivers (sqlite3, psycopg): SQLAlchemy is only Alembic's way in.

Each thread gets its own connection (gRPC handlers run on a thread pool, and neither
sqlite3 nor psycopg connections may be shared by threads mid-transaction).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from services.common.settings import Settings

if TYPE_CHECKING:  # Alembic and SQLAlchemy load only in processes that migrate
    from alembic.config import Config
    from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: How long SQLite waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 10_000
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


def migrations_config(script_location: Path = MIGRATIONS_DIR) -> Config:
    """Alembic's configuration for the catalogue's revisions (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


def revisions(script_location: Path = MIGRATIONS_DIR) -> list[str]:
    """Every revision id, oldest first (one line of history: no branches)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations_config(script_location))
    if len(script.get_heads()) != 1:
        raise ValueError(f"the migrations must form one line; heads: {script.get_heads()}")
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


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

    def migrate(self, script_location: Path = MIGRATIONS_DIR) -> list[str]:
        """Applies the revisions not applied yet, in order, in one transaction (nothing of
        a failed batch stays); returns their ids.

        Several processes may call it at once (the registry and its trainers starting
        together): PostgreSQL serializes them on an advisory lock, SQLite on its write
        lock. A database migrated by the hand-written runner before Alembic (a
        ``schema_migrations`` table) is first stamped at the revision it reached.
        """
        from alembic import command

        config = migrations_config(script_location)
        applied: list[str] = []
        config.attributes["on_version_apply"] = lambda step: (
            None if step.is_stamp else applied.append(step.up_revision_id)
        )
        engine = self._migration_engine()
        try:
            with engine.begin() as connection:
                if self.dialect == "postgresql":
                    connection.exec_driver_sql(
                        f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})"
                    )
                config.attributes["connection"] = connection
                legacy_version = _legacy_version(connection)
                if legacy_version is not None:
                    command.stamp(config, f"{legacy_version:04d}")
                command.upgrade(config, "head")
        finally:
            engine.dispose()
        return applied

    def _migration_engine(self) -> Engine:
        """An engine on this database for Alembic, opened the way :meth:`_open` opens it."""
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import NullPool

        if self.dialect == "postgresql":
            import psycopg

            return create_engine(
                "postgresql+psycopg://",
                creator=lambda: psycopg.connect(self.url),
                poolclass=NullPool,
            )
        assert self._sqlite_path is not None
        self._sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        path = self._sqlite_path
        engine = create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(
                path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None
            ),
            poolclass=NullPool,
        )

        # sqlite3 would commit before each DDL statement; with the driver's own
        # transactions off, BEGIN IMMEDIATE makes the whole batch one transaction that
        # holds the write lock (SQLAlchemy's documented recipe for pysqlite).
        @event.listens_for(engine, "begin")
        def begin_immediate(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

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


def _legacy_version(connection: Any) -> int | None:
    """The last version the pre-Alembic runner applied, when Alembic never ran here."""
    from sqlalchemy import inspect

    tables = set(inspect(connection).get_table_names())
    if "schema_migrations" not in tables or "alembic_version" in tables:
        return None
    version = connection.exec_driver_sql("SELECT MAX(version) FROM schema_migrations").scalar()
    return None if version is None else int(version)


def _is_closed(connection: Any) -> bool:
    # psycopg marks a connection "broken" when the server went away: open a new one then.
    return bool(getattr(connection, "closed", False) or getattr(connection, "broken", False))
