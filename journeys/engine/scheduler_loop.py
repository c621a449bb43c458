"""The scheduler loop every server process runs: timers and scheduled runs as they fall due, and every interval
the recovery of abandoned runs and the housekeeping sweeps (expired deliveries, idempotency keys, cache entries)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from journeys.outages import DATABASE, log_failure

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
                await engine.recover()
                await engine.inbound.sweep()
                await engine.starts.prune(engine.clock())
                await engine.store.cache.sweep(engine.clock())
            await engine.timers.sleep_until_due(stop, interval)
        except Exception as error:  # keep the scheduler alive; the next tick retries
            log_failure(error, "the scheduler", log, "scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
        else:
            DATABASE.succeeded()
