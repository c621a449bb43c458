"""Result push fixtures: a real receiver on a loopback port that verifies each push with the `standardwebhooks`
library, and engines (on the test's SQLite file or PostgreSQL database) whose pushes go to it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from journeys.connectors.http_client import AiohttpOutbound
from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine
from journeys.engine.clock import AdjustableClock
from journeys.engine.push_signing import signing_key
from journeys.engine.result_push import PushSettings
from journeys.store import JourneyStore
from tests.support import on_loopback

JOURNEYS = Path(__file__).parent / "journeys"
SECRET = "whsec_" + base64.b64encode(b"result-push-test-signing-key-32b").decode()
START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
# What push-quote's definition names: rewritten to the receiver, as an operator points production hosts at stubs.
DECLARED_HOST = "http://receiver.test"


@dataclass
class Push:
    """One request the receiver got: its headers, raw body, and the payload the library verified (else why not)."""

    headers: dict[str, str]
    body: bytes
    payload: Any = None
    refusal: str | None = None


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)
    """Statuses to answer, in order; 204 once they run out."""
    received: list[Push] = field(default_factory=list)

    def verified(self) -> list[Any]:
        assert all(push.refusal is None for push in self.received), [push.refusal for push in self.received]
        return [push.payload for push in self.received]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A receiver on a loopback port, checking every push as a Standard Webhooks consumer would."""
    app = web.Application()
    found = Receiver("")

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        push = Push(headers, body)
        try:
            push.payload = Webhook(SECRET).verify(body, headers)
        except WebhookVerificationError as error:
            push.refusal = str(error)
        found.received.append(push)
        status = found.answers.pop(0) if found.answers else 204
        return web.Response(status=status, text="" if status < 300 else "receiver is down")

    app.router.add_post("/{tail:.*}", receive)
    async with on_loopback(app) as found.url:
        yield found


OpenEngine = Callable[..., Awaitable[JourneyEngine]]


@pytest.fixture
async def open_engine(database_url: str, receiver: Receiver) -> AsyncIterator[OpenEngine]:
    """Open an engine on the test's database (any number of times: a restart is a second one on the same
    database), with `SECRET` signing and pushes to `DECLARED_HOST` sent to the receiver; all closed at the end."""
    opened: list[tuple[JourneyStore, AiohttpOutbound]] = []
    definitions, _ = load_catalog([JOURNEYS])

    async def open_one(clock: AdjustableClock, **settings: Any) -> JourneyEngine:
        store = await JourneyStore.open(database_url)
        outbound = AiohttpOutbound({DECLARED_HOST: receiver.url})
        opened.append((store, outbound))
        push = PushSettings(**{"keys": (signing_key(SECRET),), **settings})
        return JourneyEngine(definitions, store, {}, clock=clock, outbound=outbound, result_push=push)

    yield open_one
    for store, outbound in opened:
        await outbound.close()
        await store.close()
