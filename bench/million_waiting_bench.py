"""What a million waiting journeys cost a `journeys serve` process: memory, idle CPU, scrapes and callbacks.

Seeds a scratch database with K waiting payment-callback journeys, fast: one journey is started through a real
server, its rows (instance with context, timers JSON and due time; history; timer row; search key) are read back
and cloned K-1 times with new ids, payment ids and timestamps (created over the last 20 hours, so their step
timeouts fall due over the next 4 to 24 hours and none fires during the run), by executemany on SQLite and COPY
on PostgreSQL (then VACUUM ANALYZE, as autovacuum would soon do; SQLite gets no statistics, as the server runs no
ANALYZE). Then it starts one server on that database and one on an empty database side by side and prints, for
each: time to ready, resident memory, idle CPU (% of a core over --idle-seconds, from /proc/PID/stat), latency and
CPU of a /metrics scrape, a /readyz probe and the first page of the journey list, and callbacks/s with p50/p95/p99
for N callbacks at C=64, in alternating rounds so both see the same machine: "fresh" to N journeys started just
before (untimed) on each, and "cold" to N seeded journeys picked at random (their rows are anywhere in the files).
Database bytes per waiting journey at the end. Not a test: it only measures and prints.

    .venv/bin/python bench/million_waiting_bench.py --backend sqlite --waiting 1000000
    .venv/bin/python bench/million_waiting_bench.py --backend postgresql --waiting 1000000 --callbacks 5000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import yaml
from journeys_bench import PG_ADMIN_URL, SECRET, cpu_seconds, percentiles, rss_mib, serve, stop, wait_ready
from scratch_databases import scratch_database
from waiting_seed import (
    SEEDED,
    TEMPLATE_PAYMENT,
    Cloner,
    payment,
    read_template,
    seed_postgresql,
    seed_sqlite,
    sqlite_path,
)

FRESH, COLD = "fresh", "cold"
READY_WITHIN = 900.0  # seconds: a start-up that reads every row of a million takes a while


# -- servers ---------------------------------------------------------------------------------------------------


@dataclass
class Callbacks:
    """The timed callbacks of one kind to one server: latencies, wall time and the server's CPU time."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def __str__(self) -> str:
        cpu = self.cpu / len(self.latencies) * 1000
        return f"{self.rate:,.0f}/s, CPU {cpu:.2f} ms each; {percentiles(self.latencies)}"


@dataclass
class Server:
    name: str
    url: str
    config: Path
    process: subprocess.Popen[bytes] | None = None
    base: str = ""
    ready_seconds: float = 0.0
    figures: dict[str, str] = field(default_factory=dict)
    callbacks: dict[str, Callbacks] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, http: aiohttp.ClientSession) -> None:
        began = time.perf_counter()
        self.process, api = serve(self.url, self.config)
        self.base = api.removesuffix("/api/v1")
        while True:  # wait_ready gives up after 20 s; a slow start-up is what this measures
            try:
                await wait_ready(http, f"{api}/journeys?limit=1", self.process, {})
                break
            except SystemExit:
                if self.process.poll() is not None or time.perf_counter() - began > READY_WITHIN:
                    raise
        self.ready_seconds = time.perf_counter() - began

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop(self.process)
        self.process = None


async def _start_journey(http: aiohttp.ClientSession, server: Server, payment: str) -> str:
    body = {"paymentId": payment, "amount": 10.5, "currency": "EUR"}
    async with http.post(f"{server.base}/api/v1/journeys/payment-callback/start", json=body) as response:
        assert response.status == 200, await response.text()
        return str((await response.json())["journeyId"])


async def _callback(http: aiohttp.ClientSession, server: Server, journey_id: str, payment: str) -> float:
    began = time.perf_counter()
    url = f"{server.base}/api/v1/journeys/{journey_id}/steps/waitForCallback"
    body = {"paymentId": payment, "status": "SUCCESS"}
    async with http.post(url, json=body, headers={"X-Webhook-Secret": SECRET}) as response:
        assert response.status == 200, await response.text()
        await response.read()
    return time.perf_counter() - began


