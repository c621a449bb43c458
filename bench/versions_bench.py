"""What definition versions cost an operator: a reload of the shipped definitions, and migrating waiting journeys.

Runs the engine in-process on a fresh SQLite file (or PostgreSQL database): starts N payment-callback journeys that
wait, reloads the definitions with a changed copy, then migrates all N to the new version (a dry run, then for
real) and prints the times. Not a test: it only measures and prints.

    .venv/bin/python bench/versions_bench.py -n 2000
    .venv/bin/python bench/versions_bench.py -n 2000 --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from scratch_databases import scratch_database

from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine, parse_profiles
from journeys.engine.migrations import Migration
from journeys.store import JourneyStore

ROOT = Path(__file__).resolve().parent.parent


async def _measure(url: str, definitions: Path, count: int) -> tuple[Any, float, dict[bool, tuple[int, float]]]:
    """Start `count` waiting journeys, reload a changed copy of their definition, migrate them (a dry run, then for
    real); returns the reloaded catalog, the reload's milliseconds and (moved, seconds) by dry-run flag."""
    store = await JourneyStore.open(url)
    journeys, sources = load_catalog([definitions])
    engine = JourneyEngine(journeys, store, parse_profiles({"payments-callback": ["s"]}), sources=sources)
    await engine.versions.publish(engine.clock())
    for n in range(count):
        await engine.start("payment-callback", {"paymentId": f"p-{n}", "amount": 1, "currency": "EUR"})

    path = definitions / "payment-callback.journey.yaml"
    path.write_text(path.read_text().replace("version: 1.1.0", "version: 2.0.0"))
    began = time.perf_counter()
    catalog = load_catalog([definitions])
    await engine.versions.reload(*catalog, {}, engine.clock())
    reload_ms = (time.perf_counter() - began) * 1000

    timings = {}
    for dry_run in (True, False):
        began, after, moved = time.perf_counter(), None, 0
        while True:
            migration = Migration("payment-callback", "1.1.0", "2.0.0", dry_run=dry_run, after=after)
            report = await engine.migrations.migrate(migration)
            moved += len(report.moves)
            after = report.next_after
            if after is None:
                break
        timings[dry_run] = (moved, time.perf_counter() - began)
    await store.close()
    return catalog, reload_ms, timings


async def run(count: int, postgres: str | None) -> None:
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        definitions = directory / "definitions"
        shutil.copytree(ROOT / "definitions", definitions)
        async with scratch_database(postgres, directory) as url:
            catalog, reload_ms, timings = await _measure(url, definitions, count)
    backend = "postgresql" if postgres else "sqlite"
    print(f"{backend}: reload of {len(catalog[0])} journeys and {len(catalog[1])} sources: {reload_ms:.0f} ms")
    for dry_run, (moved, seconds) in timings.items():
        label = "dry run" if dry_run else "migrate"
        print(f"{backend}: {label} of {moved} waiting journeys: {seconds:.2f} s ({moved / seconds:.0f} journeys/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="waiting journeys to migrate")
    parser.add_argument("--postgres", default=None, help="an admin URL; a database is created and dropped")
    args = parser.parse_args()
    asyncio.run(run(args.n, args.postgres))


if __name__ == "__main__":
    main()
