"""PostgreSQL with `journeys serve --workers N` against SQLite in one process, in one run (issue 11's target:
PostgreSQL with two workers at >= 70 % of SQLite's journeys/s at C=64).

Rounds interleave the setups (SQLite, PostgreSQL one process, PostgreSQL N workers, again) with the load client of
`journeys_bench.py` (payment-callback: start -> callback -> result), each on a fresh database, and print each
round, then the medians and the ratios to SQLite. Server CPU per journey is summed over the worker processes. Not a
test: it only measures and prints.

    .venv/bin/python bench/workers_bench.py -n 3000 -c 64 --workers 2 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path

import aiohttp
import yaml
from journeys_bench import PG_ADMIN_URL, SECRET, Client, Run, load, report, serve, stop, wait_ready
from scratch_databases import scratch_database


def _tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by `pid` and its live children (the workers of `--workers`)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0.0
    for process in [str(pid), *children]:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def _round(setup: str, workers: int, args: argparse.Namespace, workdir: Path) -> Run:
    config = workdir / f"{setup}.yaml"
    config.write_text(yaml.safe_dump({"apiKeys": {"payments-callback": [SECRET]}, "workers": workers}))
    postgres = None if setup == "sqlite" else PG_ADMIN_URL
    async with scratch_database(postgres, workdir, setup.replace("-", "_")) as url:
        process, base = serve(url, config)
        try:
            async with aiohttp.ClientSession() as http:
                await wait_ready(http, f"{base}/journeys?limit=1", process, {})
            cpu_began = _tree_cpu_seconds(process.pid)
            run = await load(base, Client(), process.pid, args.journeys, args.concurrency)
            run.cpu = _tree_cpu_seconds(process.pid) - cpu_began  # warm-up included: a little high, alike for all
        finally:
            stop(process)
    return run


def _p99(run: Run, call: str) -> float:
    return statistics.quantiles(run.timings[call], n=100, method="inclusive")[98] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--journeys", type=int, default=3000)
    parser.add_argument("-c", "--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    setups = {"sqlite": 1, "postgresql": 1, f"postgresql-{args.workers}-workers": args.workers}
    runs: dict[str, list[Run]] = {name: [] for name in setups}
    with tempfile.TemporaryDirectory(prefix="journeys-workers-bench-") as directory:
        for number in range(args.rounds):
            for name, workers in setups.items():
                run = await _round(name, workers, args, Path(directory))
                runs[name].append(run)
                report(run, args.concurrency, f"round {number + 1}, {name}")
    print(f"\nmedians of {args.rounds} rounds, n={args.journeys}, C={args.concurrency}:")
    sqlite_rate = statistics.median(run.rate for run in runs["sqlite"])
    for name, measured in runs.items():
        rate = statistics.median(run.rate for run in measured)
        cpu = statistics.median(run.cpu / run.total * 1000 for run in measured)
        p99 = statistics.median(_p99(run, "callback") for run in measured)
        print(
            f"  {name:<24} {rate:7.0f} journeys/s ({rate / sqlite_rate:4.0%} of SQLite)  "
            f"server CPU {cpu:.2f} ms/journey  callback p99 {p99:.1f} ms"
        )


if __name__ == "__main__":
    asyncio.run(main())
