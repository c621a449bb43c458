"""The clients the auth tests configure, their keys, and small request helpers."""

from __future__ import annotations

import hashlib
from typing import Any

from journeys.server.auth import ClientAuth, parse_clients
from tests.server.helpers import PAYMENT, call
from tests.support import LiveServer

SHOP_KEY = "shop-key-0123456789-current"
SHOP_NEXT_KEY = "shop-key-0123456789-next"  # configured by its digest only
RETIRED_KEY = "shop-key-0123456789-retired"  # never configured (anymore)
OTHER_SHOP_KEY = "other-shop-key-0123456789"
READER_KEY = "reader-key-0123456789abcd"
OPS_KEY = "ops-key-0123456789abcdefgh"
OBSERVER_KEY = "observer-key-0123456789ab"

CLIENTS: dict[str, Any] = {
    "shop": {
        "keys": [SHOP_KEY, "sha256:" + hashlib.sha256(SHOP_NEXT_KEY.encode()).hexdigest()],
        "scopes": ["journeys:start:payment-callback", "journeys:read", "journeys:cancel"],
    },
    "other-shop": {"keys": [OTHER_SHOP_KEY], "scopes": ["journeys:start:*", "journeys:read", "journeys:cancel"]},
    "reader": {"keys": [READER_KEY], "scopes": ["journeys:read"]},
    "ops": {"keys": [OPS_KEY], "scopes": ["operator"]},
    "observer": {"keys": [OBSERVER_KEY], "scopes": ["journeys:read:all", "journeys:cancel"]},
}
CLIENT_AUTH = ClientAuth(clients=parse_clients(CLIENTS))
START = "/api/v1/journeys/payment-callback/start"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def start_as(server: LiveServer, key: str, payment: dict[str, Any] | None = None) -> str:
    status, body, _ = await call(server, "POST", START, payment or PAYMENT, bearer(key))
    assert status == 200, body
    return str(body["journeyId"])


async def journey_ids(server: LiveServer, key: str) -> set[str]:
    """The ids `GET /journeys` shows the holder of `key`."""
    status, body, _ = await call(server, "GET", "/api/v1/journeys", headers=bearer(key))
    assert status == 200, body
    return {item["journeyId"] for item in body["items"]}
