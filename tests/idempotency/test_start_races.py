"""Racing retries of one start create one journey, whether they race in one server, across servers sharing the
database, or across a crash: the key's row is claimed in the journey's own transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import orjson
import pytest

from tests.idempotency.support import PAYMENT_START, Answer, journeys_of, serve, start
from tests.server.helpers import PAYMENT
from tests.server_process import ServerProcess, spawning
from tests.support import API_KEYS, LiveServer

RACERS = 12


def _one_answer(answers: list[Answer]) -> Answer:
    """Every racer got the same answer, and exactly one of them started the journey."""
    first = next(a for a in answers if "Idempotent-Replayed" not in a.headers)
    assert all((a.status, a.body) == (first.status, first.body) for a in answers)
    assert sum("Idempotent-Replayed" not in a.headers for a in answers) == 1
    return first


async def test_racing_retries_in_one_server_create_one_journey(
    start_server: Callable[..., object], database_url: str
) -> None:
    server = await serve(start_server, database_url)
    answers = await asyncio.gather(*(start(server, PAYMENT_START, PAYMENT, key="race") for _ in range(RACERS)))
    first = _one_answer(list(answers))
    assert [j["journeyId"] for j in await journeys_of(server, "payment-callback")] == [first.document["journeyId"]]


async def test_racing_retries_across_servers_sharing_the_database_create_one_journey(
    start_server: Callable[..., object], database_url: str
) -> None:
    servers: list[LiveServer] = [await serve(start_server, database_url) for _ in range(3)]
    for round_ in range(3):  # several rounds: each a fresh key, so the race is run more than once
        key = f"race-{round_}"
        racers = [start(servers[i % len(servers)], PAYMENT_START, PAYMENT, key=key) for i in range(RACERS)]
        _one_answer(list(await asyncio.gather(*racers)))
    assert len(await journeys_of(servers[0], "payment-callback")) == 3


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[[str], ServerProcess]]:
    yield from spawning(tmp_path, {"apiKeys": API_KEYS})


async def _post(http: aiohttp.ClientSession, url: str, body: object, key: str) -> Answer | None:
    try:
        async with http.post(url, data=orjson.dumps(body), headers={"Idempotency-Key": key}) as response:
            return Answer(response.status, await response.read(), dict(response.headers))
    except (TimeoutError, aiohttp.ClientError):
        return None  # the server died under this request: the client does not know whether it started


async def test_starts_retried_after_a_sigkill_create_no_second_journey(
    spawn: Callable[[str], ServerProcess], database_url: str
) -> None:
    """The failure the hostile test found: a client whose start's answer was lost retries it, after a restart."""
    payments = [{**PAYMENT, "paymentId": f"pay-{i}"} for i in range(200)]
    async with aiohttp.ClientSession() as http:
        first = spawn(database_url)
        await first.ready(http)
        url = f"{first.base}/journeys/payment-callback/start"
        inflight = [asyncio.ensure_future(_post(http, url, p, f"key-{p['paymentId']}")) for p in payments]
        while sum(task.done() for task in inflight) < len(payments) // 4:
            await asyncio.sleep(0.001)
        first.kill()  # with some starts answered, the others in flight or not yet read
        answered = await asyncio.gather(*inflight)

        second = spawn(database_url)
        await second.ready(http)
        url = f"{second.base}/journeys/payment-callback/start"
        retried = await asyncio.gather(*(_post(http, url, p, f"key-{p['paymentId']}") for p in payments))

        async with http.get(f"{second.base}/journeys?journeyName=payment-callback&limit=200") as response:
            journeys = (await response.json())["items"]
        second.stop()

    assert all(r is not None and r.status == 200 for r in retried)
    assert len(journeys) == len(payments) == len({j["journeyId"] for j in journeys})
    for before, after in zip(answered, retried, strict=True):
        assert after is not None
        if before is not None and before.status == 200:  # acknowledged before the kill: replayed as it was
            assert after.body == before.body and after.headers["Idempotent-Replayed"] == "true"
