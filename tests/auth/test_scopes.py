"""A credential without the scope an operation needs is refused with 403, naming the scope; nothing happens."""

from __future__ import annotations

from tests.auth.clients import OPS_KEY, OTHER_SHOP_KEY, READER_KEY, SHOP_KEY, START, bearer, journey_ids, start_as
from tests.server.helpers import PAYMENT, call
from tests.support import LiveServer

MIDTRANS_START = "/api/v1/journeys/midtrans-payment/start"
MIDTRANS_ORDER = {"orderId": "order-1", "grossAmount": "10000.00"}


async def _refused(server: LiveServer, method: str, path: str, key: str, scope: str, body: object = None) -> None:
    status, problem, content_type = await call(server, method, path, body, bearer(key))
    assert (status, content_type) == (403, "application/problem+json"), problem
    assert problem["type"] == "urn:journeys:problem:forbidden"
    assert problem["requiredScope"] == scope
    assert scope in problem["detail"]


async def test_starting_needs_the_journeys_start_scope(auth_server: LiveServer) -> None:
    await _refused(auth_server, "POST", MIDTRANS_START, SHOP_KEY, "journeys:start:midtrans-payment", MIDTRANS_ORDER)
    await _refused(auth_server, "POST", START, READER_KEY, "journeys:start:payment-callback", PAYMENT)
    assert await journey_ids(auth_server, OPS_KEY) == set()
    # `journeys:start:*` starts any journey.
    status, body, _ = await call(auth_server, "POST", MIDTRANS_START, MIDTRANS_ORDER, bearer(OTHER_SHOP_KEY))
    assert status in (200, 202), body


async def test_cancelling_needs_the_cancel_scope(auth_server: LiveServer) -> None:
    journey_id = await start_as(auth_server, SHOP_KEY)
    await _refused(
        auth_server, "POST", f"/api/v1/journeys/{journey_id}/steps/cancel", READER_KEY, "journeys:cancel", {}
    )


async def test_the_inbound_log_is_for_operators(auth_server: LiveServer) -> None:
    for path in ("/api/v1/inbound/deliveries", "/api/v1/inbound/stats", "/api/v1/inbound/deliveries/some-id"):
        await _refused(auth_server, "GET", path, SHOP_KEY, "operator")
    await _refused(auth_server, "POST", "/api/v1/inbound/deliveries/some-id/replay", OTHER_SHOP_KEY, "operator", {})
    status, _, _ = await call(auth_server, "GET", "/api/v1/inbound/stats", headers=bearer(OPS_KEY))
    assert status == 200


async def test_the_refusal_says_what_is_missing_in_the_challenge_too(auth_server: LiveServer) -> None:
    async with auth_server.http.get(auth_server.url("/api/v1/inbound/stats"), headers=bearer(SHOP_KEY)) as response:
        assert response.status == 403
        challenge = response.headers["WWW-Authenticate"]
    assert challenge == 'Bearer realm="journeys", error="insufficient_scope", scope="operator"'


async def test_a_journey_name_in_the_path_cannot_break_the_challenge(auth_server: LiveServer) -> None:
    path = "/api/v1/journeys/a%22b%0d%0aX-Injected:%201/start"
    async with auth_server.http.post(auth_server.url(path), json={}, headers=bearer(SHOP_KEY)) as response:
        assert response.status == 403
        assert "X-Injected" not in response.headers
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="journeys", error="insufficient_scope"'
