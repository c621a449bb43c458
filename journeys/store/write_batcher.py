"""Group commit: concurrent advances share one transaction instead of paying one commit each.

Every caller still gets its own answer (inserted, won the compare-and-set, or lost it) and is only
answered after the transaction holding its write has committed, so "committed before acknowledged"
holds. A failing batch is retried one write at a time so one bad write cannot sink its neighbours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

WriteFn = Callable[[AsyncConnection], Awaitable[Any]]


@dataclass(slots=True)
class _Pending:
    write: WriteFn
    future: asyncio.Future[Any] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class WriteBatcher:
    """Runs submitted writes on `writers` worker tasks, up to `max_batch` writes per transaction."""

    def __init__(self, engine: AsyncEngine, *, writers: int, max_batch: int = 128) -> None:
        self._engine = engine
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._max_batch = max_batch
        self._workers = [asyncio.create_task(self._work(), name=f"journeys-writer-{i}") for i in range(writers)]

    async def submit(self, write: WriteFn) -> Any:
        """Run `write` inside a batched transaction and return its result once that transaction committed."""
        pending = _Pending(write)
        self._queue.put_nowait(pending)
        return await pending.future

    async def close(self) -> None:
        for _ in self._workers:
            self._queue.put_nowait(None)
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _work(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stop = True
                    break
                batch.append(item)
            await self._run_batch(batch)
            if stop:
                return

    async def _run_batch(self, batch: list[_Pending]) -> None:
        try:
            results = await self._transaction(batch)
        except Exception:
            if len(batch) == 1:
                await self._run_alone(batch[0])
                return
            for pending in batch:
                await self._run_alone(pending)
            return
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():
                pending.future.set_result(result)

    async def _run_alone(self, pending: _Pending) -> None:
        try:
            (result,) = await self._transaction([pending])
        except Exception as error:  # surfaced to the one caller whose write failed
            if not pending.future.done():
                pending.future.set_exception(error)
            return
        if not pending.future.done():
            pending.future.set_result(result)

    async def _transaction(self, batch: list[_Pending]) -> list[Any]:
        async with self._engine.begin() as conn:
            results = [await pending.write(conn) for pending in batch]
        return results

