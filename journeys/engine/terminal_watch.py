"""Long-poll support: wake readers of `/result` as soon as a journey ends, in this process or another.

This process's own commits signal directly. On PostgreSQL the ends other processes commit arrive as notices
(`journeys.store.end_notices`, LISTEN/NOTIFY) and signal the same way; readers still re-read the journey every
`reread_seconds` as a safety net, often (1 s) while no notices can be heard and rarely while they can. Entries
exist only while someone waits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from journeys.store import JourneyStore
from journeys.store.end_notices import EndNotices

REREAD_DEAF_SECONDS = 1.0  # no notices (SQLite needs none; PostgreSQL's listener not connected yet or lost)
REREAD_LISTENING_SECONDS = 15.0  # notices are heard: re-reading only guards against one that never came


class TerminalWatch:
    def __init__(self) -> None:
        self._events: dict[str, set[asyncio.Event]] = {}  # journey id -> one event per reader waiting for it
        self._notices: EndNotices | None = None

    @property
    def reread_seconds(self) -> float:
        """How often a long-poll re-reads its journey in case its end was not signalled."""
        listening = self._notices is not None and self._notices.listening
        return REREAD_LISTENING_SECONDS if listening else REREAD_DEAF_SECONDS

    async def follow(self, store: JourneyStore, stop: asyncio.Event) -> None:
        """Until `stop` is set, signal the ends other processes commit (nothing to do where the store has no
        notices: every end is this process's own)."""
        self._notices = store.end_notices(self.signal, self._reconnected)
        if self._notices is not None:
            await self._notices.run(stop)

    def _reconnected(self) -> None:
        """Notices sent while not listening are lost: every waiter re-reads now."""
        for events in self._events.values():
            for event in events:
                event.set()

    @contextlib.contextmanager
    def watching(self, journey_id: str) -> Iterator[asyncio.Event]:
        """An event of this reader's own, set when `journey_id` is signalled, from now until the block ends: a
        reader enters the block before it first reads the journey, so an end committed while it reads still wakes
        it, and clears the event itself before it reads again."""
        event = asyncio.Event()
        self._events.setdefault(journey_id, set()).add(event)
        try:
            yield event
        finally:
            events = self._events[journey_id]
            events.discard(event)
            if not events:
                del self._events[journey_id]

    def signal(self, journey_id: str) -> None:
        for event in self._events.get(journey_id, ()):
            event.set()

    def __len__(self) -> int:
        """How many journeys someone waits for."""
        return len(self._events)
