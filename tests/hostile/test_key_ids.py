"""Key ids are shown to anyone who can read a result (`gatewayKeyId`) or the inbound log. A key configured
without an id used to be named by a prefix of an unsalted SHA-256 of its secret, which lets a weak secret be
checked offline; it is now named by its profile and position, `<profile>#<n>`."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

import orjson

from journeys.engine import parse_profiles
from tests.server.helpers import call, callback, start_payment
from tests.support import INBOUND_SECRETS, LiveServer

GATEWAY_SECRETS = ["gateway-secret-one", "gateway-secret-two"]
SOURCE_SECRETS = ["source-secret-one", "source-secret-two"]


async def test_keys_without_an_id_are_named_by_profile_and_position(
    start_server: Callable[..., Awaitable[LiveServer]], sqlite_url: str
) -> None:
    live = await start_server(
        sqlite_url,
        api_keys=parse_profiles({"payments-callback": GATEWAY_SECRETS}),
        inbound_secrets=parse_profiles({**INBOUND_SECRETS, "fixture-shared-secret": SOURCE_SECRETS}),
    )
    journey_id = await start_payment(live)
    status, _, _ = await callback(live, journey_id, secret=GATEWAY_SECRETS[1])
    assert status == 200
    _, outcome, _ = await call(live, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert outcome["output"]["gatewayKeyId"] == "payments-callback#2"

    await call(live, "POST", "/api/v1/journeys/fixture-shared-secret-order/start", {"orderId": "o-1"})
    delivery = orjson.dumps({"orderId": "o-1", "status": "SUCCESS"})
    headers = {"Content-Type": "application/json", "X-Webhook-Secret": SOURCE_SECRETS[0]}
    status, _, _ = await call(live, "POST", "/api/v1/inbound/fixture-shared-secret", delivery, headers)
    assert status == 200
    _, log, _ = await call(live, "GET", "/api/v1/inbound/deliveries?source=fixture-shared-secret")
    assert [item["keyId"] for item in log["items"]] == ["fixture-shared-secret#1"]

    shown = orjson.dumps([outcome, log]).decode()
    for secret in GATEWAY_SECRETS + SOURCE_SECRETS:
        assert hashlib.sha256(secret.encode()).hexdigest()[:16] not in shown
