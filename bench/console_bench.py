"""How long the console takes to answer a journey's page when the journey has a long history (target: < 200 ms).

Starts the app in this process on a loopback port (no client configured, so no sign-in; SQLite in a temporary
directory, or PostgreSQL with --database-url), starts a payment-callback journey and sends it T-1 callbacks that
carry the gateway's secret but another payment's id: each is checked, routed back to `waitForCallback` and
committed, so the journey has T transitions, each with its request body and context. Then it asks for
`/console/journeys/{id}` R times and prints the median, p95 and worst answer time in milliseconds (the database
reads, the diagram with the path drawn, the template and the HTTP round trip), with the page's size. Every answer
is checked (200, and every transition in the page). Not a test: it only measures and prints.

    .venv/bin/python bench/console_bench.py
    .venv/bin/python bench/console_bench.py --transitions 5000 --repeat 50
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from journeys.engine import parse_profiles  # noqa: E402
from journeys.server.app import build_app  # noqa: E402
from journeys.server.config import ServerConfig  # noqa: E402
from journeys.server.http_protocol import ProblemAppRunner  # noqa: E402

SECRET = "bench-webhook-secret-0123456789"
PAYMENT = {"paymentId": "pay-bench", "amount": 12.5, "currency": "EUR"}


async def _seed(http: aiohttp.ClientSession, base: str, transitions: int) -> str:
    async with http.post(f"{base}/api/v1/journeys/payment-callback/start", json=PAYMENT) as started:
        assert started.status == 200, await started.text()
        journey_id = (await started.json())["journeyId"]
    step = f"{base}/api/v1/journeys/{journey_id}/steps/waitForCallback"
    for n in range(transitions - 1):
        callback = {"paymentId": f"someone-else-{n}", "status": "SUCCESS"}
        async with http.post(step, json=callback, headers={"X-Webhook-Secret": SECRET}) as answered:
            assert answered.status == 200, await answered.text()
    async with http.get(f"{base}/api/v1/journeys/{journey_id}/history") as history:
        count = len((await history.json())["items"])
    assert count == transitions, f"the journey has {count} transitions, not {transitions}"
    return str(journey_id)


async def _measure(page: str, transitions: int, repeat: int) -> tuple[list[float], int]:
    times, size = [], 0
    async with aiohttp.ClientSession() as http:
        for _ in range(repeat + 1):  # the first answer warms the caches (templates, the definition's compile)
            began = time.perf_counter()
            async with http.get(page) as answer:
                body = await answer.text()
                assert answer.status == 200, body[:500]
            times.append((time.perf_counter() - began) * 1000)
            size = len(body.encode())
            assert f'id="transition-{transitions}"' in body, "the page does not show every transition"
    return times[1:], size


async def main(transitions: int, repeat: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        config = ServerConfig(
            definitions=(ROOT / "definitions",),
            database_url=database_url or f"sqlite:///{Path(directory) / 'bench.db'}",
            api_keys=parse_profiles({"payments-callback": [SECRET]}),
            scheduler_interval=3600,
        )
        runner = ProblemAppRunner(build_app(config))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        try:
            began = time.perf_counter()
            async with aiohttp.ClientSession() as http:
                journey_id = await _seed(http, base, transitions)
            print(f"seeded a journey with {transitions} transitions in {time.perf_counter() - began:.1f} s")
            times, size = await _measure(f"{base}/console/journeys/{journey_id}", transitions, repeat)
        finally:
            await runner.cleanup()
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"GET /console/journeys/{{id}} with {transitions} transitions, {repeat} times: "
        f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, worst {times[-1]:.1f} ms "
        f"(page {size / 1024:.0f} KiB; target < 200 ms)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transitions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", help="e.g. postgresql://postgres@127.0.0.1:5432/bench (default: SQLite)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.transitions, arguments.repeat, arguments.database_url))
