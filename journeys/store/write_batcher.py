"""Group commit: concurrent advances share one transaction instead of paying one commit each.

Every caller still gets its own answer (inserted, won the compare-and-set, or lost it) and is only
answered after the transaction holding its write has committed, so "committed before acknowledged"
holds. A failing batch is retried one write at a time so one bad write cannot sink its neighbours, and a write
that lost a deadlock (PostgreSQL, where several batches run at once) is run again. A batch that failed because
the database cannot be reached fails as a whole: its writes would fail alone too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from journeys.outages import is_database_unavailable
from journeys.store.database import Database, Statement

MAX_ATTEMPTS = 5
# PostgreSQL: deadlock_detected, serialization_failure. Transactions of a group commit take row locks and unique
# key locks in the order their writes came in, so two of them running at once can wait on each other.
_LOCK_RACES = frozenset({"40P01", "40001"})


def _lost_a_lock_race(error: BaseException) -> bool:
    return getattr(getattr(error, "orig", None), "sqlstate", None) in _LOCK_RACES


def _ignore(seconds: float) -> None:
    """Nobody watches the commits."""


@dataclass(slots=True)
class _Pending:
    statement: Statement
    future: asyncio.Future[Any]


class WriteBatcher:
    """Runs submitted writes on the database's writer count of workers, up to `max_batch` per transaction."""

    def __init__(self, database: Database, *, max_batch: int = 256) -> None:
        self._database = database
        self.observe: Callable[[float], None] = _ignore  # told the seconds each committed transaction took
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._max_batch = max_batch
        self._workers = [
            asyncio.create_task(self._work(), name=f"journeys-writer-{i}") for i in range(database.writers)
        ]

    async def submit(self, statement: Statement) -> Any:
        """Run `statement` inside a batched transaction; return its result once that transaction committed."""
        pending = _Pending(statement, asyncio.get_running_loop().create_future())
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

    async def _run_batch(self, batch: list[_Pending], attempt: int = 1) -> None:
        began = time.perf_counter()
        try:
            results = await self._database.transaction([pending.statement for pending in batch])
        except Exception as error:
            if is_database_unavailable(error):
                # Running each write alone would only knock on a closed door once per write: all fail alike,
                # and each caller answers 503 (or its loop retries on the next tick).
                for pending in batch:
                    self._settle(pending, error=error)
                return
            if len(batch) == 1:
                if attempt < MAX_ATTEMPTS and _lost_a_lock_race(error):
                    # The database rolled the whole transaction back: running it again is safe.
                    await asyncio.sleep(0.005 * attempt)
                    await self._run_batch(batch, attempt + 1)
                else:
                    self._settle(batch[0], error=error)
                return
            for pending in batch:  # isolate the failing write
                await self._run_batch([pending])
            return
        self.observe(time.perf_counter() - began)
        for pending, result in zip(batch, results, strict=True):
            self._settle(pending, result=result)

    @staticmethod
    def _settle(pending: _Pending, *, result: Any = None, error: BaseException | None = None) -> None:
        if pending.future.done():
            return
        if error is not None:
            pending.future.set_exception(error)
        else:
            pending.future.set_result(result)
