"""What health probes and metrics scrapes read of the engine: whether it can work (database, definitions,
scheduler) and how far behind it is (journeys waiting, timers overdue). Read at probe or scrape time, never on a
request's path."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine

NO_LAG = timedelta(0)
# Counting the waiting journeys by state reads every waiting row (about 0.8 s at a million on SQLite, on the event
# loop), so a count is reused until it is older than WAITING_COST_SHARE times what it took to read: counting then
# takes at most 1/WAITING_COST_SHARE of the server's time however many journeys wait, a small database is counted
# afresh on every scrape, and no count is older than WAITING_MAX_AGE seconds (operations.md: metrics).
WAITING_COST_SHARE = 100
WAITING_MAX_AGE = 300.0


class Vitals:
    def __init__(self, engine: JourneyEngine, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._monotonic = monotonic
        self._waiting: list[tuple[str, str, int]] = []
        self._waiting_until = float("-inf")  # when the count held in `_waiting` is to be read again

    @property
    def definitions_loaded(self) -> int:
        """How many journey definitions new starts can run."""
        return len(self._engine.definitions)

    def since_scheduler_ticked(self) -> timedelta | None:
        """How long ago (by the engine's clock) the scheduler began its last tick; None before its first."""
        ticked = self._engine.ticked_at
        return None if ticked is None else self._engine.clock() - ticked

    async def check_database(self) -> None:
        """Raises when the database cannot be reached."""
        await self._engine.store.probes.ping()

    async def waiting(self) -> list[tuple[str, str, int]]:
        """(journey name, state, count) of the journeys waiting for a submission, per state they wait in: read
        again only once the last count is older than WAITING_COST_SHARE times its read took (see above)."""
        began = self._monotonic()
        if began < self._waiting_until:
            return self._waiting
        self._waiting = await self._engine.store.probes.waiting_by_state()
        finished = self._monotonic()
        self._waiting_until = finished + min(WAITING_MAX_AGE, (finished - began) * WAITING_COST_SHARE)
        return self._waiting

    async def timer_lag(self) -> timedelta:
        """How late the oldest due timer is: now minus the due time of the earliest waiting journey whose step
        timed out and was not moved on yet (zero when none is due). The scheduler keeps it under its interval; the
        journeys of versions that no longer compile, which it cannot move, are left out."""
        now = self._engine.clock()
        due = await self._engine.store.probes.oldest_due(now, self._engine.versions.unusable())
        return NO_LAG if due is None else now - due

    async def event_backlog(self) -> tuple[int, timedelta]:
        """The `kafkaPublish:v1` records the relay has not sent yet (counted up to a cap), and how long the oldest
        of them has waited (zero when none): a relay that stopped shows as a lag that keeps growing."""
        count, oldest = await self._engine.store.events.unpublished()
        return count, NO_LAG if oldest is None else self._engine.clock() - oldest
