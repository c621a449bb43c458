"""The inbound delivery table: the log of every delivery, the dedupe record and the inbox of early ones.

Dedupe rests on the unique `dedupe_key` of the owning row, claimed with `INSERT ... ON CONFLICT DO NOTHING`:
of two racing deliveries with one key, exactly one inserts, in the same transaction as the advance it causes,
and the other learns it is a duplicate without an error aborting the shared (group-committed) transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from journeys.store.database import Database
from journeys.store.records import DeliveryRecord, InstanceRecord
from journeys.store.rows import (
    INBOUND_HOLDER,
    delivery_values,
    newest_first,
    to_delivery,
    to_record,
    utc,
)
from journeys.store.tables import delivery_table, instance_table
from journeys.store.write_batcher import WriteBatcher

BUFFERED, EXPIRED = "buffered", "expired"

# A literal, not a bound parameter: only then may the database use the partial index of the inbox.
_IN_INBOX = delivery_table.c.verdict == literal_column(f"'{BUFFERED}'")
CLAIM = {
    "sqlite": sqlite.insert(delivery_table).on_conflict_do_nothing(index_elements=["dedupe_key"]),
    "postgresql": postgresql.insert(delivery_table).on_conflict_do_nothing(index_elements=["dedupe_key"]),
}
_LOG = delivery_table.insert()
_BY_DEDUPE = select(delivery_table).where(delivery_table.c.dedupe_key == bindparam("dedupe_key"))
_BY_ID = select(delivery_table).where(delivery_table.c.id == bindparam("row_id"))
DELETE_ROW = delivery_table.delete().where(delivery_table.c.id == bindparam("row_id"))
FLIP = (
    update(delivery_table)
    .where(delivery_table.c.id == bindparam("row_id"), delivery_table.c.verdict == bindparam("expected"))
    .values(verdict=bindparam("verdict"))
)
APPLIED_TO = (
    update(delivery_table)
    .where(delivery_table.c.id == bindparam("row_id"))
    .values(
        journey_id=bindparam("journey"),
        step_id=bindparam("step"),
        correlation_key=bindparam("key"),
        reason=None,
        expires_at=None,
    )
)
_SETTLE = (
    update(delivery_table)
    .where(delivery_table.c.id == bindparam("row_id"), delivery_table.c.verdict == bindparam("expected"))
    .values(
        verdict=bindparam("verdict"),
        reason=bindparam("reason"),
        journey_id=bindparam("journey"),
        step_id=bindparam("step"),
        correlation_key=bindparam("key"),
        expires_at=bindparam("expires"),
    )
)


def claim_row(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert an owning delivery row unless another owns its dedupe key; True when this one does."""
    return bool(conn.execute(CLAIM[conn.dialect.name], values).rowcount == 1)


# Driven by the inbox (a few rows) with one point lookup of the open key each: as a join, the planner walked every
# waiting journey's entry of the open-key index instead (40 ms a sweep at a million waiting on SQLite).
_WAITED_FOR = (
    select(instance_table.c.id)
    .where(
        instance_table.c.inbound_source == delivery_table.c.source,
        instance_table.c.inbound_open_key == delivery_table.c.correlation_key,
    )
    .exists()
)
_READY = (
    select(delivery_table.c.source, delivery_table.c.correlation_key)
    .where(_IN_INBOX, _WAITED_FOR)
    .distinct()
    .limit(bindparam("limit"))
)


@dataclass(frozen=True, slots=True)
class InboxClaim:
    """Moves a stored delivery (buffered, unmatched or expired) to `applied` inside an advance's transaction."""

    delivery_id: str
    expected: str
    journey_id: str
    step_id: str
    correlation_key: str


