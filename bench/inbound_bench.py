"""Throughput and latency of gateway deliveries (`POST /api/v1/inbound/midtrans`) against a live `journeys serve`.

Each of N midtrans-payment journeys goes start -> `pending` -> `settlement` -> the same `settlement` bytes
again (Midtrans retrying), C at a time in a closed loop over loopback HTTP, every notification signed as
Midtrans signs it. Every answer is checked (200, `OK`, and the verdicts applied, applied, duplicate in
`Journeys-Delivery-Verdict`), so a broken server fails the run instead of being measured as a fast one.
In the same run, against the same server and backend, it first measures the payment-callback flow of
`journeys_bench.py` (start -> callback -> result) and prints both side by side, with the ratios of the
delivery p99 to the callback p99 and of deliveries/s to callbacks/s. Not a test: it only measures and prints.

    .venv/bin/python bench/inbound_bench.py --backend sqlite -n 5000 -c 64
    .venv/bin/python bench/inbound_bench.py --backend postgresql -n 5000 -c 64
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import orjson
import yaml
from journeys_bench import (
    ROOT,
    SECRET,
    Client,
    _create_pg_database,
    _drop_pg_database,
    _journey,
    free_port,
    percentiles,
    stop,
    wait_ready,
)

NO_CREDENTIAL = Client()  # the API is open on loopback: starts carry no key
# A sandbox-shaped key that exists only in this run's throwaway config file.
MIDTRANS_SERVER_KEY = "SB-Mid-server-BENCH-journeys-0000"
GROSS_AMOUNT = "10000.00"
# Midtrans' fixed status_code per transaction status in its HTTP notifications.
STATUS_CODES = {"pending": "201", "settlement": "200"}
# A bounded run: no single call may hang the benchmark, nor the whole run exceed --max-seconds.
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=60)

Timings = dict[str, list[float]]


def _notification(order_id: str, transaction_status: str) -> bytes:
    """The raw bytes of a Midtrans HTTP notification (bank transfer), `signature_key` computed as Midtrans does.

    signature_key = SHA512(order_id + status_code + gross_amount + serverKey), hex.
    """
    status_code = STATUS_CODES[transaction_status]
    signed = (order_id + status_code + GROSS_AMOUNT + MIDTRANS_SERVER_KEY).encode("utf-8")
    body = {
        "transaction_time": "2026-01-01 07:00:00",
        "transaction_status": transaction_status,
        "transaction_id": hashlib.sha1(order_id.encode()).hexdigest(),
        "status_message": "midtrans payment notification",
        "status_code": status_code,
        "signature_key": hashlib.sha512(signed).hexdigest(),
        "payment_type": "bank_transfer",
        "order_id": order_id,
        "merchant_id": "G141532850",
        "gross_amount": GROSS_AMOUNT,
        "fraud_status": "accept",
        "currency": "IDR",
        "va_numbers": [{"va_number": "812785002530231", "bank": "bca"}],
    }
    return orjson.dumps(body)


async def _notify(http: aiohttp.ClientSession, base: str, raw: bytes, verdict: str, what: str) -> None:
    headers = {"Content-Type": "application/json"}
    async with http.post(f"{base}/inbound/midtrans", data=raw, headers=headers) as response:
        text = await response.text()
        got = response.headers.get("Journeys-Delivery-Verdict")
        if response.status != 200 or text != "OK" or got != verdict:
            raise AssertionError(f"{what}: expected 200 OK {verdict}, got {response.status} {got} {text[:300]}")


async def _midtrans_journey(
    http: aiohttp.ClientSession, base: str, order_id: str, timings: Timings, journey_ids: list[str]
) -> None:
    """One midtrans-payment journey: start, pending, settlement, duplicate settlement; each call timed."""
    pending = _notification(order_id, "pending")
    settlement = _notification(order_id, "settlement")
    t0 = time.perf_counter()
    body = {"orderId": order_id, "grossAmount": GROSS_AMOUNT}
    async with http.post(f"{base}/journeys/midtrans-payment/start", json=body) as response:
        assert response.status == 200, await response.text()
        journey_id = (await response.json())["journeyId"]
    t1 = time.perf_counter()
    await _notify(http, base, pending, "applied", f"{order_id} pending")
    t2 = time.perf_counter()
    await _notify(http, base, settlement, "applied", f"{order_id} settlement")
    t3 = time.perf_counter()
    await _notify(http, base, settlement, "duplicate", f"{order_id} duplicate settlement")
    t4 = time.perf_counter()
    timings["start"].append(t1 - t0)
    timings["pending"].append(t2 - t1)
    timings["settlement"].append(t3 - t2)
    timings["duplicate"].append(t4 - t3)
    journey_ids.append(journey_id)


async def _closed_loop(total: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Run `one(i)` for i in 0..total-1 with `concurrency` clients, each starting its next as soon as one ends."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            await one(queue.get_nowait())

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


async def _check_outcomes(http: aiohttp.ClientSession, base: str, journey_ids: list[str]) -> None:
    """After the timed part: a sample of the journeys really ended paid, on the settlement notification."""
    step = max(1, len(journey_ids) // 20)
    for journey_id in journey_ids[::step]:
        async with http.get(f"{base}/journeys/{journey_id}/result") as response:
            assert response.status == 200, await response.text()
            outcome = await response.json()
        output = outcome.get("output") or {}
        assert outcome["phase"] == "Succeeded" and output.get("transactionStatus") == "settlement", outcome


async def _run(base: str, total: int, concurrency: int) -> None:
    warmup = min(200, total // 10)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as http:
        # Today's flow first, as journeys_bench.py measures it (same warm-up, same closed loop).
        callback: Timings = {"start": [], "callback": [], "result": []}
        scratch: Timings = {k: [] for k in callback}
        await asyncio.gather(*(_journey(http, base, NO_CREDENTIAL, -i - 1, scratch) for i in range(warmup)))
        one_journey = lambda i: _journey(http, base, NO_CREDENTIAL, i, callback)  # noqa: E731
        callback_elapsed = await _closed_loop(total, concurrency, one_journey)

        inbound: Timings = {"start": [], "pending": [], "settlement": [], "duplicate": []}
        scratch = {k: [] for k in inbound}
        ids: list[str] = []
        await asyncio.gather(*(_midtrans_journey(http, base, f"warm-{i}", scratch, []) for i in range(warmup)))
        inbound_elapsed = await _closed_loop(
            total, concurrency, lambda i: _midtrans_journey(http, base, f"order-{i}", inbound, ids)
        )
        await _check_outcomes(http, base, ids)

    callbacks_per_s = total / callback_elapsed
    deliveries_per_s = 3 * total / inbound_elapsed
    deliveries = inbound["pending"] + inbound["settlement"] + inbound["duplicate"]
    print("payment-callback: start -> callback (step URL) -> result")
    print(
        f"  {total} journeys in {callback_elapsed:.2f} s: {total / callback_elapsed:.0f} journeys/s, "
        f"{callbacks_per_s:.0f} callbacks/s"
    )
    for name, samples in callback.items():
        print(f"  {name:<11} {percentiles(samples)}")
    print("midtrans-payment: start -> pending -> settlement -> duplicate settlement (POST /inbound/midtrans)")
    print(
        f"  {total} journeys in {inbound_elapsed:.2f} s: {total / inbound_elapsed:.0f} journeys/s, "
        f"{deliveries_per_s:.0f} deliveries/s"
    )
    for name, samples in inbound.items():
        print(f"  {name:<11} {percentiles(samples)}")
    print(f"  {'deliveries':<11} {percentiles(deliveries)}  (pending, settlement and duplicate together)")
    callback_p99 = _p99(callback["callback"])
    print("inbound vs payment-callback")
    print(f"  delivery p99 / callback p99:   {_p99(deliveries) / callback_p99:.2f}")
    print(f"  settlement p99 / callback p99: {_p99(inbound['settlement']) / callback_p99:.2f}")
    print(f"  deliveries/s / callbacks/s:    {deliveries_per_s / callbacks_per_s:.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("-n", "--journeys", type=int, default=5000, help="journeys per flow (default 5000)")
    parser.add_argument("-c", "--concurrency", type=int, default=64, help="clients in the closed loop (default 64)")
    parser.add_argument("--max-seconds", type=float, default=900, help="abort the whole run after this long")
    args = parser.parse_args()
    if args.journeys < 100 or args.concurrency < 1:
        parser.error("-n must be at least 100 (for a p99) and -c at least 1")

    workdir = Path(tempfile.mkdtemp(prefix="journeys-inbound-bench-"))
    config = workdir / "config.yaml"
    secrets = {"apiKeys": {"payments-callback": [SECRET]}, "inboundSecrets": {"midtrans": [MIDTRANS_SERVER_KEY]}}
    config.write_text(yaml.safe_dump(secrets))
    url = f"sqlite:///{workdir / 'bench.db'}" if args.backend == "sqlite" else await _create_pg_database()
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    command = [sys.executable, "-m", "journeys.cli", "serve", "--database-url", url, "--config", str(config)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--definitions", str(ROOT / "definitions")]
    log = workdir / "server.log"
    failed = True
    with log.open("wb") as server_output:
        process = subprocess.Popen(command, stdout=server_output, stderr=subprocess.STDOUT)
    try:
        async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as http:
            await wait_ready(http, f"{base}/journeys?limit=1", process, {})
        print(f"backend {args.backend}, concurrency {args.concurrency}, {args.journeys} journeys per flow")
        try:
            await asyncio.wait_for(_run(base, args.journeys, args.concurrency), timeout=args.max_seconds)
        except TimeoutError:
            raise SystemExit(f"aborted after --max-seconds {args.max_seconds:.0f}") from None
        failed = False
    finally:
        stop(process)
        if args.backend == "postgresql":
            await _drop_pg_database(url)
        if failed:
            print(f"server output kept in {log}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
