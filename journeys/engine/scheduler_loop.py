"""The scheduler loop every server process runs: timers and scheduled runs as they fall due, and every interval
the recovery of abandoned runs and the housekeeping sweeps (expired deliveries, idempotency keys, cache entries)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from journeys.outages import DATABASE, is_database_unavailable, log_failure

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine

log = logging.getLogger("journeys.engine")


async def run_scheduler(engine: JourneyEngine, interval: float, stop: asyncio.Event) -> None:
    """Until `stop` is set: fire timers as they fall due and, every `interval`, pick up other processes'
    abandoned runs and sweep expired deliveries and idempotency keys.

    Stopped between ticks, never cancelled in one: a statement cancelled mid-flight leaves its pooled
    PostgreSQL connection in the middle of an operation, and closing the pool then fails on it."""
    loop = asyncio.get_running_loop()
    housekept = float("-inf")
    while not stop.is_set():
        engine.ticked_at = engine.clock()
        try:
            if engine.timers.fires_by_itself:
                await engine.fire_due_timers()
            if loop.time() - housekept >= interval:
                housekept = loop.time()
                await _housekeep(engine)
            await engine.timers.sleep_until_due(stop, interval)
        except Exception as error:  # keep the scheduler alive; the next tick retries
            log_failure(error, "the scheduler", log, "scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
        else:
            DATABASE.succeeded()


async def _housekeep(engine: JourneyEngine) -> None:
    """Each sweep on its own: one that fails on a bad row or a bug must not keep the others from running. A database
    that does not answer is raised after them all, for the tick to count as the outage it is."""
    sweeps = (
        ("recovery", engine.recover),
        ("the inbound sweep", engine.inbound.sweep),
        ("the idempotency-key sweep", lambda: engine.starts.prune(engine.clock())),
        ("the cache sweep", lambda: engine.store.cache.sweep(engine.clock())),
    )
    unavailable: Exception | None = None
    for name, sweep in sweeps:
        try:
            await sweep()
        except Exception as error:
            if is_database_unavailable(error):
                unavailable = unavailable or error
            else:
                log.error("%s failed", name, exc_info=error)
    if unavailable is not None:
        raise unavailable
