"""The `kafkaPublish:v1` event outbox: records inserted by the advances that published them, read by operators
(a journey's records, the unpublished backlog) and by whatever relays them to Kafka."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Row, bindparam, func, select

from journeys.store.database import Database
from journeys.store.effect_records import OutboxEvent
from journeys.store.effect_tables import event_outbox_table
from journeys.store.rows import utc

_EVENTS = event_outbox_table
_INSERT = _EVENTS.insert()
_OF_JOURNEY = select(_EVENTS).where(_EVENTS.c.journey_id == bindparam("journey_id")).order_by(_EVENTS.c.id)
_IS_UNPUBLISHED = _EVENTS.c.published_at.is_(None)
# Both read the partial index of unpublished rows only: the count stops at UNPUBLISHED_CAP (a deployment without a
# relay would otherwise count a growing table on every scrape), the oldest is the first row in commit order.
_UNPUBLISHED = select(func.count()).select_from(
    select(_EVENTS.c.id).where(_IS_UNPUBLISHED).limit(bindparam("cap")).subquery()
)
_OLDEST_UNPUBLISHED = select(_EVENTS.c.created_at).where(_IS_UNPUBLISHED).order_by(_EVENTS.c.id).limit(1)
UNPUBLISHED_CAP = 100_000


def insert_events(conn: Connection, events: Iterable[OutboxEvent]) -> None:
    conn.execute(
        _INSERT,
        [
            {
                "id": e.id,
                "event_key": e.event_key,
                "journey_id": e.journey_id,
                "state": e.state,
                "topic": e.topic,
                "connection": e.connection,
                "record_key": e.key,
                "value": orjson.dumps(e.value).decode(),
                "headers": orjson.dumps(e.headers).decode(),
                "created_at": e.created_at,
                "published_at": None,
            }
            for e in events
        ],
    )


def _event(row: Row[Any]) -> OutboxEvent:
    m = row._mapping
    return OutboxEvent(
        id=m["id"],
        event_key=m["event_key"],
        journey_id=m["journey_id"],
        state=m["state"],
        topic=m["topic"],
        key=m["record_key"],
        value=orjson.loads(m["value"]),
        headers=orjson.loads(m["headers"]),
        created_at=utc(m["created_at"]),  # type: ignore[arg-type]
        connection=m["connection"],
        published_at=utc(m["published_at"]),
    )


class EventOutboxStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def of_journey(self, journey_id: str) -> list[OutboxEvent]:
        """The records the journey published, in the order they were committed."""
        if "\x00" in journey_id:  # no stored id holds one, and PostgreSQL refuses to compare with it
            return []
        rows = await self._database.read(lambda conn: conn.execute(_OF_JOURNEY, {"journey_id": journey_id}).all())
        return [_event(row) for row in rows]

    async def unpublished(self) -> tuple[int, datetime | None]:
        """(how many records wait for the relay, at most UNPUBLISHED_CAP; when the oldest of them was committed, or
        None when none waits): what an operator watches to see that the relay keeps up."""

        def read(conn: Connection) -> tuple[int, datetime | None]:
            count = conn.execute(_UNPUBLISHED, {"cap": UNPUBLISHED_CAP}).scalar_one()
            oldest = conn.execute(_OLDEST_UNPUBLISHED).scalar_one_or_none()
            return int(count), utc(oldest)

        return await self._database.read(read)
