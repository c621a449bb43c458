"""A start retried with its idempotency key gets the first start's answer and starts nothing; the key with a
different body is refused; keys are scoped to (principal, journey) and kept for a configurable window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from journeys.engine.starts import scope_key
from tests.auth.clients import CLIENT_AUTH, OTHER_SHOP_KEY, SHOP_KEY, bearer
from tests.idempotency.support import PAYMENT_START, journeys_of, serve, start
from tests.server.helpers import PAYMENT, callback

PROBLEM = "application/problem+json"


async def test_a_retried_start_gets_the_first_answer_and_starts_nothing(
    start_server: Callable[..., object], database_url: str
) -> None:
    server = await serve(start_server, database_url)
    first = await start(server, PAYMENT_START, PAYMENT, key="retry-1")
    assert first.status == 200 and first.document["phase"] == "Running"
    assert "Idempotent-Replayed" not in first.headers

    # The journey moves on (its callback arrives); a late retry still gets the answer the start got.
    status, _, _ = await callback(server, first.document["journeyId"])
    assert status == 200
    again = await start(server, PAYMENT_START, {"currency": "EUR", "amount": 42.5, "paymentId": "pay-123"}, "retry-1")
    assert (again.status, again.body) == (first.status, first.body)
    assert again.headers["Content-Type"] == first.headers["Content-Type"] == "application/json"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [j["journeyId"] for j in await journeys_of(server, "payment-callback")] == [first.document["journeyId"]]

    other = await start(server, PAYMENT_START, PAYMENT, key="retry-2")
    assert other.status == 200 and other.document["journeyId"] != first.document["journeyId"]
    assert len(await journeys_of(server, "payment-callback")) == 2


async def test_an_async_start_is_replayed_with_its_location(
    start_server: Callable[..., object], database_url: str
) -> None:
    server = await serve(start_server, database_url)
    path = "/api/v1/journeys/async-greeting/start"
    first = await start(server, path, {"name": "Ada"}, key="greet-ada")
    again = await start(server, path, {"name": "Ada"}, key="greet-ada")
    assert first.status == again.status == 202
    assert first.body == again.body
    assert first.headers["Location"] == again.headers["Location"] == f"/api/v1/journeys/{first.document['journeyId']}"
    await server.engine.drain()
    assert len(await journeys_of(server, "async-greeting")) == 1


async def test_the_key_with_a_different_body_is_refused_and_starts_nothing(
    start_server: Callable[..., object], database_url: str
) -> None:
    server = await serve(start_server, database_url)
    first = await start(server, PAYMENT_START, PAYMENT, key="pay-123-attempt")
    refused = await start(server, PAYMENT_START, {**PAYMENT, "amount": 99}, key="pay-123-attempt")
    assert refused.status == 422 and refused.headers["Content-Type"] == PROBLEM
    problem = refused.document
    assert problem["type"].endswith("idempotency-key-reused")
    assert first.document["journeyId"] in problem["detail"] and "different start body" in problem["detail"]
    assert len(await journeys_of(server, "payment-callback")) == 1


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "naïve", "tab\there"], ids=["empty", "too-long", "non-ascii", "control-character"]
)
async def test_an_unusable_key_is_a_bad_request(start_server: Callable[..., object], sqlite_url: str, key: str) -> None:
    server = await serve(start_server, sqlite_url)
    async with server.http.post(
        server.url(PAYMENT_START), json=PAYMENT, headers=[("Idempotency-Key", key.encode("utf-8").decode("latin-1"))]
    ) as response:
        assert response.status == 400 and response.content_type == PROBLEM
        assert "Idempotency-Key header must be 1 to 255 visible ASCII characters" in (await response.json())["detail"]
    assert await journeys_of(server, "payment-callback") == []


async def test_keys_are_kept_for_the_window_then_a_start_with_one_is_new(
    start_server: Callable[..., object], database_url: str
) -> None:
    server = await serve(start_server, database_url)
    first = await start(server, PAYMENT_START, PAYMENT, key="daily")
    server.clock.advance(hours=23, minutes=59)
    assert (await start(server, PAYMENT_START, PAYMENT, key="daily")).body == first.body

    server.clock.advance(minutes=2)  # the default window (24 h) has ended: the key is free again
    second = await start(server, PAYMENT_START, {**PAYMENT, "amount": 1}, key="daily")
    assert second.status == 200 and second.document["journeyId"] != first.document["journeyId"]
    assert (await start(server, PAYMENT_START, {**PAYMENT, "amount": 1}, key="daily")).body == second.body

    # The sweep forgets keys whose window ended (the second key's has not).
    server.clock.advance(hours=1)
    assert await server.engine.starts.prune(server.clock()) == 0
    server.clock.advance(hours=24)
    assert await server.engine.starts.prune(server.clock()) == 1
    week_ago = server.clock() - timedelta(days=7)  # the key would still be live then, were its row there
    assert await server.engine.store.start_keys.get(scope_key(None, "payment-callback", "daily"), week_ago) is None


async def test_keys_are_scoped_to_the_principal_and_the_journey(
    start_server: Callable[..., object], database_url: str
) -> None:
    server = await serve(start_server, database_url, client_auth=CLIENT_AUTH)
    shop = await start(server, PAYMENT_START, PAYMENT, key="k-1", headers=bearer(SHOP_KEY))
    other = await start(server, PAYMENT_START, PAYMENT, key="k-1", headers=bearer(OTHER_SHOP_KEY))
    assert shop.status == other.status == 200
    assert shop.document["journeyId"] != other.document["journeyId"]
    # Each client's keys are its own: the other shop reusing "k-1" with another body is refused, and the shop's
    # retry still gets its own first answer.
    changed = await start(server, PAYMENT_START, {**PAYMENT, "amount": 7}, key="k-1", headers=bearer(OTHER_SHOP_KEY))
    assert changed.status == 422
    replay = await start(server, PAYMENT_START, PAYMENT, key="k-1", headers=bearer(SHOP_KEY))
    assert replay.body == shop.body

    greeting = await start(
        server, "/api/v1/journeys/async-greeting/start", {"name": "x"}, "k-1", bearer(OTHER_SHOP_KEY)
    )
    assert greeting.status == 202


async def test_a_journey_can_derive_its_key_from_the_input(
    start_server: Callable[..., object], database_url: str
) -> None:
    server = await serve(start_server, database_url)
    path = "/api/v1/journeys/keyed-order/start"
    first = await start(server, path, {"orderId": "o-1", "amount": 10})
    assert first.status == 200 and first.document["output"] == {"status": "ACCEPTED", "orderId": "o-1"}
    # No header, or a new one per attempt: still one journey per order.
    assert (await start(server, path, {"amount": 10, "orderId": "o-1"})).body == first.body
    assert (await start(server, path, {"orderId": "o-1", "amount": 10}, key="attempt-2")).body == first.body
    refused = await start(server, path, {"orderId": "o-1", "amount": 11})
    assert refused.status == 422 and refused.document["type"].endswith("idempotency-key-reused")
    assert (await start(server, path, {"orderId": "o-2", "amount": 11})).status == 200
    assert len(await journeys_of(server, "keyed-order")) == 2

    missing = await start(server, path, {"amount": 10})
    assert missing.status == 400 and missing.headers["Content-Type"] == PROBLEM
    assert "no value for its idempotency key 'order-${context.orderId}'" in missing.document["detail"]
    assert len(await journeys_of(server, "keyed-order")) == 2


async def test_a_start_without_a_key_is_not_deduplicated(start_server: Callable[..., object], sqlite_url: str) -> None:
    server = await serve(start_server, sqlite_url)
    first = await start(server, PAYMENT_START, PAYMENT)
    second = await start(server, PAYMENT_START, PAYMENT)
    assert first.document["journeyId"] != second.document["journeyId"]
    assert len(await journeys_of(server, "payment-callback")) == 2
