"""Take the console screenshots in docs/images/ again: a server with a few dozen journeys in the states an operator
meets (waiting, past their deadline, failed on an outbound call, retried, cancelled), photographed by Chromium.

    .venv/bin/python -m tests.console.screenshots

The clock is a fake one set forward by two days before the pictures, so the list shows its flags.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from playwright.async_api import async_playwright

from journeys.connectors.http_client import AiohttpOutbound
from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine
from journeys.server.app import build_app
from journeys.server.http_protocol import ProblemAppRunner
from journeys.store import JourneyStore
from tests.console.conftest import CHROMIUM, INVENTORY, Inventory, server_changes
from tests.support import ROOT, WEBHOOK_SECRET, FakeClock, server_config

IMAGES = ROOT / "docs" / "images"


async def _seed(base: str, inventory: Inventory, clock: FakeClock) -> str:
    """Journeys of every kind; the id of the one the journey page shows (retried, then sent a bad callback)."""
    async with aiohttp.ClientSession() as http:

        async def post(path: str, body: object, headers: dict[str, str] | None = None) -> dict[str, object]:
            async with http.post(base + path, json=body, headers=headers) as answer:
                return dict(await answer.json())

        async def order(number: int) -> str:
            body = {"orderId": f"ORD-{number}", "sku": "SKU-42", "card": {"number": "4111111111111111"}}
            return str((await post("/api/v1/journeys/console-order/start", body))["journeyId"])

        for number in range(1001, 1010):
            clock.advance(minutes=7)
            await order(number)
        inventory.available = False
        featured = await order(1010)
        await order(1011)
        inventory.available = True
        for number in range(1012, 1016):
            clock.advance(minutes=5)
            payment = {"paymentId": f"pay-{number}", "amount": 25.0, "currency": "EUR"}
            journey = await post("/api/v1/journeys/payment-callback/start", payment)
            if number % 2:
                callback = {"paymentId": f"pay-{number}", "status": "SUCCESS"}
                step = f"/api/v1/journeys/{journey['journeyId']}/steps/waitForCallback"
                await post(step, callback, {"X-Webhook-Secret": WEBHOOK_SECRET})
        clock.advance(hours=1)
        return featured


async def _retry_and_break(page: Any, base: str, journey_id: str) -> None:
    """What the featured journey went through: retried from the console, then sent a callback its schema refuses."""
    await page.goto(f"{base}/console/journeys/{journey_id}")
    await page.fill("#retry-reason", "the stock service is back (incident 88)")
    await page.click("#retry-form button")
    async with aiohttp.ClientSession() as http:
        step = f"{base}/api/v1/journeys/{journey_id}/steps/waitForPayment"
        async with http.post(step, json={"status": "SETTLED"}):
            pass


async def main() -> None:
    inventory = Inventory()
    stub = web.Application()
    stub.router.add_post("/reservations/{orderId}", inventory.reserve)
    stub_runner = web.AppRunner(stub)
    await stub_runner.setup()
    stub_site = web.TCPSite(stub_runner, "127.0.0.1", 0)
    await stub_site.start()
    inventory.url = f"http://127.0.0.1:{stub_site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    with tempfile.TemporaryDirectory() as directory:
        config = server_config(f"sqlite:///{Path(directory) / 'screens.db'}", **server_changes(inventory))
        clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        store = await JourneyStore.open(config.database_url)
        outbound = AiohttpOutbound({INVENTORY: inventory.url})
        definitions, sources = load_catalog(config.definitions)
        engine = JourneyEngine(
            definitions, store, config.api_keys, clock=clock, outbound=outbound, sources=sources,
            inbound_secrets=config.inbound_secrets,
        )  # fmt: skip
        runner = ProblemAppRunner(build_app(config, engine=engine))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        try:
            featured = await _seed(base, inventory, clock)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
                page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                await _retry_and_break(page, base, featured)
                clock.advance(days=2)  # the waiting ones are now past their deadline, and idle
                await page.goto(f"{base}/console/")
                await page.screenshot(path=str(IMAGES / "console-journeys.png"), full_page=True)
                await page.set_viewport_size({"width": 1400, "height": 2200})
                await page.goto(f"{base}/console/journeys/{featured}")
                await page.screenshot(path=str(IMAGES / "console-journey.png"), full_page=False)
                await browser.close()
        finally:
            await runner.cleanup()
            await store.close()
            await outbound.close()
            await stub_runner.cleanup()
    print(f"wrote {IMAGES / 'console-journeys.png'} and {IMAGES / 'console-journey.png'}")


if __name__ == "__main__":
    asyncio.run(main())
