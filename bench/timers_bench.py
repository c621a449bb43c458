"""Timer lag: how late durable timers fire (fire time minus due time) with the real scheduler running.

Starts N journeys that each wait at a `timer` state until an instant, on a fresh SQLite file (or PostgreSQL
database), with the engine's clock an AdjustableClock (real time plus an offset). The timers are set far ahead while
the journeys start, then the clock jumps so that they fall due a moment later, either all at one instant (`burst`)
or spread evenly over `--spread` seconds (`spread`), and the scheduler fires them. Lag is read from each journey's
history: the `timer` transition's time minus its due time, both on the engine's clock. Not a test: it prints.

    .venv/bin/python bench/timers_bench.py -n 10000
    .venv/bin/python bench/timers_bench.py -n 10000 --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from scratch_databases import scratch_database

from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine
from journeys.engine.clock import AdjustableClock
from journeys.store import JourneyStore

JOURNEY = """\
apiVersion: v1
kind: Journey
metadata: { name: alarm, version: "1.0.0" }
spec:
  input:
    schema: { type: object, required: [at], properties: { at: { type: string } } }
  start: sleep
  states:
    sleep:
      type: timer
      timer:
        until:
          mapper: { lang: dataweave, expr: context.at }
      next: done
    done: { type: succeed }
"""
AHEAD = timedelta(hours=1)  # where the timers sit while the journeys start
LEAD = timedelta(seconds=2)  # how long after the jump the first timer falls due


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


async def measure(count: int, spread: float, postgres: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        (directory / "alarm.journey.yaml").write_text(JOURNEY)
        async with scratch_database(postgres, directory) as url:
            elapsed, lags = await _fire_all(url, directory, count, spread)
    lags.sort()
    return {
        "p50": statistics.median(lags),
        "p99": lags[int(len(lags) * 0.99) - 1],
        "max": lags[-1],
        "fired_per_s": count / max(elapsed - LEAD.total_seconds(), 1e-9),
    }


async def _fire_all(url: str, directory: Path, count: int, spread: float) -> tuple[float, list[float]]:
    """Start the journeys, jump the clock, run the scheduler until every timer fired; (seconds taken, lags)."""
    store = await JourneyStore.open(url)
    clock = AdjustableClock()
    engine = JourneyEngine(load_catalog([directory])[0], store, {}, clock=clock)
    await engine.versions.publish(clock())
    first_due = clock() + AHEAD
    due = {}
    for start in range(0, count, 64):
        batch = range(start, min(start + 64, count))
        at = {n: first_due + timedelta(seconds=spread * n / count) for n in batch}
        started = await asyncio.gather(*(engine.start("alarm", {"at": _iso(at[n])}) for n in batch))
        due.update({s.snapshot.record.id: at[n] for s, n in zip(started, batch, strict=True)})
    clock.advance(first_due - clock() - LEAD)
    stop = asyncio.Event()
    began = time.perf_counter()
    scheduler = asyncio.create_task(engine.run_scheduler(0.5, stop))
    while await store.next_timer_due(clock()) is not None:
        await asyncio.sleep(0.2)
    stop.set()
    await scheduler
    elapsed = time.perf_counter() - began
    lags = []
    for journey_id, due_at in due.items():
        fired = (await store.history(journey_id))[-1]
        assert fired.event == "timer", fired
        lags.append((fired.at - due_at).total_seconds())
    await store.close()
    return elapsed, lags


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="timers (journeys)")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds the due times spread over")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is created and dropped)")
    args = parser.parse_args()
    database = "PostgreSQL" if args.postgres else "SQLite"
    for label, spread in (("spread", args.spread), ("burst", 0.0)):
        result = await measure(args.n, spread, args.postgres)
        shape = f"due over {spread:g} s" if spread else "all due at one instant"
        print(
            f"{database} {label}: {args.n} timers {shape}: lag p50 {result['p50'] * 1000:.0f} ms, "
            f"p99 {result['p99'] * 1000:.0f} ms, max {result['max'] * 1000:.0f} ms; "
            f"{result['fired_per_s']:.0f} fired/s"
        )


if __name__ == "__main__":
    asyncio.run(main())