async def _at_most(concurrency: int, jobs: list[Any]) -> list[Any]:
    """Run the coroutine factories of `jobs` with at most `concurrency` in flight; their results in order."""
    results: list[Any] = [None] * len(jobs)
    next_job = iter(range(len(jobs)))

    async def worker() -> None:
        for i in next_job:
            results[i] = await jobs[i]()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


async def _callbacks(
    http: aiohttp.ClientSession, server: Server, targets: list[tuple[str, str]], concurrency: int, kind: str | None
) -> None:
    """Call back the (journey id, payment id) `targets`, `concurrency` at a time; timed as `kind` unless None."""
    jobs = [lambda t=t: _callback(http, server, *t) for t in targets]
    began, cpu = time.perf_counter(), cpu_seconds(server.pid)
    latencies = await _at_most(concurrency, jobs)
    if kind is not None:
        timed = server.callbacks.setdefault(kind, Callbacks())
        timed.seconds += time.perf_counter() - began
        timed.cpu += cpu_seconds(server.pid) - cpu
        timed.latencies += latencies


async def _probe(http: aiohttp.ClientSession, server: Server, path: str, times: int = 20) -> str:
    """Median latency and server CPU per request of `path`, asked `times` times one after another."""
    samples, cpu = [], cpu_seconds(server.pid)
    for _ in range(times):
        began = time.perf_counter()
        async with http.get(f"{server.base}{path}") as response:
            await response.read()
            assert response.status == 200, (path, response.status)
        samples.append(time.perf_counter() - began)
    spent = (cpu_seconds(server.pid) - cpu) / times
    return f"{sorted(samples)[times // 2] * 1000:7.1f} ms, CPU {spent * 1000:6.1f} ms"


async def _idle_cpu(servers: list[Server], seconds: float) -> None:
    before = {s.name: cpu_seconds(s.pid) for s in servers}
    began = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - began
    for s in servers:
        s.figures["idle CPU"] = f"{(cpu_seconds(s.pid) - before[s.name]) / elapsed:.2%} of a core"


async def _database_bytes(url: str) -> int:
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    conn = await asyncpg.connect(url)
    size = int(await conn.fetchval("SELECT pg_database_size(current_database())"))
    await conn.close()
    return size


# -- the run ---------------------------------------------------------------------------------------------------


