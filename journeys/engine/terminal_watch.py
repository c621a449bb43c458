"""Long-poll support: wake readers of `/result` as soon as this process ends a journey.

Only commits made by this process signal; readers also re-check the database periodically, so a
journey ended by another process is seen within a second. Entries exist only while someone waits.
"""

from __future__ import annotations

import asyncio
import contextlib


class TerminalWatch:
    def __init__(self) -> None:
        self._events: dict[str, tuple[asyncio.Event, int]] = {}

    async def wait(self, journey_id: str, timeout: float) -> None:
        """Return when `journey_id` is signalled or `timeout` seconds pass, whichever is first."""
        event, waiters = self._events.get(journey_id, (asyncio.Event(), 0))
        self._events[journey_id] = (event, waiters + 1)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        finally:
            _, waiters = self._events[journey_id]
            if waiters == 1:
                del self._events[journey_id]
            else:
                self._events[journey_id] = (event, waiters - 1)

    def signal(self, journey_id: str) -> None:
        entry = self._events.get(journey_id)
        if entry is not None:
            entry[0].set()

    def __len__(self) -> int:
        return len(self._events)
