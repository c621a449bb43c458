"""PostgreSQL unreachable for a few seconds (a proxy between the server and the database is cut, then restored):
every request is answered 503 `database-unavailable` with Retry-After, the log gets at most about a line per
second with a count (it was ~325,000 lines in 10 s), and the server recovers without a restart, losing nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.hostile.tcp_proxy import CuttableProxy
from tests.server_process import ServerProcess, spawning
from tests.support import WEBHOOK_SECRET

OUTAGE_SECONDS = 4.0
PAYMENT = {"paymentId": "pay-1", "amount": 10, "currency": "EUR"}


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[[str], ServerProcess]]:
    yield from spawning(tmp_path, {"apiKeys": {"payments-callback": [{"id": "current", "secret": WEBHOOK_SECRET}]}})


@pytest.fixture
async def proxied_url(postgres_url: str) -> AsyncIterator[tuple[str, CuttableProxy]]:
    proxy, url = await CuttableProxy.in_front_of(postgres_url)
    yield url, proxy
    await proxy.close()


async def _request(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any, Any]:
    async with http.request(method, url, **kwargs) as response:
        return response.status, await response.json(content_type=None), response.headers


async def test_an_outage_is_a_503_with_retry_after_a_quiet_log_and_no_loss(
    spawn: Callable[[str], ServerProcess], proxied_url: tuple[str, CuttableProxy]
) -> None:
    database_url, proxy = proxied_url
    server = spawn(database_url)
    api = server.base
    callback = {"headers": {"X-Webhook-Secret": WEBHOOK_SECRET}, "json": {"paymentId": "pay-1", "status": "SUCCESS"}}
    async with aiohttp.ClientSession() as http:
        await server.ready(http)
        journeys = []
        for _ in range(5):
            status, body, _ = await _request(http, "POST", f"{api}/journeys/payment-callback/start", json=PAYMENT)
            assert status == 200, body
            journeys.append(body["journeyId"])

        await proxy.cut()
        answers: list[tuple[int, str | None, str | None]] = []
        deadline = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < deadline:
            for method, path, kwargs in (
                ("POST", "/journeys/payment-callback/start", {"json": PAYMENT}),
                ("GET", f"/journeys/{journeys[0]}", {}),
                ("GET", "/journeys", {}),
                ("POST", f"/journeys/{journeys[0]}/steps/waitForCallback", callback),
            ):
                status, body, headers = await _request(http, method, api + path, **kwargs)
                answers.append((status, body.get("type"), headers.get("Retry-After")))
        await proxy.restore()

        assert len(answers) > 40
        assert set(answers) == {(503, "urn:journeys:problem:database-unavailable", "5")}, set(answers)

        for _ in range(100):  # the pool reconnects on its own: no restart
            status, _, _ = await _request(http, "GET", f"{api}/journeys/{journeys[0]}")
            if status == 200:
                break
            await asyncio.sleep(0.1)
        for journey_id in journeys:
            path = f"{api}/journeys/{journey_id}/steps/waitForCallback"
            status, body, _ = await _request(http, "POST", path, **callback)
            assert status == 200, body
            status, outcome, _ = await _request(http, "GET", f"{api}/journeys/{journey_id}/result")
            assert (status, outcome["phase"]) == (200, "Succeeded")
        # The end of the outage is logged with the first success once the last line is a second old.
        for _ in range(30):
            if "available again" in server.log.read_text():
                break
            await asyncio.sleep(0.1)
    server.stop()

    # Every request has its access line and every transition its line, by design: the outage must add few more.
    per_request = (" journeys.access: ", " journeys.transitions: ")
    log = [line for line in server.log.read_text().splitlines() if not any(name in line for name in per_request)]
    outage_lines = [line for line in log if "journeys.database" in line]
    assert len(outage_lines) <= OUTAGE_SECONDS + 3, "\n".join(outage_lines)
    assert "failed operations since the last line" in outage_lines[0]
    assert any("available again" in line for line in outage_lines), "\n".join(outage_lines)
    assert len(log) < 40 and not any("Traceback" in line for line in log), "\n".join(log)
