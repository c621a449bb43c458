"""Throughput and latency of the payment-callback flow against a live `journeys serve` process.

Each of N journeys goes start -> callback -> result, C at a time, over loopback HTTP. Prints
journeys/s, p50/p95/p99 per call and the server's CPU time per journey (on a shared, noisy machine
the steadier figure for comparing two versions). `--waiting K` instead starts K journeys, leaves them waiting and
prints the server's resident memory. `--client-auth` configures one client (a random key, scopes to start
payment-callback and read) and sends its key as `Authorization: Bearer` on every API call (step callbacks carry
none: they have their own verification); `--idempotency-keys` sends a unique `Idempotency-Key` with every start.
Not a test: it only measures and prints. `bench/ceiling_compare.py` runs this same load (`load`) against the stack's
durable ceiling (`../shared/bench/ceiling_app.py`) and journeys in one run and prints the ratio.

    .venv/bin/python bench/journeys_bench.py --backend sqlite -n 5000 -c 64
    .venv/bin/python bench/journeys_bench.py --backend postgresql -n 5000 -c 64
    .venv/bin/python bench/journeys_bench.py --backend sqlite -n 5000 -c 64 --client-auth --idempotency-keys
    .venv/bin/python bench/journeys_bench.py --backend sqlite --waiting 10000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
PG_ADMIN_URL = os.environ.get("JOURNEYS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_CLIENT = "bench-client"


@dataclass(frozen=True)
class Client:
    """How the load client calls the Journeys API: its credential (if any) and whether starts carry a key."""

    auth: dict[str, str] = field(default_factory=dict)
    idempotency_keys: bool = False

    def start_headers(self) -> dict[str, str]:
        """Headers of one start: the credential, and a fresh idempotency key when asked for."""
        if not self.idempotency_keys:
            return self.auth
        return {**self.auth, "Idempotency-Key": uuid.uuid4().hex}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "n/a"
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:6.2f} ms  p95 {cuts[94] * 1000:6.2f} ms  p99 {cuts[98] * 1000:6.2f} ms"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_ready(
    http: aiohttp.ClientSession, url: str, process: subprocess.Popen[bytes], headers: dict[str, str], status: int = 200
) -> None:
    """Poll `url` until it answers `status` (the server is up), or fail when the process exits or never does."""
    for _ in range(400):
        if process.poll() is not None:
            raise SystemExit(f"server exited early with {process.returncode}")
        try:
            async with http.get(url, headers=headers) as response:
                if response.status == status:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit("server did not start")


async def _journey(
    http: aiohttp.ClientSession, base: str, client: Client, i: int, timings: dict[str, list[float]]
) -> None:
    t0 = time.perf_counter()
    body = {"paymentId": f"pay-{i}", "amount": 10.5, "currency": "EUR"}
    start_url = f"{base}/journeys/payment-callback/start"
    async with http.post(start_url, json=body, headers=client.start_headers()) as response:
        assert response.status == 200, await response.text()
        journey_id = (await response.json())["journeyId"]
    t1 = time.perf_counter()
    callback = {"paymentId": f"pay-{i}", "status": "SUCCESS"}
    url = f"{base}/journeys/{journey_id}/steps/waitForCallback"
    async with http.post(url, json=callback, headers={"X-Webhook-Secret": SECRET}) as response:
        assert response.status == 200, await response.text()
        await response.read()
    t2 = time.perf_counter()
    async with http.get(f"{base}/journeys/{journey_id}/result", headers=client.auth) as response:
        assert response.status == 200, await response.text()
        assert (await response.json())["phase"] == "Succeeded"
    t3 = time.perf_counter()
    timings["start"].append(t1 - t0)
    timings["callback"].append(t2 - t1)
    timings["result"].append(t3 - t2)


@dataclass
class Run:
    """One measured load: N journeys in `elapsed` seconds, the server's CPU seconds, per-call latencies."""

    total: int
    elapsed: float
    cpu: float
    timings: dict[str, list[float]]

    @property
    def rate(self) -> float:
        return self.total / self.elapsed


