"""SIGKILL a real `journeys serve` process while Midtrans notifications are in flight, restart it on the same
database and let Midtrans retry: every payment must settle exactly once, and the inbound log must tell so.

Midtrans retries every notification it did not get a 2xx for, byte for byte; a crash must neither lose an
acknowledged notification (it was committed before the answer), nor apply one twice when its retry arrives at
the restarted process (the dedupe record survives the crash with the advance it caused), nor lose an early
notification parked in the inbox before its journey started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import orjson
import pytest

from tests.gateways import midtrans_notification
from tests.server_process import ServerProcess, spawning
from tests.support import API_KEYS, INBOUND_SECRETS, MIDTRANS_SERVER_KEY

JOURNEYS = 30
EARLY = 12
CONCURRENCY = 8
TIMEOUT = aiohttp.ClientTimeout(total=30)

T = TypeVar("T")


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[[str], ServerProcess]]:
    """Servers with the test inbound secrets (the Midtrans server key) in their config file."""
    yield from spawning(tmp_path, {"apiKeys": API_KEYS, "inboundSecrets": INBOUND_SECRETS})


@dataclass(frozen=True)
class Answer:
    status: int
    verdict: str | None
    delivery_id: str | None


def settlement(order_id: str) -> bytes:
    """The exact bytes Midtrans posts (and re-posts on every retry) when the order settles."""
    return orjson.dumps(midtrans_notification(order_id, "settlement", server_key=MIDTRANS_SERVER_KEY))


async def notify(http: aiohttp.ClientSession, server: ServerProcess, raw: bytes) -> Answer | None:
    """POST a notification to the Midtrans URL; None when the server died before answering it."""
    try:
        async with http.post(
            f"{server.base}/inbound/midtrans", data=raw, headers={"Content-Type": "application/json"}
        ) as response:
            await response.read()
            headers = response.headers
            return Answer(
                response.status, headers.get("Journeys-Delivery-Verdict"), headers.get("Journeys-Delivery-Id")
            )
    except (TimeoutError, aiohttp.ClientError):
        return None


async def kill_midway(
    server: ServerProcess, calls: Sequence[Callable[[], Awaitable[T | None]]], kill_after: int
) -> list[T | None]:
    """Make the calls `CONCURRENCY` at a time (a gateway's worker pool) and SIGKILL the server the moment
    `kill_after` of them were answered, so the next ones die in flight: some before, some after their commit.
    A call returns None when the server died before answering it."""
    answered = 0
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(call: Callable[[], Awaitable[T | None]]) -> T | None:
        nonlocal answered
        async with gate:
            answer = await call()
        if answer is not None:
            answered += 1
            if answered == kill_after:  # right here, before the loop reads the answers already on the wire
                server.kill()
        return answer

    everything = await asyncio.gather(*(one(call) for call in calls))
    server.kill()  # in case fewer than `kill_after` were answered
    return list(everything)


async def notify_and_kill(
    http: aiohttp.ClientSession, server: ServerProcess, bodies: Sequence[bytes], kill_after: int
) -> list[Answer | None]:
    return await kill_midway(server, [partial(notify, http, server, raw) for raw in bodies], kill_after)


async def get_json(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        assert response.status == 200, (url, response.status, await response.text())
        return await response.json()


async def start_payment(http: aiohttp.ClientSession, server: ServerProcess, order_id: str) -> str:
    body = {"orderId": order_id, "grossAmount": "10000.00"}
    async with http.post(f"{server.base}/journeys/midtrans-payment/start", json=body) as response:
        answer = await response.json()
        assert response.status == 200, answer
    return str(answer["journeyId"])


async def try_start(http: aiohttp.ClientSession, server: ServerProcess, order_id: str) -> str | None:
    """Start the order's payment journey; None when the server died before answering."""
    try:
        return await start_payment(http, server, order_id)
    except (TimeoutError, aiohttp.ClientError):
        return None


async def events(http: aiohttp.ClientSession, server: ServerProcess, journey_id: str) -> list[str]:
    history = await get_json(http, f"{server.base}/journeys/{journey_id}/history")
    return [item["event"] for item in history["items"]]


async def logged(http: aiohttp.ClientSession, server: ServerProcess, journey_id: str) -> list[dict[str, Any]]:
    """The inbound log rows naming the journey (newest first)."""
    page = await get_json(http, f"{server.base}/inbound/deliveries?journeyId={journey_id}&limit=100")
    assert page["nextPageToken"] is None
    return list(page["items"])


async def test_sigkill_under_notifications_then_retries_settle_each_payment_once(
    spawn: Callable[[str], ServerProcess], database_url: str
) -> None:
    orders = [f"crash-order-{i}" for i in range(JOURNEYS)]
    raw = {order: settlement(order) for order in orders}
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        first = spawn(database_url)
        await first.ready(http)
        journeys = {order: await start_payment(http, first, order) for order in orders}

        before = await notify_and_kill(http, first, [raw[order] for order in orders], kill_after=JOURNEYS // 3)
        for order, answer in zip(orders, before, strict=True):
            # Answered before the crash: every journey waited, so it can only have been applied.
            assert answer is None or (answer.status, answer.verdict) == (200, "applied"), (order, answer)

        second = spawn(database_url)
        await second.ready(http)
        # Midtrans retries what got no 2xx; we re-send everything to also prove duplicates survive the crash.
        after = await asyncio.gather(*(notify(http, second, raw[order]) for order in orders))
        for order, first_answer, retry in zip(orders, before, after, strict=True):
            assert retry is not None and retry.status == 200, (order, retry)
            assert retry.verdict in ("applied", "duplicate"), (order, retry)
            if first_answer is not None:  # acknowledged means committed: the retry must not apply it again
                assert retry.verdict == "duplicate", (order, first_answer, retry)

        for order, retry in zip(orders, after, strict=True):
            journey_id = journeys[order]
            outcome = await get_json(http, f"{second.base}/journeys/{journey_id}/result")
            assert outcome["phase"] == "Succeeded", (order, outcome)
            assert outcome["output"]["orderId"] == order and outcome["output"]["transactionStatus"] == "settlement"
            assert await events(http, second, journey_id) == ["start", "step"], order
            verdicts = sorted(row["verdict"] for row in await logged(http, second, journey_id))
            expected = ["applied"] + (["duplicate"] if retry is not None and retry.verdict == "duplicate" else [])
            assert verdicts == expected, (order, verdicts)


async def test_sigkill_with_early_notifications_in_the_inbox_applies_each_once(
    spawn: Callable[[str], ServerProcess], database_url: str
) -> None:
    orders = [f"early-order-{i}" for i in range(EARLY)]
    raw = {order: settlement(order) for order in orders}
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        first = spawn(database_url)
        await first.ready(http)
        # Midtrans notifies before our side started the journeys: they are parked, then the process dies.
        before = await notify_and_kill(http, first, [raw[order] for order in orders], kill_after=EARLY // 3)
        for order, answer in zip(orders, before, strict=True):
            assert answer is None or (answer.status, answer.verdict) == (200, "buffered"), (order, answer)

        second = spawn(database_url)
        await second.ready(http)
        after = await asyncio.gather(*(notify(http, second, raw[order]) for order in orders))
        inbox: dict[str, str] = {}  # order -> id of the delivery kept in the inbox, when its answer said so
        for order, first_answer, retry in zip(orders, before, after, strict=True):
            assert retry is not None and retry.status == 200, (order, retry)
            assert retry.verdict in ("buffered", "duplicate"), (order, retry)
            if first_answer is not None:
                assert retry.verdict == "duplicate", (order, first_answer, retry)
            kept = first_answer if first_answer is not None else retry
            if kept.verdict == "buffered":
                assert kept.delivery_id is not None
                inbox[order] = kept.delivery_id

        journeys = dict(
            zip(orders, await asyncio.gather(*(start_payment(http, second, order) for order in orders)), strict=True)
        )
        for order in orders:
            journey_id = journeys[order]
            outcome = await get_json(http, f"{second.base}/journeys/{journey_id}/result?waitSeconds=10")
            assert outcome["phase"] == "Succeeded", (order, outcome)
            assert outcome["output"]["transactionStatus"] == "settlement"
            assert await events(http, second, journey_id) == ["start", "step"], order
            rows = await logged(http, second, journey_id)
            assert [row["verdict"] for row in rows] == ["applied"], (order, rows)
            if order in inbox:  # the very delivery acknowledged as parked is the one applied
                assert rows[0]["deliveryId"] == inbox[order], (order, rows, inbox[order])
        left = await get_json(http, f"{second.base}/inbound/deliveries?source=midtrans&verdict=buffered")
        assert left["items"] == []


async def test_sigkill_while_started_journeys_take_their_early_notifications(
    spawn: Callable[[str], ServerProcess], database_url: str
) -> None:
    """A start commits the waiting journey, then applies its inbox in the background: a crash in between must
    not strand the parked notification (the restarted server's sweep applies it), nor apply it twice."""
    orders = [f"race-order-{i}" for i in range(EARLY)]
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        first = spawn(database_url)
        await first.ready(http)
        for order in orders:
            answer = await notify(http, first, settlement(order))
            assert answer is not None and (answer.status, answer.verdict) == (200, "buffered"), (order, answer)
        started = await kill_midway(first, [partial(try_start, http, first, order) for order in orders], EARLY // 3)

        second = spawn(database_url)
        await second.ready(http)
        # Every journey the first process created (answered or not) must now settle on its own.
        listed = await get_json(http, f"{second.base}/journeys?journeyName=midtrans-payment&limit=100")
        journeys: dict[str, str] = {}
        for item in listed["items"]:
            outcome = await get_json(http, f"{second.base}/journeys/{item['journeyId']}/result?waitSeconds=10")
            assert outcome["phase"] == "Succeeded", outcome  # a parked notification stranded by the crash
            order = outcome["output"]["orderId"]
            assert order not in journeys, (order, journeys[order], item["journeyId"])
            journeys[order] = item["journeyId"]
        for order, journey_id in zip(orders, started, strict=True):
            assert journey_id is None or journeys.get(order) == journey_id, (order, journey_id)
        # The starts that died before committing are made again, as the shop would.
        for order in orders:
            if order not in journeys:
                journeys[order] = await start_payment(http, second, order)
        for order in orders:
            journey_id = journeys[order]
            outcome = await get_json(http, f"{second.base}/journeys/{journey_id}/result?waitSeconds=10")
            assert outcome["phase"] == "Succeeded" and outcome["output"]["orderId"] == order, (order, outcome)
            assert await events(http, second, journey_id) == ["start", "step"], order
            rows = await logged(http, second, journey_id)
            assert [row["verdict"] for row in rows] == ["applied"], (order, rows)
        left = await get_json(http, f"{second.base}/inbound/deliveries?source=midtrans&verdict=buffered")
        assert left["items"] == []
