"""Test support shared by fixtures and tests: paths, secrets, the fake clock and the live-server handle."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from journeys.definitions import DefinitionErrors, load_definition
from journeys.engine import JourneyEngine, parse_profiles
from journeys.server.config import ServerConfig

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DEFINITIONS = ROOT / "definitions"
TEST_DEFINITIONS = ROOT / "tests" / "fixtures" / "journeys"
SHARED = ROOT.parent / "shared" / "journeyforge"
SHARED_EXAMPLES = SHARED / "examples"
needs_shared_examples = pytest.mark.skipif(
    not SHARED_EXAMPLES.is_dir(), reason=f"no JourneyForge examples under {SHARED_EXAMPLES}"
)

WEBHOOK_SECRET = "test-secret-current"
ROTATED_SECRET = "test-secret-previous"
API_KEYS = {
    "payments-callback": [
        {"id": "current", "secret": WEBHOOK_SECRET},
        {"id": "previous", "secret": ROTATED_SECRET},
    ]
}


# A journey that fails to load: `outputVariable` is not a field of a succeed state (the file and field are named).
BROKEN_JOURNEY = """\
apiVersion: v1
kind: Journey
metadata: { name: broken, version: "1" }
spec:
  start: done
  states:
    done: { type: succeed, outputVariable: result }
"""
MIDTRANS_SERVER_KEY = "test-midtrans-server-key"
STRIPE_ENDPOINT_SECRET = "whsec_test_stripe_endpoint_secret"
DIGIFLAZZ_SECRET = "test-digiflazz-webhook-secret"
INBOUND_SECRETS = {
    "midtrans": [{"id": "current", "secret": MIDTRANS_SERVER_KEY}, {"id": "previous", "secret": "old-midtrans-key"}],
    "stripe": [{"id": "current", "secret": STRIPE_ENDPOINT_SECRET}],
    "digiflazz": [{"id": "current", "secret": DIGIFLAZZ_SECRET}],
    # Fixture sources (tests/fixtures/journeys/fixture-*.source.yaml): the second secret of each is the one
    # being rotated out, so tests can prove it is still accepted and that the log names it.
    "fixture-standard-webhooks": [
        {"id": "current", "secret": "whsec_Zml4dHVyZS1zdGFuZGFyZC13ZWJob29rcy1rZXktMDE="},
        {"id": "previous", "secret": "whsec_Zml4dHVyZS1zdGFuZGFyZC13ZWJob29rcy1rZXktMDA="},
    ],
    "fixture-stripe": [
        {"id": "current", "secret": "whsec_fixture_stripe_current"},
        {"id": "previous", "secret": "whsec_fixture_stripe_previous"},
    ],
    "fixture-xendit": [
        {"id": "current", "secret": "fixture-xendit-callback-token-current"},
        {"id": "previous", "secret": "fixture-xendit-callback-token-previous"},
    ],
    "fixture-shared-secret": [
        {"id": "current", "secret": "fixture-shared-secret-current"},
        {"id": "previous", "secret": "fixture-shared-secret-previous"},
    ],
    "fixture-razorpay": [
        {"id": "current", "secret": "fixture-razorpay-webhook-secret-current"},
        {"id": "previous", "secret": "fixture-razorpay-webhook-secret-previous"},
    ],
    "fixture-signed-hmac": [
        {"id": "current", "secret": "fixture-signed-hmac-current"},
        {"id": "previous", "secret": "fixture-signed-hmac-previous"},
    ],
    "fixture-paypal-ipn": [{"id": "current", "secret": "fixture-paypal-ipn-secret"}],
    "fixture-text": [{"id": "current", "secret": "fixture-text-secret"}],
}


class FakeClock:
    """An injected clock that tests move forward instead of sleeping (and fire the timers that fell due)."""

    moves_by_itself = False

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class LiveServer:
    base_url: str
    http: aiohttp.ClientSession
    engine: JourneyEngine
    clock: FakeClock
    stop: Callable[[], Awaitable[None]]
    """Shut this server down (its database stays): a restart is another `start_server` on the same database."""

    def url(self, path: str) -> str:
        return self.base_url + path


def server_config(database_url: str, **changes: object) -> ServerConfig:
    config = ServerConfig(
        definitions=(SHIPPED_DEFINITIONS, TEST_DEFINITIONS),
        database_url=database_url,
        api_keys=parse_profiles(API_KEYS),
        inbound_secrets=parse_profiles(INBOUND_SECRETS, "inboundSecrets"),
        scheduler_interval=3600,
    )
    return replace(config, **changes)  # type: ignore[arg-type]


def loadable_examples() -> list[Path]:
    """The JourneyForge example definitions this engine loads (the others use what it does not run)."""
    loadable = []
    for path in sorted(SHARED_EXAMPLES.glob("*/*.journey.yaml")):
        try:
            load_definition(path)
        except DefinitionErrors:
            continue
        loadable.append(path)
    return loadable


@asynccontextmanager
async def on_loopback(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` (a stub downstream service, a receiver) on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    finally:
        await runner.cleanup()
