"""HTTP helpers for the inbound end-to-end tests: post raw signed bytes as a gateway does, read what a user sees.

Everything goes over real HTTP to the live test server: deliveries are posted as exact bytes (signatures cover
bytes, so the helpers never re-serialise a body), and journeys and the inbound log are read through the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from multidict import CIMultiDict

from tests.server.helpers import call
from tests.support import LiveServer

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
TEXT = "text/plain; charset=utf-8"
DELIVERIES = "/api/v1/inbound/deliveries"


@dataclass(frozen=True)
class Post:
    """One delivery as a sender puts it on the wire: the raw body and every header, signature included."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def without(self, *names: str) -> Post:
        """The same delivery with the named headers left out (case-insensitively)."""
        dropped = {name.lower() for name in names}
        return Post(self.body, {k: v for k, v in self.headers.items() if k.lower() not in dropped})

    def with_body(self, body: bytes) -> Post:
        """Other bytes under the same headers: what a man in the middle would send."""
        return Post(body, dict(self.headers))


@dataclass(frozen=True)
class Answered:
    status: int
    text: str
    headers: CIMultiDict[str]
    content_type: str

    @property
    def verdict(self) -> str | None:
        return self.headers.get("Journeys-Delivery-Verdict")

    @property
    def delivery_id(self) -> str | None:
        return self.headers.get("Journeys-Delivery-Id")

    def json(self) -> Any:
        return orjson.loads(self.text)


async def send(server: LiveServer, path: str, post: Post) -> Answered:
    """POST the exact bytes of `post` to `path`."""
    async with server.http.post(server.url(path), data=post.body, headers=post.headers) as response:
        text = await response.text()
        return Answered(response.status, text, CIMultiDict(response.headers), response.content_type)


async def deliver(server: LiveServer, source: str, post: Post) -> Answered:
    return await send(server, f"/api/v1/inbound/{source}", post)


async def start(server: LiveServer, journey: str, body: dict[str, Any]) -> str:
    status, answer, _ = await call(server, "POST", f"/api/v1/journeys/{journey}/start", body)
    assert status == 200 and answer["phase"] == "Running", answer
    return str(answer["journeyId"])


async def status_of(server: LiveServer, journey_id: str) -> dict[str, Any]:
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}")
    assert status == 200, body
    return dict(body)


async def events(server: LiveServer, journey_id: str) -> list[str]:
    """The journey's history as its transition events, oldest first."""
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/history")
    assert status == 200, body
    return [item["event"] for item in body["items"]]


async def result(server: LiveServer, journey_id: str) -> dict[str, Any]:
    """The journey's outcome, long-polled so a journey that is still being advanced is waited for, not raced."""
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result?waitSeconds=5")
    assert status == 200, body
    return dict(body)


async def deliveries(server: LiveServer, **query: str) -> list[dict[str, Any]]:
    """Every row of the inbound log matching the query, newest first, following the pages."""
    items: list[dict[str, Any]] = []
    params = dict(query, limit="200")
    while True:
        async with server.http.get(server.url(DELIVERIES), params=params) as response:
            page = await response.json()
            assert response.status == 200, page
        items += page["items"]
        if not page["nextPageToken"]:
            return items
        params["pageToken"] = page["nextPageToken"]


async def stored(server: LiveServer, delivery_id: str) -> tuple[dict[str, Any], str]:
    """One log row as `GET /inbound/deliveries/{id}` shows it: parsed, and the raw text (to search for leaks)."""
    async with server.http.get(server.url(f"{DELIVERIES}/{delivery_id}")) as response:
        text = await response.text()
        assert response.status == 200, text
    return orjson.loads(text), text
