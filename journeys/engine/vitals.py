"""What health probes and metrics scrapes read of the engine: whether it can work (database, definitions,
scheduler) and how far behind it is (journeys waiting, timers overdue). Read at probe or scrape time, never on a
request's path."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine

NO_LAG = timedelta(0)


class Vitals:
    def __init__(self, engine: JourneyEngine) -> None:
        self._engine = engine

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
        """(journey name, state, count) of the journeys waiting for a submission, per state they wait in."""
        return await self._engine.store.probes.waiting_by_state()

    async def timer_lag(self) -> timedelta:
        """How late the oldest due timer is: now minus the due time of the earliest waiting journey whose step
        timed out and was not moved on yet (zero when none is due). The scheduler keeps it under its interval; the
        journeys of versions that no longer compile, which it cannot move, are left out."""
        now = self._engine.clock()
        due = await self._engine.store.probes.oldest_due(now, self._engine.versions.unusable())
        return NO_LAG if due is None else now - due
