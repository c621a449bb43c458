"""On PostgreSQL, a long-poll for a journey's result in one process is answered as soon as another process ends
the journey (LISTEN/NOTIFY), not at its next re-read: here a re-read would come after 15 s, the answer within a few.

Two real servers on one scratch database; the listener survives its connection being cut."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from journeys.engine.terminal_watch import REREAD_LISTENING_SECONDS
from journeys.store.end_notices import APPLICATION_NAME, EndNotices
from tests.support import WEBHOOK_SECRET, LiveServer

PAYMENT = {"paymentId": "pay-1", "amount": 10, "currency": "EUR"}


async def _listening(server: LiveServer) -> None:
    for _ in range(250):
        if server.engine.terminal.reread_seconds == REREAD_LISTENING_SECONDS:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the server never started listening for ended journeys")


async def _start(server: LiveServer) -> str:
    async with server.http.post(f"{server.base_url}/api/v1/journeys/payment-callback/start", json=PAYMENT) as answer:
        assert answer.status == 200
        journey_id: str = (await answer.json())["journeyId"]
        return journey_id


async def _long_poll(server: LiveServer, journey_id: str) -> tuple[int, dict[str, Any], float]:
    loop = asyncio.get_running_loop()
    began = loop.time()
    url = f"{server.base_url}/api/v1/journeys/{journey_id}/result?waitSeconds=30"
    async with server.http.get(url) as answer:
        return answer.status, await answer.json(), loop.time() - began


async def _end(server: LiveServer, journey_id: str) -> None:
    url = f"{server.base_url}/api/v1/journeys/{journey_id}/steps/waitForCallback"
    body = {"paymentId": "pay-1", "status": "SUCCESS"}
    async with server.http.post(url, json=body, headers={"X-Webhook-Secret": WEBHOOK_SECRET}) as answer:
        assert answer.status == 200


async def _ended_elsewhere_answers_at_once(polled: LiveServer, ending: LiveServer) -> None:
    journey_id = await _start(ending)
    poll = asyncio.create_task(_long_poll(polled, journey_id))
    await asyncio.sleep(0.3)  # the long-poll is waiting
    await _end(ending, journey_id)
    status, outcome, took = await poll
    assert (status, outcome["phase"]) == (200, "Succeeded")
    assert took < 5, f"answered after {took:.1f} s: by a re-read, not by the notice"


async def test_a_long_poll_hears_at_once_that_another_process_ended_the_journey(
    start_server: Callable[..., Any], postgres_url: str
) -> None:
    polled, ending = await start_server(postgres_url), await start_server(postgres_url)
    await _listening(polled)
    await _ended_elsewhere_answers_at_once(polled, ending)


async def _listener_pids(admin: asyncpg.Connection) -> set[int]:
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
        APPLICATION_NAME,
    )
    return {row["pid"] for row in rows}


async def test_the_listener_reconnects_when_its_connection_is_cut(
    start_server: Callable[..., Any], postgres_url: str
) -> None:
    polled, ending = await start_server(postgres_url), await start_server(postgres_url)
    await _listening(polled)
    admin = await asyncpg.connect(postgres_url)
    try:
        cut = await _listener_pids(admin)
        assert len(cut) == 2  # each server's listener
        await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", list(cut))
        for _ in range(250):  # both servers connect again, on new connections
            now = await _listener_pids(admin)
            if len(now) == 2 and not now & cut:
                break
            await asyncio.sleep(0.02)
        assert len(now) == 2 and not now & cut
    finally:
        await admin.close()
    await _listening(polled)
    await _ended_elsewhere_answers_at_once(polled, ending)


async def test_a_shutdown_does_not_wait_for_a_database_that_does_not_answer() -> None:
    """The listener is connecting to a database that accepts the connection and then says nothing (a hung server):
    stopping the server must not wait out the connect's 10 s timeout."""
    silent = await asyncio.start_server(lambda _reader, _writer: None, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    notices = EndNotices(make_url(f"postgresql+asyncpg://nobody@127.0.0.1:{port}/journeys"), print, lambda: None)
    stop = asyncio.Event()
    listening = asyncio.create_task(notices.run(stop))
    try:
        await asyncio.sleep(0.3)
        stop.set()
        began = asyncio.get_running_loop().time()
        await asyncio.wait_for(listening, 5)
        assert asyncio.get_running_loop().time() - began < 1
    finally:
        silent.close()
