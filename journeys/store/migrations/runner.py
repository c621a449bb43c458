"""Running the revisions: `upgrade_schema` and the alembic configuration it builds in code."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from journeys.store.migrations.legacy import adopt_legacy_schema

log = logging.getLogger("journeys.store")

LOCATION = Path(__file__).parent
# PostgreSQL: servers starting at once upgrade one after the other (the lock ends with the transaction).
_UPGRADE_LOCK = int.from_bytes(b"journeys", "big") >> 1
_upgrading: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


def upgrade_turn() -> asyncio.Lock:
    """Held around an upgrade that awaits (PostgreSQL): alembic's `op` and `context` are process-wide, so two
    upgrades interleaving on one event loop (stores of two databases opened at once) would trample each other."""
    loop = asyncio.get_running_loop()
    lock = _upgrading.get(loop)
    if lock is None:
        lock = _upgrading[loop] = asyncio.Lock()
    return lock


def alembic_config(conn: Connection | None = None) -> Config:
    """Alembic's configuration built in code; with `conn`, the revisions run on it (see env.py)."""
    config = Config()
    config.set_main_option("script_location", str(LOCATION).replace("%", "%%"))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def upgrade_schema(conn: Connection) -> str:
    """Create or upgrade the schema to the newest revision; returns it."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK})")
    config = alembic_config(conn)
    adopted = adopt_legacy_schema(conn, config)
    before = MigrationContext.configure(conn).get_current_revision()
    command.upgrade(config, "head")
    head = head_revision()
    if adopted is not None:
        log.info("adopted a database of schema version %d (before migrations) as revision %s", adopted, before)
    if before != head:
        log.info("database schema upgraded from revision %s to %s", before or "(empty)", head)
    return head
