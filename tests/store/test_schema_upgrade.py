"""Schema migrations: a new database gets the schema the models describe; databases of earlier releases (the
legacy `journeys_schema` table at version 1 or 2, from before alembic) are adopted and upgraded in place, their
journeys kept; an upgrade cut short changes nothing; servers starting at once upgrade a database once."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import time
import tomllib
from argparse import Namespace
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from journeys.store import InstanceRecord, JourneyFilter, JourneyStore, TransitionRecord, normalise_url
from journeys.store.migrations import (
    LOCATION,
    alembic_config,
    head_revision,
    sqlite_upgrade_connection,
    upgrade_schema,
)
from journeys.store.migrations.legacy import LegacySchemaError
from tests.support import ROOT

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SCHEMA_1_INDEXES = ("ix_journey_instance_inbound", "ux_journey_instance_inbound_open")
SCHEMA_1_COLUMNS = ("inbound_source", "inbound_key", "inbound_open_key")


async def _on(url: str, statement: Callable[[sa.Connection], Any]) -> Any:
    """Run `statement` in a transaction of its own on the database at `url` (outside any store)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(normalise_url(url))
        with engine.begin() as conn:
            result = statement(conn)
        engine.dispose()
        return result
    async_engine = create_async_engine(normalise_url(url))
    async with async_engine.begin() as async_conn:
        result = await async_conn.run_sync(statement)
    await async_engine.dispose()
    return result


def _differences(conn: sa.Connection) -> list[Any]:
    """What alembic's autogenerate would change to make the database match the models (nothing, we want)."""
    return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))


def _tables(conn: sa.Connection) -> set[str]:
    return set(sa.inspect(conn).get_table_names())


def _revision(conn: sa.Connection) -> str:
    return str(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one())


def _columns(conn: sa.Connection) -> set[str]:
    return {column["name"] for column in sa.inspect(conn).get_columns("journey_instance")}


def _wal(conn: sa.Connection) -> None:
    """The journal mode the store keeps a SQLite file in (the file remembers it)."""
    conn.exec_driver_sql("PRAGMA journal_mode=WAL")


def _previous_release(conn: sa.Connection) -> None:
    """The schema the release before client authentication shipped: revision 0001."""
    command.upgrade(alembic_config(conn), "0001")


def _legacy_schema(version: int) -> Callable[[sa.Connection], None]:
    """A database as a release before alembic left it: revision 0001 is exactly its version 2, recorded in a
    `journeys_schema` table, not `alembic_version`; version 1 also lacked the inbound columns and table."""

    def build(conn: sa.Connection) -> None:
        _previous_release(conn)
        conn.exec_driver_sql("DROP TABLE alembic_version")
        conn.exec_driver_sql("CREATE TABLE journeys_schema (id INTEGER NOT NULL PRIMARY KEY, version INTEGER NOT NULL)")
        conn.exec_driver_sql(f"INSERT INTO journeys_schema (id, version) VALUES (1, {version})")
        conn.exec_driver_sql(
            "INSERT INTO journey_instance (id, journey_name, journey_version, phase, current_state, waiting, context,"
            " created_at, updated_at, version) VALUES ('j-1', 'payment-callback', '1.0.0', 'Running',"
            " 'waitForCallback', true, '{\"a\": 1}', :at, :at, 1)".replace(":at", "'2026-01-01 00:00:00+00:00'")
        )
        if version == 1:
            for index in SCHEMA_1_INDEXES:
                conn.exec_driver_sql(f"DROP INDEX {index}")
            for column in SCHEMA_1_COLUMNS:
                conn.exec_driver_sql(f"ALTER TABLE journey_instance DROP COLUMN {column}")
            conn.exec_driver_sql("DROP TABLE inbound_delivery")

    return build


async def test_a_new_database_gets_the_schema_the_models_describe(database_url: str) -> None:
    store = await JourneyStore.open(database_url)
    await store.close()
    assert await _on(database_url, _differences) == []
    assert await _on(database_url, _revision) == head_revision() == "0013"


