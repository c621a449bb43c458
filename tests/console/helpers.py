"""Starting the console tests' journeys through the API, and speaking to the console as a browser's forms do."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from tests.auth.clients import OPS_KEY, bearer
from tests.server.helpers import call
from tests.support import LiveServer

CARD = "4111111111111111"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def start_order(server: LiveServer, order_id: str, key: str | None = OPS_KEY) -> dict[str, Any]:
    """A `console-order` journey (it reserves stock at once), started through the API; its status body."""
    body = {"orderId": order_id, "sku": "SKU-9", "card": {"number": CARD}}
    status, answer, _ = await call(
        server, "POST", "/api/v1/journeys/console-order/start", body, bearer(key) if key else None
    )
    assert status == 200, answer
    return dict(answer)


async def status_of(server: LiveServer, journey_id: str) -> dict[str, Any]:
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}", headers=bearer(OPS_KEY))
    assert status == 200, body
    return dict(body)


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found[1]


class FormClient:
    """A cookie-keeping HTTP client that posts the console's forms as a browser would (no script, no Origin)."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        # aiohttp keeps no cookie of an IP address host unless told to: the server is on 127.0.0.1.
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.server.url(path), headers={"Accept": "text/html"}) as response:
            return response.status, await response.text()

    async def post(
        self, path: str, form: dict[str, str], headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        async with self.http.post(
            self.server.url(path), data=form, allow_redirects=False, headers={"Accept": "text/html", **(headers or {})}
        ) as response:
            await response.read()
            return response

    async def sign_in(self, key: str) -> str:
        """Sign in with `key`; the CSRF token of the new session's forms."""
        _, login = await self.get("/console/login")
        signed_in = await self.post("/console/login", {"csrf": csrf_in(login), "credential": key})
        assert signed_in.status == 303, signed_in.status
        _, page = await self.get("/console/")
        return csrf_in(page)

    async def close(self) -> None:
        await self.http.close()
