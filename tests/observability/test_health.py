"""`/healthz` and `/readyz` as a load balancer probes them: public, and `/readyz` 503 naming what is not ready
(a database that stopped answering, a scheduler that stopped ticking), then 200 again once it is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from journeys.server.auth import ClientAuth, parse_clients
from tests.auth.clients import bearer
from tests.hostile.tcp_proxy import CuttableProxy
from tests.observability.figures import scrape
from tests.server.helpers import call
from tests.support import LiveServer

SCRAPER_KEY = "scraper-key-0123456789abcdef"
STARTER_KEY = "starter-key-0123456789abcdef"


async def _probe(server: LiveServer, path: str) -> tuple[int, Any]:
    async with server.http.get(server.url(path)) as response:
        return response.status, await response.json(content_type=None)


async def test_a_running_server_is_up_and_ready(start_server: Callable[..., Any], database_url: str) -> None:
    server = await start_server(database_url)
    assert await _probe(server, "/healthz") == (200, {"status": "up"})
    status, body = await _probe(server, "/readyz")
    assert status == 200, body
    assert body["status"] == "ready"
    assert {name: check["ready"] for name, check in body["checks"].items()} == {
        "database": True,
        "definitions": True,
        "scheduler": True,
    }


async def test_readiness_fails_when_the_scheduler_stopped_ticking(
    start_server: Callable[..., Any], sqlite_url: str
) -> None:
    # The test config's scheduler ticks at start, then once an hour: four hours on, it is three ticks late.
    server = await start_server(sqlite_url)
    assert (await _probe(server, "/readyz"))[0] == 200
    server.clock.advance(hours=4)
    status, problem = await _probe(server, "/readyz")
    assert status == 503, problem
    assert problem["type"] == "urn:journeys:problem:not-ready"
    assert problem["detail"].startswith("not ready: scheduler last ticked 14400 s ago"), problem
    assert problem["checks"]["scheduler"]["ready"] is False and problem["checks"]["database"]["ready"] is True
    assert await _probe(server, "/healthz") == (200, {"status": "up"})  # alive: nothing to restart


async def test_readiness_fails_while_the_database_is_unreachable_and_recovers(
    start_server: Callable[..., Any], postgres_url: str
) -> None:
    proxy, proxied_url = await CuttableProxy.in_front_of(postgres_url)
    try:
        server = await start_server(proxied_url)
        assert (await _probe(server, "/readyz"))[0] == 200
        await proxy.cut()
        status, problem = await _probe(server, "/readyz")
        assert status == 503, problem
        assert problem["detail"] == "not ready: database unreachable", problem
        assert "127.0.0.1" not in str(problem)  # nothing of the database's own error reaches a public answer
        assert await _probe(server, "/healthz") == (200, {"status": "up"})
        figures = await scrape(server)  # the counters are still served, without the database's figures
        assert figures.value("journeys_database_up") == 0 and not figures.has("journeys_waiting")

        await proxy.restore()
        for _ in range(100):  # the pool reconnects on its own
            if (await _probe(server, "/readyz"))[0] == 200:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("never ready again after the database came back")
        assert (await scrape(server)).value("journeys_database_up") == 1
    finally:
        await proxy.close()


async def test_probes_are_public_and_metrics_need_a_read_key(start_server: Callable[..., Any], sqlite_url: str) -> None:
    clients = {
        "scraper": {"keys": [SCRAPER_KEY], "scopes": ["journeys:read"]},
        "starter": {"keys": [STARTER_KEY], "scopes": ["journeys:start:*"]},
    }
    server = await start_server(sqlite_url, client_auth=ClientAuth(clients=parse_clients(clients)))
    assert (await _probe(server, "/healthz"))[0] == 200
    assert (await _probe(server, "/readyz"))[0] == 200
    status, problem, _ = await call(server, "GET", "/metrics")
    assert (status, problem["type"]) == (401, "urn:journeys:problem:unauthenticated")
    status, problem, _ = await call(server, "GET", "/metrics", headers=bearer(STARTER_KEY))
    assert (status, problem["requiredScope"]) == (403, "journeys:read")
    figures = await scrape(server, bearer(SCRAPER_KEY))  # journeys:read and nothing more is enough
    assert figures.value("journeys_database_up") == 1
