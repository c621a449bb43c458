"""Fixtures of the server tests: the downstream accounts service `account-opening` calls, as a real stub server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from tests.support import LiveServer

PREFIX = "https://accounts.example.test/v1"
START = {"customerId": "c 1/x", "traceId": "t1"}


@dataclass
class Stub:
    """The downstream accounts service; `customer_status`/`customer_delay` script its behaviour."""

    url: str = ""
    seen: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    customer_status: int = 200
    customer_delay: float = 0.0
    audited: asyncio.Event = field(default_factory=asyncio.Event)

    async def customer(self, request: web.Request) -> web.Response:
        self._record(request, None)
        await asyncio.sleep(self.customer_delay)
        if self.customer_status != 200:
            return web.json_response({"title": "unavailable"}, status=self.customer_status)
        return web.json_response({"name": "Ada", "email": "ada@example.test", "id": request.match_info["cid"]})

    async def open_account(self, request: web.Request) -> web.Response:
        self._record(request, await request.json())
        return web.json_response({"accountId": "acc-9"}, status=201)

    async def audit(self, request: web.Request) -> web.Response:
        self._record(request, await request.json())
        self.audited.set()
        return web.Response(status=204)

    def _record(self, request: web.Request, body: Any) -> None:
        self.seen.append((request.method, request.raw_path, dict(request.headers), body))


@pytest.fixture
async def stub() -> AsyncIterator[Stub]:
    stub = Stub()
    app = web.Application()
    app.router.add_get("/v1/customers/{cid}", stub.customer)
    app.router.add_post("/v1/accounts", stub.open_account)
    app.router.add_post("/v1/audit/{cid}", stub.audit)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    stub.url = f"http://127.0.0.1:{port}/v1"
    yield stub
    await runner.cleanup()


@pytest.fixture
async def accounts_server(start_server: Callable[..., Any], stub: Stub, database_url: str) -> LiveServer:
    return await start_server(database_url, outbound_rewrites={PREFIX: stub.url})  # type: ignore[no-any-return]