async def _seed(http: aiohttp.ClientSession, seeded: Server, count: int) -> Cloner:
    await seeded.start(http)
    journey_id = await _start_journey(http, seeded, TEMPLATE_PAYMENT)
    seeded.stop()
    template = await read_template(seeded.url, journey_id)
    cloner = Cloner(template, count, template.created)
    began = time.perf_counter()
    if seeded.url.startswith("sqlite"):
        await asyncio.to_thread(seed_sqlite, seeded.url, cloner)
    else:
        await seed_postgresql(seeded.url, cloner)
    elapsed = time.perf_counter() - began
    print(f"seeded {count:,} waiting journeys in {elapsed:.1f} s ({count / elapsed:,.0f}/s)")
    for table, _ in SEEDED:
        print(f"  {table.name}: {len(template.rows[table.name])} row(s) per journey")
    return cloner


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="journeys-million-"))
    config = workdir / "config.yaml"
    config.write_text(yaml.safe_dump({"apiKeys": {"payments-callback": [SECRET]}}))
    postgres = PG_ADMIN_URL if args.backend == "postgresql" else None
    async with AsyncExitStack() as stack:
        empty_url = await stack.enter_async_context(scratch_database(postgres, workdir, "empty", keep=args.keep))
        seeded_url = await stack.enter_async_context(scratch_database(postgres, workdir, "million", keep=args.keep))
        empty, seeded = Server("empty", empty_url, config), Server(f"{args.waiting:,} waiting", seeded_url, config)
        servers = [empty, seeded]
        stack.callback(lambda: [s.stop() for s in servers])
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        http = await stack.enter_async_context(aiohttp.ClientSession(connector=connector))
        print(f"backend {args.backend}, {args.waiting:,} waiting, {args.callbacks:,} callbacks at C={args.concurrency}")
        cloner = await _seed(http, seeded, args.waiting - 1)
        seeded_bytes = await _database_bytes(seeded_url)
        for server in servers:
            await server.start(http)
            server.figures["ready after"] = f"{server.ready_seconds:.2f} s"
        empty_bytes = await _database_bytes(empty_url)
        await asyncio.sleep(args.settle)
        for server in servers:
            server.figures["RSS ready"] = f"{rss_mib(server.pid):.1f} MiB"
        await _idle_cpu(servers, args.idle_seconds)
        for server in servers:
            server.figures["GET /metrics"] = await _probe(http, server, "/metrics")
            server.figures["GET /readyz"] = await _probe(http, server, "/readyz")
            server.figures["GET /journeys?limit=20"] = await _probe(http, server, "/api/v1/journeys?limit=20")

        # "fresh": journeys started just before (untimed), on both; "cold": seeded journeys picked at random.
        warmup = min(200, args.callbacks // 10)
        each = args.callbacks + warmup
        targets: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for server in servers:
            payments = [f"fresh-{i}" for i in range(each)]
            started = await _at_most(
                args.concurrency, [lambda p=p, s=server: _start_journey(http, s, p) for p in payments]
            )
            targets[server.name, FRESH] = list(zip(started, payments, strict=True))
        targets[seeded.name, COLD] = [(cloner.ids[i], payment(i)) for i in random.sample(range(cloner.count), each)]
        for (name, _), chosen in targets.items():
            await _callbacks(http, empty if name == empty.name else seeded, chosen[:warmup], args.concurrency, None)
        per_round = args.callbacks // args.rounds
        order = list(targets)
        for r in range(args.rounds):
            for name, kind in order if r % 2 == 0 else order[::-1]:
                server = empty if name == empty.name else seeded
                chunk = targets[name, kind][warmup + r * per_round : warmup + (r + 1) * per_round]
                await _callbacks(http, server, chunk, args.concurrency, kind)
        for server in servers:
            server.figures["RSS after callbacks"] = f"{rss_mib(server.pid):.1f} MiB"
        _report(servers, seeded_bytes, empty_bytes, args.waiting)
        if args.keep:
            print(f"kept: {seeded_url} (seeded), {empty_url} (empty)")


def _report(servers: list[Server], seeded_bytes: int, empty_bytes: int, waiting: int) -> None:
    width = max(len(name) for name in servers[0].figures) + 2
    for server in servers:
        print(f"\n[{server.name}]")
        for name, value in server.figures.items():
            print(f"  {name:<{width}} {value}")
        for kind, timed in server.callbacks.items():
            print(f"  {'callbacks ' + kind:<{width}} {timed}")
    empty, seeded = servers
    baseline = empty.callbacks[FRESH].rate
    for kind, timed in seeded.callbacks.items():
        print(f"\ncallbacks/s, seeded {kind} / empty {FRESH}: {timed.rate / baseline:.1%}", end="")
    print(f"\ndatabase: {seeded_bytes / 2**20:,.1f} MiB seeded, {empty_bytes / 2**20:,.1f} MiB empty")
    print(f"  {(seeded_bytes - empty_bytes) / waiting:,.0f} bytes per waiting journey")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--waiting", type=int, default=1_000_000, help="waiting journeys to seed")
    parser.add_argument("--callbacks", type=int, default=5_000, help="callbacks timed on each database")
    parser.add_argument("-c", "--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds the callbacks are split into")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="how long idle CPU is measured")
    parser.add_argument("--keep", action="store_true", help="keep the databases (PostgreSQL: not dropped)")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after ready before measuring")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