@pytest.mark.parametrize("legacy_version", [1, 2])
async def test_a_database_of_an_earlier_release_is_upgraded_with_its_journeys(
    database_url: str, legacy_version: int
) -> None:
    await _on(database_url, _legacy_schema(legacy_version))

    upgraded = await JourneyStore.open(database_url)
    try:
        kept = await upgraded.get("j-1")
        assert kept is not None and kept.context == {"a": 1} and kept.inbound_open_key is None
        assert kept.started_by is None  # started before client authentication: nobody's in particular
        waiting = InstanceRecord(
            "j-2",
            "midtrans-payment",
            "1.0.0",
            "Running",
            "wait",
            True,
            {},
            None,
            NOW,
            NOW,
            inbound_source="midtrans",
            inbound_key="o-1",
            inbound_open_key="o-1",
            started_by="shop-backend",
        )
        await upgraded.insert(waiting, TransitionRecord("j-2", 1, "start", None, "wait", "Running", [], NOW))
        holder = await upgraded.inbound_holder("midtrans", "o-1")
        assert holder is not None and holder.id == "j-2" and holder.started_by == "shop-backend"
        mine = await upgraded.list(JourneyFilter(started_by="shop-backend"), limit=5, after=None)
        assert [r.id for r in mine] == ["j-2"]
        assert await upgraded.deliveries.page(source=None, verdict=None, journey_id=None, limit=5, after=None) == []
    finally:
        await upgraded.close()

    assert await _on(database_url, _differences) == []
    assert await _on(database_url, _revision) == head_revision()
    assert "journeys_schema" not in await _on(database_url, _tables)


async def test_a_step_timeout_armed_before_the_timer_table_fires_after_the_upgrade(database_url: str) -> None:
    """Revision 0005 moves a waiting journey's `due_at` (its step timeout) into the timer table."""

    def release_before_timers(conn: sa.Connection) -> None:
        command.upgrade(alembic_config(conn), "0004")
        conn.execute(
            sa.text(
                "INSERT INTO journey_instance (id, journey_name, journey_version, phase, current_state, waiting,"
                " context, due_at, created_at, updated_at, version) VALUES ('j-1', 'payment-callback', '1.0.0',"
                " 'Running', 'waitForCallback', true, '{}', :due, :at, :at, 1)"
            ),
            {"due": datetime(2026, 1, 2, tzinfo=UTC), "at": NOW},
        )

    await _on(database_url, release_before_timers)
    upgraded = await JourneyStore.open(database_url)
    try:
        kept = await upgraded.get("j-1")
        assert kept is not None and set(kept.timers) == {"step-timeout"}
        assert kept.timers["step-timeout"].state == "waitForCallback"
        assert await upgraded.claim_timers(datetime(2026, 1, 1, 23, tzinfo=UTC), timedelta(seconds=30)) == []
        (claim,) = await upgraded.claim_timers(datetime(2026, 1, 2, tzinfo=UTC), timedelta(seconds=30))
        assert claim.journey_id == "j-1" and claim.fires_at == kept.timers["step-timeout"].fires_at
    finally:
        await upgraded.close()


async def test_a_legacy_table_an_older_release_wrote_again_is_dropped(sqlite_url: str) -> None:
    """Rolled back to an older release after upgrading, the old code finds no `journeys_schema`, writes one
    (changing nothing else); upgrading again must not mistake the database for a legacy one."""
    await (await JourneyStore.open(sqlite_url)).close()
    await _on(sqlite_url, _legacy_schema_table(2))
    await (await JourneyStore.open(sqlite_url)).close()
    assert "journeys_schema" not in await _on(sqlite_url, _tables)
    assert await _on(sqlite_url, _differences) == []


def _legacy_schema_table(version: int) -> Callable[[sa.Connection], None]:
    def build(conn: sa.Connection) -> None:
        conn.exec_driver_sql("CREATE TABLE journeys_schema (id INTEGER NOT NULL PRIMARY KEY, version INTEGER NOT NULL)")
        conn.exec_driver_sql(f"INSERT INTO journeys_schema (id, version) VALUES (1, {version})")

    return build


async def test_a_legacy_version_this_release_does_not_know_is_refused_unchanged(sqlite_url: str) -> None:
    await _on(sqlite_url, _legacy_schema_table(7))
    with pytest.raises(LegacySchemaError, match="schema version 7; this release adopts 1 or 2"):
        await JourneyStore.open(sqlite_url)
    assert await _on(sqlite_url, _tables) == {"journeys_schema"}


