"""Helpers of the idempotent-start tests: a live server that also loads this directory's keyed journey, and a
start that keeps the answer's raw bytes (a replay must give the same bytes, not just an equal document)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tests.support import SHIPPED_DEFINITIONS, TEST_DEFINITIONS, LiveServer

HERE = Path(__file__).resolve().parent
DEFINITIONS = (SHIPPED_DEFINITIONS, TEST_DEFINITIONS, HERE)
PAYMENT_START = "/api/v1/journeys/payment-callback/start"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def document(self) -> Any:
        return orjson.loads(self.body)


async def serve(start_server: Callable[..., object], database_url: str, **changes: object) -> LiveServer:
    return await start_server(database_url, definitions=DEFINITIONS, **changes)  # type: ignore[no-any-return,misc]


async def start(
    server: LiveServer, path: str, body: Any, key: str | None = None, headers: dict[str, str] | None = None
) -> Answer:
    sent = dict(headers or {})
    if key is not None:
        sent["Idempotency-Key"] = key
    async with server.http.post(server.url(path), data=orjson.dumps(body), headers=sent) as response:
        return Answer(response.status, await response.read(), dict(response.headers))


async def journeys_of(server: LiveServer, name: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    async with server.http.get(
        server.url(f"/api/v1/journeys?journeyName={name}&limit=100"), headers=headers or {}
    ) as response:
        assert response.status == 200, await response.text()
        return list((await response.json())["items"])
