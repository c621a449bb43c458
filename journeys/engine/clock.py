"""A clock that tests can move forward: the engine reads time only through its injected clock.

`AdjustableClock()` is real time plus an offset (the server's test-only clock: requests keep their real
timing, `advance` jumps ahead); `AdjustableClock(start)` stands still at `start` until advanced (scenario
runs, where every timestamp must be reproducible). Either way a two-day SLA is tested in milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class AdjustableClock:
    """Callable like `utc_now`; `advance` moves it forward (never back: timers already fired stay fired)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start
        self.offset = timedelta(0)
        self.moves_by_itself = start is None
        """False for a clock standing still: the scheduler then fires no timer by itself (whoever advances the
        clock fires what fell due), so a test's explicit `fire_due_timers` never races the background."""

    def __call__(self) -> datetime:
        base = self._start if self._start is not None else datetime.now(UTC)
        return base + self.offset

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by `delta` and return the new now."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self.offset += delta
        return self()