async def load(base: str, client: Client, pid: int, total: int, concurrency: int, warmup: int | None = None) -> Run:
    """Run `total` journeys start -> callback -> result, `concurrency` at a time, after a short warm-up."""
    timings: dict[str, list[float]] = {"start": [], "callback": [], "result": []}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        warmup = min(200, total // 10) if warmup is None else warmup
        await asyncio.gather(*(_journey(http, base, client, -i - 1, {k: [] for k in timings}) for i in range(warmup)))
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(total):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                await _journey(http, base, client, queue.get_nowait(), timings)

        began, cpu_began = time.perf_counter(), cpu_seconds(pid)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - began, cpu_seconds(pid) - cpu_began
    return Run(total, elapsed, cpu, timings)


def report(run: Run, concurrency: int, label: str = "journeys") -> None:
    print(f"{label}: {run.total} in {run.elapsed:.2f} s, concurrency {concurrency}: {run.rate:.0f} journeys/s")
    print(f"  server CPU {run.cpu / run.total * 1000:.2f} ms per journey ({run.cpu / run.elapsed:.0%} of one core)")
    for name, samples in run.timings.items():
        print(f"  {name:<9} {percentiles(samples)}")


async def _waiting(base: str, client: Client, pid: int, count: int) -> None:
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as http:
        print(f"server RSS idle: {rss_mib(pid):.1f} MiB")
        sem = asyncio.Semaphore(64)

        async def start(i: int) -> None:
            async with sem:
                body = {"paymentId": f"pay-{i}", "amount": 1, "currency": "EUR"}
                start_url = f"{base}/journeys/payment-callback/start"
                async with http.post(start_url, json=body, headers=client.start_headers()) as response:
                    assert response.status == 200
                    await response.read()

        await asyncio.gather(*(start(i) for i in range(count)))
        async with http.get(f"{base}/journeys?phase=Running&limit=1", headers=client.auth) as response:
            assert response.status == 200
        print(f"server RSS with {count} waiting journeys: {rss_mib(pid):.1f} MiB")


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """SIGTERM a server and wait for its graceful shutdown; SIGKILL it if that takes longer than `timeout` s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve(url: str, config: Path, source: Path = ROOT) -> tuple[subprocess.Popen[bytes], str]:
    """Start `journeys serve` on `url` with the shipped definitions on a free port; the process and API base URL.
    `source`: the tree whose `journeys` package runs (another one: a baseline to compare with)."""
    port = free_port()
    command = [sys.executable, "-m", "journeys.cli", "serve", "--database-url", url, "--config", str(config)]
    command += ["--port", str(port), "--definitions", str(ROOT / "definitions")]
    env = {**os.environ, "PYTHONPATH": str(source)}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=source, env=env)
    return process, f"http://127.0.0.1:{port}/api/v1"


async def _create_pg_database() -> str:
    admin = await asyncpg.connect(PG_ADMIN_URL)
    name = f"journeys_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


async def _drop_pg_database(url: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_URL)
    await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("-n", "--journeys", type=int, default=5000)
    parser.add_argument("-c", "--concurrency", type=int, default=64)
    parser.add_argument("--waiting", type=int, default=0, help="measure RSS with this many waiting journeys")
    parser.add_argument("--client-auth", action="store_true", help="configure a client; API calls carry its key")
    parser.add_argument("--idempotency-keys", action="store_true", help="every start carries an Idempotency-Key")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="journeys-bench-"))
    config = workdir / "config.yaml"
    settings: dict[str, object] = {"apiKeys": {"payments-callback": [SECRET]}}
    auth: dict[str, str] = {}
    if args.client_auth:
        key = secrets.token_urlsafe(32)
        scopes = ["journeys:start:payment-callback", "journeys:read"]
        settings["clients"] = {BENCH_CLIENT: {"keys": [key], "scopes": scopes}}
        auth = {"Authorization": f"Bearer {key}"}
    client = Client(auth=auth, idempotency_keys=args.idempotency_keys)
    config.write_text(yaml.safe_dump(settings))
    url = f"sqlite:///{workdir / 'bench.db'}" if args.backend == "sqlite" else await _create_pg_database()
    process, base = serve(url, config)
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, f"{base}/journeys?limit=1", process, client.auth)
        print(f"backend {args.backend}, client auth {args.client_auth}, idempotency keys {args.idempotency_keys}")
        if args.waiting:
            await _waiting(base, client, process.pid, args.waiting)
        else:
            report(await load(base, client, process.pid, args.journeys, args.concurrency), args.concurrency)
    finally:
        stop(process)
        if args.backend == "postgresql":
            await _drop_pg_database(url)


if __name__ == "__main__":
    asyncio.run(main())
