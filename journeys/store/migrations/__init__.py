"""Schema migrations: alembic revisions in `versions/`, run in code when the store opens (no alembic.ini).

`upgrade_schema` runs on the connection and inside the transaction the store opened, on SQLite and PostgreSQL
alike, so a failed upgrade leaves the schema as it was (PostgreSQL; SQLite as far as its DDL is transactional).
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
    upgrade_schema,
    upgrade_turn,
)

__all__ = ["LOCATION", "alembic_config", "head_revision", "upgrade_schema", "upgrade_turn"]
