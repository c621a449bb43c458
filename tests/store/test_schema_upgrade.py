"""A database created by the previous release (schema 1) is upgraded in place, its journeys kept."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from journeys.store import InstanceRecord, JourneyStore, TransitionRecord, normalise_url
from journeys.store.database import SCHEMA_VERSION

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NEW_INDEXES = ("ix_journey_instance_inbound", "ux_journey_instance_inbound_open")
NEW_COLUMNS = ("inbound_source", "inbound_key", "inbound_open_key")


def _downgrade_to_schema_1(conn: sa.Connection) -> None:
    """What a schema-1 database looks like: no inbound columns, indexes or delivery table."""
    for index in NEW_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX {index}")
    for column in NEW_COLUMNS:
        conn.exec_driver_sql(f"ALTER TABLE journey_instance DROP COLUMN {column}")
    conn.exec_driver_sql("DROP TABLE inbound_delivery")
    conn.exec_driver_sql("UPDATE journeys_schema SET version = 1")


async def _run(url: str, statement: object) -> None:
    engine = create_async_engine(normalise_url(url))
    async with engine.begin() as conn:
        await conn.run_sync(statement)  # type: ignore[arg-type]
    await engine.dispose()


def _sync_run(url: str, statement: object) -> None:
    engine = sa.create_engine(normalise_url(url))
    with engine.begin() as conn:
        statement(conn)  # type: ignore[operator]
    engine.dispose()


async def test_a_schema_1_database_is_upgraded_with_its_journeys(database_url: str) -> None:
    store = await JourneyStore.open(database_url)
    record = InstanceRecord(
        "j-1", "payment-callback", "1.0.0", "Running", "waitForCallback", True, {"a": 1}, None, NOW, NOW
    )
    await store.insert(record, TransitionRecord("j-1", 1, "start", None, "waitForCallback", "Running", [], NOW))
    await store.close()
    if database_url.startswith("sqlite"):
        _sync_run(database_url, _downgrade_to_schema_1)
    else:
        await _run(database_url, _downgrade_to_schema_1)

    upgraded = await JourneyStore.open(database_url)
    try:
        kept = await upgraded.get("j-1")
        assert kept is not None and kept.context == {"a": 1} and kept.inbound_open_key is None
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
        )
        await upgraded.insert(waiting, TransitionRecord("j-2", 1, "start", None, "wait", "Running", [], NOW))
        holder = await upgraded.inbound_holder("midtrans", "o-1")
        assert holder is not None and holder.id == "j-2"
        assert await upgraded.deliveries.page(source=None, verdict=None, journey_id=None, limit=5, after=None) == []
    finally:
        await upgraded.close()

    def version(conn: sa.Connection) -> None:
        assert conn.exec_driver_sql("SELECT version FROM journeys_schema").scalar_one() == SCHEMA_VERSION == 2

    if database_url.startswith("sqlite"):
        _sync_run(database_url, version)
    else:
        await _run(database_url, version)
