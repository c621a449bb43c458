"""Schema migrations: alembic revisions in `versions/`, run in code when the store opens (no alembic.ini).

`upgrade_schema` runs on the connection and inside the transaction the store opened (on SQLite a `BEGIN IMMEDIATE`
the store issues itself, `sqlite_upgrade_connection`: pysqlite would commit each DDL statement at once), so an
upgrade cut short leaves the schema as it was, and servers opening a database at once upgrade it one at a time.
Databases created before alembic carry a `journeys_schema` table instead of `alembic_version`; they are
adopted first (`legacy.py`), then upgraded like any other. A developer adds a revision with the alembic command
line and `alembic.ini` here (see env.py).
"""

import logging

# Alembic announces its plugins at INFO when imported, and its dialect and DDL mode on every open: noise in the
# server's log. `upgrade_schema` logs what changed instead. Set before alembic is first imported, just below.
logging.getLogger("alembic").setLevel(logging.WARNING)

from journeys.store.migrations.runner import (  # noqa: E402
    LOCATION,
    alembic_config,
    head_revision,
    sqlite_upgrade_connection,
    upgrade_schema,
    upgrade_turn,
)

__all__ = ["LOCATION", "alembic_config", "head_revision", "sqlite_upgrade_connection", "upgrade_schema", "upgrade_turn"]
