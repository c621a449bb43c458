"""Kill the server process with SIGKILL while journeys wait (and while callbacks are in flight),
restart it on the same database, and check that every journey completes exactly once."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.server_process import ServerProcess, spawning
from tests.support import API_KEYS, WEBHOOK_SECRET

JOURNEYS = 40


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[[str], ServerProcess]]:
    yield from spawning(tmp_path, {"apiKeys": API_KEYS})


async def _post(http: aiohttp.ClientSession, url: str, body: object, headers: dict[str, str] | None = None) -> int:
    try:
        async with http.post(url, json=body, headers=headers or {}) as response:
            await response.read()
            return response.status
    except (TimeoutError, aiohttp.ClientError):
        return -1  # the server died under this request


async def test_sigkill_while_journeys_wait_loses_nothing(
    spawn: Callable[[str], ServerProcess], database_url: str
) -> None:
    async with aiohttp.ClientSession() as http:
        first = spawn(database_url)
        await first.ready(http)
        ids = []
        for i in range(JOURNEYS):
            body = {"paymentId": f"pay-{i}", "amount": 10 + i, "currency": "EUR"}
            async with http.post(f"{first.base}/journeys/payment-callback/start", json=body) as response:
                assert response.status == 200
                ids.append((await response.json())["journeyId"])
        greeting_ids = []
        for i in range(5):
            async with http.post(f"{first.base}/journeys/async-greeting/start", json={"name": f"n{i}"}) as response:
                assert response.status == 202
                greeting_ids.append((await response.json())["journeyId"])

        # Half the callbacks are in flight when the process dies.
        in_flight = [
            asyncio.create_task(
                _post(
                    http,
                    f"{first.base}/journeys/{jid}/steps/waitForCallback",
                    {"paymentId": f"pay-{i}", "status": "SUCCESS"},
                    {"X-Webhook-Secret": WEBHOOK_SECRET},
                )
            )
            for i, jid in enumerate(ids[: JOURNEYS // 2])
        ]
        await asyncio.sleep(0.02)
        first.kill()
        answered = await asyncio.gather(*in_flight)

        second = spawn(database_url)
        await second.ready(http)
        for i, jid in enumerate(ids):
            async with http.get(f"{second.base}/journeys/{jid}") as response:
                status = await response.json()
            if i < len(answered) and answered[i] == 200:
                # An acknowledged callback must have been committed before the answer.
                assert status["phase"] == "Succeeded", (jid, status)
            if status["phase"] == "Running":
                code = await _post(
                    http,
                    f"{second.base}/journeys/{jid}/steps/waitForCallback",
                    {"paymentId": f"pay-{i}", "status": "SUCCESS"},
                    {"X-Webhook-Secret": WEBHOOK_SECRET},
                )
                assert code == 200
        for i, jid in enumerate(ids):
            async with http.get(f"{second.base}/journeys/{jid}/result") as response:
                assert response.status == 200
                outcome = await response.json()
            assert outcome["phase"] == "Succeeded" and outcome["output"]["paymentId"] == f"pay-{i}"
            async with http.get(f"{second.base}/journeys/{jid}/history") as response:
                events = [item["event"] for item in (await response.json())["items"]]
            assert events == ["start", "step"], (jid, events)  # ran past the callback exactly once
        # Accepted async starts the killed process had not run: resumed at once on SQLite (one process per file);
        # on PostgreSQL, where a live process might be running them, once the killed process's lease lapses (15 s).
        wait = 5 if database_url.startswith("sqlite") else 25
        for jid in greeting_ids:
            async with http.get(f"{second.base}/journeys/{jid}/result?waitSeconds={wait}") as response:
                assert response.status == 200 and (await response.json())["phase"] == "Succeeded"


async def test_sigterm_shuts_down_cleanly_and_keeps_everything(
    spawn: Callable[[str], ServerProcess], sqlite_url: str
) -> None:
    async with aiohttp.ClientSession() as http:
        first = spawn(sqlite_url)
        await first.ready(http)
        body = {"paymentId": "pay-term", "amount": 5, "currency": "EUR"}
        async with http.post(f"{first.base}/journeys/payment-callback/start", json=body) as response:
            journey_id = (await response.json())["journeyId"]
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(timeout=15) == 0

        second = spawn(sqlite_url)
        await second.ready(http)
        async with http.get(f"{second.base}/journeys/{journey_id}") as response:
            assert (await response.json())["currentState"] == "waitForCallback"
