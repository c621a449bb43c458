"""Recovery takes a lease: of several processes that find one abandoned run, one runs it (its outbound call is
sent once more, not once per process), and a process's own long run is not taken over while it lasts.

The downstream service is a real local server that counts the calls it gets and holds them until released; the
processes are a real `journeys serve` child (SIGKILLed mid-call) and engines on the same database."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web

from journeys.connectors.http_client import AiohttpOutbound
from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine
from journeys.engine.clock import AdjustableClock
from journeys.engine.recovery import LEASE
from journeys.engine.snapshots import Clock, utc_now
from journeys.store import JourneyStore
from tests.server_process import ServerProcess
from tests.support import on_loopback

AUDIT_HOST = "https://audit.example.test"
JOURNEY = {
    "apiVersion": "v1",
    "kind": "Journey",
    "metadata": {"name": "slow-audit", "version": "1"},
    "spec": {
        "lifecycle": {"startMode": "async"},
        "input": {"schema": {"type": "object", "properties": {"ref": {"type": "string"}}}},
        "start": "audit",
        "states": {
            "audit": {
                "type": "task",
                "task": {
                    "kind": "httpCall:v1",
                    "method": "POST",
                    "url": AUDIT_HOST + "/audit/${context.ref}",
                    "body": {"mapper": {"lang": "dataweave", "expr": "{ ref: context.ref }"}},
                    "resultVar": "audited",
                },
                "next": "done",
            },
            "done": {"type": "succeed"},
        },
    },
}


class Downstream:
    """The audit service: counts calls per path, and answers none of them until `release` is set."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.calls[request.path] += 1
        await self.release.wait()
        return web.json_response({"ok": True})

    async def called(self, path: str, times: int) -> None:
        for _ in range(500):
            if self.calls[path] >= times:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{path} was called {self.calls[path]} times, not {times}")


@pytest.fixture
async def downstream() -> AsyncIterator[tuple[Downstream, str]]:
    service = Downstream()
    app = web.Application()
    app.router.add_post("/audit/{ref}", service.handle)
    async with on_loopback(app) as url:
        yield service, url
        service.release.set()


@pytest.fixture
def definitions(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "slow-audit.journey.yaml").write_text(yaml.safe_dump(JOURNEY))
    return folder


OpenEngine = Callable[..., Awaitable[JourneyEngine]]


@pytest.fixture
async def open_engine(definitions: Path, downstream: tuple[Downstream, str]) -> AsyncIterator[OpenEngine]:
    """Engines on a database (each as another process would be), calling the downstream stub; closed at the end."""
    opened: list[tuple[JourneyEngine, AiohttpOutbound]] = []
    catalog, _ = load_catalog([definitions])

    async def open_one(database_url: str, clock: Clock = utc_now) -> JourneyEngine:
        outbound = AiohttpOutbound({AUDIT_HOST: downstream[1]})
        store = await JourneyStore.open(database_url)
        engine = JourneyEngine(catalog, store, {}, outbound=outbound, clock=clock)
        engine.recovery.stale_after = timedelta(0)
        opened.append((engine, outbound))
        return engine

    yield open_one
    downstream[0].release.set()
    for engine, outbound in opened:
        await engine.drain()
        await outbound.close()
        await engine.store.close()


async def _phase(engine: JourneyEngine, journey_id: str) -> str:
    return (await engine.get(journey_id)).record.phase


async def test_one_process_resumes_a_run_that_a_killed_process_abandoned(
    database_url: str, tmp_path: Path, definitions: Path, downstream: tuple[Downstream, str], open_engine: OpenEngine
) -> None:
    service, url = downstream
    config = tmp_path / "server.yaml"
    config.write_text(yaml.safe_dump({"outboundRewrites": {AUDIT_HOST: url}}))
    killed = ServerProcess(database_url, config, tmp_path / "killed.log", definitions=(definitions,))
    try:
        async with aiohttp.ClientSession() as http:
            await killed.ready(http)
            async with http.post(f"{killed.base}/journeys/slow-audit/start", json={"ref": "r1"}) as response:
                assert response.status == 202
                journey_id = (await response.json())["journeyId"]
        await service.called("/audit/r1", 1)
    finally:
        killed.kill()  # mid-call: the journey stays Running, not waiting, at its last commit

    # The killed process's lease on its run lapses after LEASE: two processes whose clocks are past that.
    later = AdjustableClock()
    later.advance(LEASE + timedelta(seconds=1))
    first, second = await open_engine(database_url, later), await open_engine(database_url, later)
    assert sorted(await asyncio.gather(first.recover(), second.recover())) == [0, 1]
    await service.called("/audit/r1", 2)
    await asyncio.sleep(0.3)
    assert service.calls["/audit/r1"] == 2  # the killed process's call, and one process's resumed run
    assert await first.recover() == await second.recover() == 0  # still leased: nobody starts it again
    service.release.set()
    await asyncio.gather(first.drain(), second.drain())
    assert await _phase(first, journey_id) == "Succeeded"
    assert service.calls["/audit/r1"] == 2
    assert await first.recover() == await second.recover() == 0  # nothing left, no lease left behind


async def test_a_long_run_keeps_its_lease_so_no_other_process_takes_it_over(
    database_url: str, downstream: tuple[Downstream, str], open_engine: OpenEngine
) -> None:
    """An async start is leased to the process that accepted it, which renews the lease while its call lasts."""
    service, _ = downstream
    running, other = await open_engine(database_url), await open_engine(database_url)
    running.recovery.lease = timedelta(seconds=1)  # renewed every half second, as the server's keeper does
    stop = asyncio.Event()
    keeper = asyncio.create_task(running.recovery.keep_leases(stop))
    try:
        started = await running.start("slow-audit", {"ref": "r2"})
        await service.called("/audit/r2", 1)
        for _ in range(4):  # two leases long, untouched all the while: stale, but leased
            await asyncio.sleep(0.5)
            assert await other.recover() == 0
        assert service.calls["/audit/r2"] == 1
        service.release.set()
        await running.drain()
        assert await _phase(other, started.snapshot.record.id) == "Succeeded"
        assert service.calls["/audit/r2"] == 1
    finally:
        stop.set()
        await keeper


async def test_a_lease_nobody_renews_lapses_and_the_run_is_taken_over(
    database_url: str, downstream: tuple[Downstream, str], open_engine: OpenEngine
) -> None:
    """The counterpart of the test above (the same run, its lease not renewed, as when its process died): it is
    the renewal that keeps the other process off, not luck."""
    service, _ = downstream
    running, other = await open_engine(database_url), await open_engine(database_url)
    running.recovery.lease = timedelta(seconds=1)
    await running.start("slow-audit", {"ref": "r3"})
    await service.called("/audit/r3", 1)
    assert await other.recover() == 0
    await asyncio.sleep(1.2)
    assert await other.recover() == 1
    await service.called("/audit/r3", 2)
    service.release.set()
