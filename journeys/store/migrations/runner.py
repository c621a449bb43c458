"""Running the revisions: `upgrade_schema` and the alembic configuration it builds in code."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

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


@contextmanager
def sqlite_upgrade_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside one SQLite write transaction (`BEGIN IMMEDIATE`), committed when the block ends and
    rolled back if it raises: where `upgrade_schema` runs on SQLite.

    pysqlite (in its default mode) opens a transaction before INSERT/UPDATE/DELETE only, so the CREATE and ALTER
    statements of a revision would each commit at once and an upgrade cut short (process killed, a revision
    failing) would leave half a schema no later start can upgrade. SQLite's DDL is transactional, so the
    connection's DBAPI is put in autocommit mode (pysqlite issues no BEGIN or COMMIT of its own) and the
    transaction is ours. IMMEDIATE takes the write lock before the upgrade reads which revision the database is
    at: processes opening a database at once wait for it (busy_timeout) one after the other, and each after the
    first finds the schema done instead of creating the same tables again."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, conn.begin():
        # conn.begin() issues nothing to an autocommit DBAPI; it tells alembic the transaction is the caller's.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.connection.dbapi_connection.in_transaction:  # SQLite ends it itself on some errors (disk full)
                conn.exec_driver_sql("ROLLBACK")
            raise
        conn.exec_driver_sql("COMMIT")


def upgrade_schema(conn: Connection) -> str:
    """Create or upgrade the schema to the newest revision, all in the caller's transaction; returns the revision.

    PostgreSQL: in the transaction of `conn`, holding an advisory lock so servers starting at once upgrade one
    after the other. SQLite: `conn` must come from `sqlite_upgrade_connection` (see there why)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK})")
    elif not conn.connection.dbapi_connection.in_transaction:
        raise RuntimeError("on SQLite upgrade_schema runs in sqlite_upgrade_connection: its DDL would commit at once")
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