async def test_an_upgrade_killed_before_its_commit_leaves_the_database_as_it_was(sqlite_url: str) -> None:
    """A server upgrading a database of the previous release dies after running every revision but before the
    commit: the next start finds revision 0001 untouched and upgrades it, rather than failing for ever on
    `duplicate column name: started_by`. (pysqlite on its own would have committed each ALTER and CREATE.)"""
    await _on(sqlite_url, _wal)
    await _on(sqlite_url, _previous_release)
    upgrader = textwrap.dedent(f"""
        import os
        from sqlalchemy import create_engine
        from journeys.store import normalise_url
        from journeys.store.migrations import sqlite_upgrade_connection, upgrade_schema
        with sqlite_upgrade_connection(create_engine(normalise_url({sqlite_url!r}))) as conn:
            upgrade_schema(conn)
            os._exit(9)  # killed: no commit, no rollback
    """)
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", upgrader, stderr=asyncio.subprocess.PIPE)
    _, errors = await process.communicate()
    assert process.returncode == 9, errors.decode()
    assert await _on(sqlite_url, _revision) == "0001"
    assert "started_by" not in await _on(sqlite_url, _columns)

    await (await JourneyStore.open(sqlite_url)).close()
    assert await _on(sqlite_url, _revision) == head_revision()
    assert await _on(sqlite_url, _differences) == []


async def test_a_revision_that_fails_leaves_the_database_as_it_was(database_url: str) -> None:
    """Revision 0002 adds a column and an index, then fails on its table (here one somebody created by hand): the
    start reports the failure and the column and index are gone too, so once the cause is removed a start
    upgrades the database."""
    await _on(database_url, _previous_release)
    await _on(database_url, lambda conn: conn.exec_driver_sql("CREATE TABLE start_idempotency (scope_key TEXT)"))
    with pytest.raises(sa.exc.DatabaseError, match="start_idempotency"):
        await JourneyStore.open(database_url)
    assert await _on(database_url, _revision) == "0001"
    assert "started_by" not in await _on(database_url, _columns)

    await _on(database_url, lambda conn: conn.exec_driver_sql("DROP TABLE start_idempotency"))
    await (await JourneyStore.open(database_url)).close()
    assert await _on(database_url, _differences) == []


async def test_servers_starting_at_once_upgrade_the_database_once(database_url: str) -> None:
    """Several processes (a deployment's replicas) and several stores in one process, all opening a new
    database at the same moment: one creates the schema, the others wait for it and find it done."""
    at = time.time() + 3  # after every process has imported the project: they open at the same moment
    opener = (
        "import asyncio, time; from journeys.store import JourneyStore; "
        f"time.sleep(max(0, {at} - time.time())); asyncio.run(JourneyStore.open({database_url!r}))"
    )
    processes = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", opener, stderr=asyncio.subprocess.PIPE)
        for _ in range(4)
    ]
    await asyncio.sleep(max(0, at - time.time()))  # a loaded machine may get here late: open at once
    stores = await asyncio.gather(*(JourneyStore.open(database_url) for _ in range(3)))
    for store in stores:
        await store.close()
    for process in processes:
        _, errors = await process.communicate()
        assert process.returncode == 0, errors.decode()
    assert await _on(database_url, _revision) == head_revision()
    assert await _on(database_url, _differences) == []


async def test_a_server_opening_a_sqlite_database_another_is_creating_waits_and_finds_it_done(
    sqlite_url: str,
) -> None:
    """The race above made certain: a server opens the file while another holds its upgrade uncommitted. It must
    wait for the write lock (not see no tables, create them and fail on `table alembic_version already exists`)
    and then find the schema done."""
    await _on(sqlite_url, _wal)
    engine = sa.create_engine(normalise_url(sqlite_url))
    opener = (
        "import asyncio; from journeys.store import JourneyStore; print('imported', flush=True); "
        f"asyncio.run(JourneyStore.open({sqlite_url!r}))"
    )
    with sqlite_upgrade_connection(engine) as conn:
        upgrade_schema(conn)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", opener, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None
        await process.stdout.readline()
        await asyncio.sleep(1)  # the opener is waiting for the write lock by now
        assert process.returncode is None
    engine.dispose()
    _, errors = await process.communicate()
    assert process.returncode == 0, errors.decode()
    assert await _on(sqlite_url, _revision) == head_revision()


def test_the_alembic_command_line_finds_nothing_to_generate(sqlite_url: str) -> None:
    """What a developer adding a revision runs (`alembic -c .../alembic.ini -x url=...`): after upgrading, the
    models and the revisions agree, so `alembic check` (autogenerate) has nothing to add."""
    config = Config(str(LOCATION / "alembic.ini"), cmd_opts=Namespace(x=[f"url={sqlite_url}"]))
    command.upgrade(config, "head")
    command.check(config)


def test_the_wheel_ships_every_migration_file() -> None:
    """The revisions are read from files at runtime, not imported: the package data must name each of them."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["journeys.store.migrations"]
    shipped = {path for pattern in patterns for path in LOCATION.glob(pattern)}
    needed = {LOCATION / "alembic.ini", LOCATION / "script.py.mako", *LOCATION.glob("versions/*.py")}
    assert len(needed) >= 4 and needed <= shipped
