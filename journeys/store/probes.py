"""Reads for health probes and metrics scrapes: is the database there, how many journeys wait in each state, and
the oldest timer that is due but has not fired.

Each is one statement, run at most once per probe or scrape (never per request). The timer read walks the timer
table's due index from its oldest entry; the waiting count is one GROUP BY over the running
journeys (through the phase index), so it grows with the number of journeys running, not with the history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text

from journeys.store.database import Database
from journeys.store.rows import utc
from journeys.store.tables import instance_table
from journeys.store.timers import oldest_due_query

_TABLE = instance_table
_WAITING_NOW = (_TABLE.c.phase == "Running", _TABLE.c.waiting.is_(True))

_PING = text("SELECT 1")
_WAITING_BY_STATE = (
    select(_TABLE.c.journey_name, _TABLE.c.current_state, func.count())
    .where(*_WAITING_NOW)
    .group_by(_TABLE.c.journey_name, _TABLE.c.current_state)
)


class ProbeStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def ping(self) -> None:
        """A trivial query: raises when the database cannot be reached."""
        await self._database.read(lambda conn: conn.execute(_PING).scalar())

    async def waiting_by_state(self) -> list[tuple[str, str, int]]:
        """(journey name, state, how many journeys wait there) for every state a journey waits in."""
        rows = await self._database.read(lambda conn: conn.execute(_WAITING_BY_STATE).all())
        return [(str(name), str(state), int(count)) for name, state, count in rows]

    async def oldest_due(self, now: datetime, skip_digests: frozenset[str] = frozenset()) -> datetime | None:
        """The earliest timer of a waiting journey that was due by `now` (not fired yet), if any; the journeys of the
        definition versions in `skip_digests` left out, as the scheduler leaves them (`JourneyStore.claim_timers`)."""
        oldest = oldest_due_query(skip_digests)
        due = await self._database.read(lambda conn: conn.execute(oldest, {"now": now}).scalar())
        return utc(due)
