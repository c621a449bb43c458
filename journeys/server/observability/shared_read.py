"""A database read for probes and scrapes: one at a time, shared by the callers that ask while it runs, waited for
at most a few seconds, and never cancelled.

A probe must answer in time even when the database does not (a load balancer gives up after a second or so), but
cancelling the read would not help: a statement cancelled mid-flight leaves its pooled PostgreSQL connection in
the middle of an operation (see `JourneyEngine.run_scheduler`). So a caller stops waiting and the read runs on;
callers that come meanwhile wait for that same read instead of piling up new ones on a database that hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedRead(Generic[T]):
    def __init__(self, read: Callable[[], Awaitable[T]], timeout: float) -> None:
        self._read = read
        self.timeout = timeout
        self._running: asyncio.Future[T] | None = None

    async def __call__(self) -> T:
        """The read's result or exception; TimeoutError when it has not finished within `timeout` seconds."""
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._read())
            self._running.add_done_callback(_retrieve)
        running = self._running
        done, _ = await asyncio.wait({running}, timeout=self.timeout)
        if not done:
            raise TimeoutError(f"no answer within {self.timeout:g} s")
        return running.result()

    async def settle(self) -> None:
        """Wait for a read still running (on shutdown, before the database is closed under it)."""
        if self._running is not None:
            with contextlib.suppress(Exception):
                await self._running


def _retrieve(future: asyncio.Future[object]) -> None:
    """Mark the outcome as seen: every caller may have stopped waiting, and asyncio would log the exception."""
    if not future.cancelled():
        future.exception()
