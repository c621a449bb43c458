"""A live server for the auth-task tests: the journeys of ./journeys, JWT and mTLS profiles, optionally HTTPS."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine
from journeys.server.app import build_app
from journeys.server.config import ServerConfig
from journeys.server.credential_config import credential_changes
from journeys.server.http_protocol import ProblemAppRunner
from journeys.store import JourneyStore
from tests.credentials.certificates import NOW
from tests.support import FakeClock

JOURNEYS = Path(__file__).parent / "journeys"


@dataclass
class AuthServer:
    base_url: str
    http: aiohttp.ClientSession
    engine: JourneyEngine
    clock: FakeClock

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        async with self.http.request(
            method, self.base_url + path, json=body, headers=headers or {}, params=params
        ) as response:
            return response.status, await response.json(content_type=None)

    async def start(self, journey: str, **kwargs: Any) -> tuple[int, Any]:
        return await self.call("POST", f"/api/v1/journeys/{journey}/start", {}, **kwargs)

    async def output(self, journey_id: str) -> Any:
        status, outcome = await self.call("GET", f"/api/v1/journeys/{journey_id}/result")
        assert status == 200, outcome
        return outcome["output"]


@pytest.fixture
async def auth_server(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """`await auth_server(settings, client_ssl=None)`: `settings` as in the server config file (jwtProfiles,
    mtlsProfiles, tls, clientCertHeader; paths relative to tmp_path); `client_ssl` is the client side's context."""
    cleanups: list[Callable[[], Any]] = []

    async def start(settings: dict[str, Any], client_ssl: ssl.SSLContext | None = None) -> AuthServer:
        config = ServerConfig(definitions=(JOURNEYS,), database_url=sqlite_url, scheduler_interval=3600)
        changes = credential_changes(config.credentials, settings, tmp_path)
        config = replace(config, **changes)
        clock = FakeClock(NOW)
        store = await JourneyStore.open(sqlite_url)
        definitions, _ = load_catalog(config.definitions)
        engine = JourneyEngine(definitions, store, {}, clock=clock, credentials=config.credentials)
        runner = ProblemAppRunner(build_app(config, engine=engine))
        await runner.setup()
        tls = config.tls.context() if config.tls is not None else None
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_ssl or False))
        cleanups.extend([store.close, runner.cleanup, http.close])
        scheme = "https" if tls is not None else "http"
        return AuthServer(f"{scheme}://127.0.0.1:{port}", http, engine, clock)

    yield start
    for cleanup in reversed(cleanups):
        await cleanup()
