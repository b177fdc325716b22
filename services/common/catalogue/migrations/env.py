"""Alembic's environment for the catalogue: run by ``Database.migrate()`` (and by the
``alembic`` command with ``-c services/common/catalogue/alembic.ini``).

``Database.migrate()`` hands over the connection it opened (and, on PostgreSQL, already
locked) in ``config.attributes["connection"]``; the command line connects to
``sqlalchemy.url`` or ``DATABASE_URL``. Every pending revision runs in one transaction.
"""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy import create_engine

config = context.config


def run_on(connection: Any) -> None:
    applied = config.attributes.get("on_version_apply")
    context.configure(
        connection=connection,
        target_metadata=None,
        transactional_ddl=True,
        on_version_apply=None if applied is None else lambda **info: applied(info["step"]),
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:  # the alembic command line
    url = config.get_main_option("sqlalchemy.url") or os.environ["DATABASE_URL"]
    with create_engine(url).connect() as opened:
        run_on(opened)