class DeliveryStore:
    def __init__(self, database: Database, writes: WriteBatcher) -> None:
        self._database = database
        self._writes = writes

    # -- writes -----------------------------------------------------------------------------------

    async def log(self, delivery: DeliveryRecord) -> None:
        """Record a delivery that owns no dedupe key (a rejection, a duplicate)."""
        values = delivery_values(delivery)
        await self._writes.submit(lambda conn: conn.execute(_LOG, values))

    async def claim(self, delivery: DeliveryRecord) -> bool:
        """Insert an owning delivery that causes no advance; False (nothing written) when its key is taken."""
        values = delivery_values(delivery)
        return bool(await self._writes.submit(lambda conn: claim_row(conn, values)))

    async def settle(
        self,
        delivery: DeliveryRecord,
        expected: str,
        verdict: str,
        *,
        reason: str | None = None,
        expires_at: datetime | None = None,
    ) -> bool:
        """Move a stored delivery from `expected` to `verdict` (e.g. buffered -> unmatched); False if it moved."""
        values = {
            "row_id": delivery.id,
            "expected": expected,
            "verdict": verdict,
            "reason": reason,
            "journey": delivery.journey_id,
            "step": delivery.step_id,
            "key": delivery.correlation_key,
            "expires": expires_at,
        }
        return bool(await self._writes.submit(lambda conn: conn.execute(_SETTLE, values).rowcount == 1))

    async def expire(self, now: datetime) -> int:
        """Mark inbox deliveries past their TTL `expired`; returns how many."""
        statement = (
            update(delivery_table)
            .where(_IN_INBOX, delivery_table.c.expires_at <= now)
            .values(verdict=EXPIRED, reason="no journey waited for its key before the inbox TTL ran out")
        )
        return int(await self._writes.submit(lambda conn: conn.execute(statement).rowcount))

    async def prune(self, before: datetime, limit: int = 10_000) -> int:
        """Delete up to `limit` log rows received before `before`, except the inbox; returns how many.

        Their dedupe keys go with them: a sender retrying after the retention is treated as new.
        """
        table = delivery_table
        oldest = (
            select(table.c.id)
            .where(table.c.received_at < before, table.c.verdict != BUFFERED)
            .order_by(table.c.received_at)
            .limit(limit)
        )
        statement = table.delete().where(table.c.id.in_(oldest.scalar_subquery()))
        return int(await self._writes.submit(lambda conn: conn.execute(statement).rowcount))

    # -- reads ------------------------------------------------------------------------------------

    async def owner(self, dedupe_key: str) -> DeliveryRecord | None:
        return await self._one(_BY_DEDUPE, {"dedupe_key": dedupe_key})

    async def route(
        self, dedupe_key: str | None, source: str, key: str
    ) -> tuple[DeliveryRecord | None, InstanceRecord | None]:
        """In one read: the delivery that owns `dedupe_key` (a retry's first), and the holder of (source, key)."""

        def both(conn: Connection) -> tuple[Any, Any]:
            owner = conn.execute(_BY_DEDUPE, {"dedupe_key": dedupe_key}).first()
            return owner, conn.execute(INBOUND_HOLDER, {"source": source, "key": key}).first()

        owner, holder = await self._database.read(both)
        return (None if owner is None else to_delivery(owner)), (None if holder is None else to_record(holder))

    async def get(self, delivery_id: str) -> DeliveryRecord | None:
        if "\x00" in delivery_id:  # no stored id holds one, and PostgreSQL refuses to compare with it
            return None
        return await self._one(_BY_ID, {"row_id": delivery_id})

    async def buffered(self, source: str, key: str, limit: int = 100) -> list[DeliveryRecord]:
        """The inbox of (source, key), oldest first: the order in which they must be applied."""
        table = delivery_table
        query = (
            select(table)
            .where(_IN_INBOX, table.c.source == source, table.c.correlation_key == key)
            .order_by(table.c.received_at, table.c.id)
            .limit(limit)
        )
        return await self._many(query)

    async def ready(self, limit: int = 100) -> list[tuple[str, str]]:
        """(source, key) pairs with inbox deliveries that a waiting journey could take now."""
        rows = await self._database.read(lambda conn: conn.execute(_READY, {"limit": limit}).all())
        return [(row[0], row[1]) for row in rows]

    async def buffered_sources(self) -> list[str]:
        """Sources with deliveries in the inbox."""
        query = select(delivery_table.c.source).where(_IN_INBOX).distinct()
        rows = await self._database.read(lambda conn: conn.execute(query).all())
        return [row[0] for row in rows]

    async def page(
        self,
        *,
        source: str | None,
        verdict: str | None,
        journey_id: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[DeliveryRecord]:
        """The inbound log, newest first, keyset-paginated on (received_at, id)."""
        table = delivery_table
        query = select(table)
        if source is not None:
            query = query.where(table.c.source == source)
        if verdict is not None:
            query = query.where(table.c.verdict == verdict)
        if journey_id is not None:
            query = query.where(table.c.journey_id == journey_id)
        return await self._many(newest_first(query, table.c.received_at, table.c.id, after, limit))

    async def recent(self, since: datetime, limit: int) -> list[tuple[str | None, str, int, float, datetime]]:
        """(source, verdict, status, processing_ms, received_at) of deliveries since `since`, newest first."""
        table = delivery_table
        query = (
            select(table.c.source, table.c.verdict, table.c.status, table.c.processing_ms, table.c.received_at)
            .where(table.c.received_at >= since)
            .order_by(table.c.received_at.desc())
            .limit(limit)
        )
        rows = await self._database.read(lambda conn: conn.execute(query).all())
        return [(r[0], r[1], r[2], r[3], utc(r[4])) for r in rows]  # type: ignore[misc]

    async def _one(self, query: Any, params: dict[str, Any]) -> DeliveryRecord | None:
        row = await self._database.read(lambda conn: conn.execute(query, params).first())
        return None if row is None else to_delivery(row)

    async def _many(self, query: Any) -> list[DeliveryRecord]:
        rows = await self._database.read(lambda conn: conn.execute(query).all())
        return [to_delivery(row) for row in rows]
