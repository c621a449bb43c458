"""`journeys contract-test --token` sends the client credential only to the server under test (the base URL's
scheme, host and port). `requests` drops `Authorization` when a redirect leaves the host, and calls
`Session.send` for every hop: the runner must not put the token back on a hop to another host."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from journeys.contracts.contract_runner import ArazzoDocument, run_document
from journeys.contracts.runner_session import origin
from tests.auth.clients import SHOP_KEY
from tests.support import ROOT, WEBHOOK_SECRET

ARAZZO = ROOT / "arazzo" / "payment-callback.arazzo.yaml"
INPUTS = {"paymentId": "pay-redirect", "amount": 42.5, "currency": "EUR", "webhookSecret": WEBHOOK_SECRET}


async def _serve(app: web.Application, host: str) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


@pytest.fixture
async def redirected() -> AsyncIterator[tuple[str, list[str]]]:
    """A front (127.0.0.1) that redirects every request to another host (`localhost`), which records the
    `Authorization` headers it is sent."""
    seen: list[str] = []

    async def elsewhere(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"detail": "not here"}, status=404)

    other = web.Application()
    other.router.add_route("*", "/{tail:.*}", elsewhere)
    other_runner, other_port = await _serve(other, "localhost")

    async def front(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(f"http://localhost:{other_port}{request.path_qs}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", front)
    runner, port = await _serve(app, "127.0.0.1")
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()
    await other_runner.cleanup()


async def test_the_token_does_not_follow_a_redirect_to_another_host(redirected: tuple[str, list[str]]) -> None:
    base_url, seen = redirected
    document = ArazzoDocument.load(ARAZZO)
    await asyncio.to_thread(run_document, document, base_url, INPUTS, workflow_ids=["payment-succeeds"], token=SHOP_KEY)
    assert seen, "the redirect was not followed"
    assert all(SHOP_KEY not in header for header in seen), f"another host was sent the client's key: {seen}"


def test_the_token_is_scoped_to_scheme_host_and_port() -> None:
    """The default port and letter case do not make another origin; another scheme or port does."""
    base = origin("http://Journeys.example:80/api")
    assert origin("http://journeys.example/api/v1/journeys?limit=1") == base
    assert origin("https://journeys.example/api") != base
    assert origin("http://journeys.example:8080/api") != base
    assert origin("http://journeys.example.evil.test/api") != base
