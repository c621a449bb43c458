"""The console's fixtures: a live server with clients configured (and one without), the stock service its test
journey calls, and a real Chromium driven by Playwright.

Playwright cannot download its own browser here, so the tests drive the system's Chromium (Debian's package,
`apt-get install chromium`, which `.ci/run` installs); without it they are skipped, saying so.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.auth.clients import CLIENT_AUTH
from tests.support import SHIPPED_DEFINITIONS, LiveServer

CONSOLE_DEFINITIONS = Path(__file__).resolve().parent / "journeys"
INVENTORY = "https://inventory.example.test"
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Inventory:
    """The stock service `console-order` reserves with: answers 503 while `available` is false."""

    url: str = ""
    available: bool = True
    reserved: list[str] = field(default_factory=list)

    async def reserve(self, request: web.Request) -> web.Response:
        if not self.available:
            return web.json_response({"title": "stock service down"}, status=503)
        self.reserved.append(request.match_info["orderId"])
        return web.json_response({"reservationId": f"R-{len(self.reserved)}"}, status=201)


@pytest.fixture
async def inventory() -> AsyncIterator[Inventory]:
    inventory = Inventory()
    app = web.Application()
    app.router.add_post("/reservations/{orderId}", inventory.reserve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    inventory.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield inventory
    await runner.cleanup()


def server_changes(inventory: Inventory, **more: Any) -> dict[str, Any]:
    return {
        "definitions": (SHIPPED_DEFINITIONS, CONSOLE_DEFINITIONS),
        "outbound_rewrites": {INVENTORY: inventory.url},
        **more,
    }


@pytest.fixture
async def console_server(start_server: Callable[..., Any], database_url: str, inventory: Inventory) -> LiveServer:
    """A server with clients configured (`tests/auth/clients.py`): the console needs a sign-in."""
    return await start_server(database_url, **server_changes(inventory, client_auth=CLIENT_AUTH))  # type: ignore[no-any-return]


@pytest.fixture
async def open_server(start_server: Callable[..., Any], sqlite_url: str, inventory: Inventory) -> LiveServer:
    """A server with no client configured, as the README's quickstart runs it: no sign-in."""
    return await start_server(sqlite_url, **server_changes(inventory))  # type: ignore[no-any-return]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Chromium, headless; the tests are skipped when it or Playwright is missing."""
    async_api = pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")
    executable = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if executable is None:
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` (Playwright cannot "
            "download its own browser here)"
        )
    async with async_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(executable))
        yield launched
        await launched.close()
