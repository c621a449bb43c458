"""Bad input a hostile client sends with one curl, answered as a 4xx problem that changes nothing, never a 5xx:
non-UTF-8 header bytes, NUL characters where PostgreSQL text cannot hold them, page tokens PostgreSQL cannot
store, and bodies nested deeper than the documented limit (MAX_BODY_DEPTH, docs/api.md). On both databases."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from journeys.engine.inbound_messages import MAX_BODY_DEPTH
from tests.hostile.raw_http import exchange, request_bytes
from tests.server.helpers import PAYMENT, call, start_payment
from tests.support import WEBHOOK_SECRET, LiveServer

PROBLEM = "application/problem+json"
SHARED_SECRET = "fixture-shared-secret-current"
SHARED_SECRET_URL = "/api/v1/inbound/fixture-shared-secret"
START = "/api/v1/journeys/payment-callback/start"


@pytest.fixture
async def live(start_server: Callable[..., Awaitable[LiveServer]], database_url: str) -> LiveServer:
    return await start_server(database_url)


def nesting(body: dict[str, Any], depth: int) -> bytes:
    """`body` as JSON with a field `extra` of nested arrays, so that the whole document nests `depth` levels
    (built as text: orjson refuses to write documents nested more than 254 levels)."""
    extra = b"[" * (depth - 1) + b"]" * (depth - 1)
    return orjson.dumps(body)[:-1] + b',"extra":' + extra + b"}"


def step_path(journey_id: str) -> str:
    return f"/api/v1/journeys/{journey_id}/steps/waitForCallback"


async def phase_and_history(live: LiveServer, journey_id: str) -> tuple[str, int]:
    status, body, _ = await call(live, "GET", f"/api/v1/journeys/{journey_id}")
    assert status == 200, body
    _, history, _ = await call(live, "GET", f"/api/v1/journeys/{journey_id}/history")
    return f"{body['phase']}/{body['currentState']}", len(history["items"])


# -- non-UTF-8 bytes in a verification header ------------------------------------------------------------------


async def test_a_webhook_secret_with_a_non_utf8_byte_is_a_401_that_changes_nothing(live: LiveServer) -> None:
    journey_id = await start_payment(live)
    before = await phase_and_history(live, journey_id)
    body = orjson.dumps({"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"})
    headers = {"Content-Type": "application/json", "X-Webhook-Secret": b"test-secret-\xffcurrent"}
    answer = await exchange(live.base_url, request_bytes("POST", step_path(journey_id), headers, body))
    assert (answer.status, answer.headers["content-type"]) == (401, PROBLEM), answer.body
    assert answer.json["code"] == "APIKEY_INVALID"
    assert await phase_and_history(live, journey_id) == before


async def test_a_shared_secret_delivery_with_a_non_utf8_byte_is_a_401(live: LiveServer) -> None:
    body = orjson.dumps({"orderId": "order-1", "status": "SUCCESS"})
    headers = {"Content-Type": "application/json", "X-Webhook-Secret": b"\xff\xfe" + SHARED_SECRET.encode()}
    answer = await exchange(live.base_url, request_bytes("POST", SHARED_SECRET_URL, headers, body))
    assert (answer.status, answer.headers["content-type"]) == (401, PROBLEM), answer.body
    assert answer.json["cause"] == "invalid-signature"


async def test_non_utf8_bytes_in_other_headers_of_a_genuine_callback_do_not_fail_it(live: LiveServer) -> None:
    """The step's dedupe key hashes the Idempotency-Key header, and a source's expressions read the headers."""
    journey_id = await start_payment(live)
    body = orjson.dumps({"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"})
    headers = {"Content-Type": "application/json", "X-Webhook-Secret": WEBHOOK_SECRET, "Idempotency-Key": b"k\xff"}
    answer = await exchange(live.base_url, request_bytes("POST", step_path(journey_id), headers, body))
    assert answer.status == 200, answer.body
    status, _, _ = await call(live, "POST", "/api/v1/journeys/fixture-shared-secret-order/start", {"orderId": "o-7"})
    assert status == 200
    delivery = orjson.dumps({"orderId": "o-7", "status": "SUCCESS"})
    headers = {"Content-Type": "application/json", "X-Webhook-Secret": SHARED_SECRET, "X-Trace": b"\xc3\x28"}
    answer = await exchange(live.base_url, request_bytes("POST", SHARED_SECRET_URL, headers, delivery))
    assert answer.status == 200, answer.body
    assert answer.headers["journeys-delivery-verdict"] == "applied"


# -- NUL characters and page tokens ----------------------------------------------------------------------------


NUL_REQUESTS = [
    ("GET", "/api/v1/journeys/a%00b", 404),
    ("GET", "/api/v1/journeys/a%00b/result", 404),
    ("GET", "/api/v1/journeys/a%00b/history", 404),
    ("POST", "/api/v1/journeys/a%00b/steps/cancel", 404),
    ("POST", "/api/v1/journeys/a%00b/steps/waitForCallback", 404),
    ("GET", "/api/v1/journeys?journeyName=a%00b", 400),
    ("GET", "/api/v1/journeys?phase=a%00b", 400),
    ("GET", "/api/v1/inbound/deliveries/a%00b", 404),
    ("POST", "/api/v1/inbound/deliveries/a%00b/replay", 404),
    ("GET", "/api/v1/inbound/deliveries?journeyId=a%00b", 400),
    ("GET", "/api/v1/inbound/deliveries?source=a%00b", 400),
]


async def test_a_nul_character_in_an_id_or_a_filter_is_a_4xx_problem(live: LiveServer) -> None:
    answers = []
    for method, path, _ in NUL_REQUESTS:
        answer = await exchange(live.base_url, request_bytes(method, path, {"Content-Type": "application/json"}, b"{}"))
        answers.append((method, path, answer.status, answer.headers["content-type"]))
    assert answers == [(method, path, status, PROBLEM) for method, path, status in NUL_REQUESTS]


def token(created: str, item_id: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([created, item_id])).decode()


BAD_TOKENS = [
    token("2026-01-01T00:00:00+00:00", "a\x00b"),  # NUL in the id
    token("9999-12-31T23:59:59-23:59", "a"),  # after 9999-12-31 in UTC
    token("0001-01-01T00:00:00+23:59", "a"),  # before 0001-01-01 in UTC
    token("2026-01-01T00:00:00", "a"),  # no offset: not a token the API issued
    token("2026-01-01T00:00:00+00:00", 7),
]


async def test_a_page_token_the_database_cannot_use_is_a_400(live: LiveServer) -> None:
    answers = []
    for list_path in ("/api/v1/journeys", "/api/v1/inbound/deliveries"):
        for page_token in BAD_TOKENS:
            status, problem, content_type = await call(live, "GET", f"{list_path}?pageToken={page_token}")
            answers.append((list_path, status, content_type, problem["type"]))
    expected = (400, PROBLEM, "urn:journeys:problem:invalid-query")
    assert answers == [
        (path, *expected) for path in ("/api/v1/journeys", "/api/v1/inbound/deliveries") for _ in BAD_TOKENS
    ]


async def test_a_page_token_with_another_offset_names_the_same_instant(live: LiveServer) -> None:
    first, second = await start_payment(live), await start_payment(live)
    _, page, _ = await call(live, "GET", "/api/v1/journeys?limit=1")
    created, item_id = orjson.loads(base64.urlsafe_b64decode(page["nextPageToken"]))
    elsewhere = datetime.fromisoformat(created).astimezone(timezone(timedelta(hours=-7)))
    _, same, _ = await call(live, "GET", f"/api/v1/journeys?limit=1&pageToken={token(elsewhere.isoformat(), item_id)}")
    assert sorted([page["items"][0]["journeyId"], same["items"][0]["journeyId"]]) == sorted([first, second])


# -- bodies nested too deeply ------------------------------------------------------------------------------------


async def test_a_start_body_nested_too_deeply_is_a_400_and_starts_nothing(live: LiveServer) -> None:
    for depth in (MAX_BODY_DEPTH + 1, 300, 2000):  # 2000: deeper than orjson's own parser limit
        status, problem, content_type = await call(live, "POST", START, nesting(PAYMENT, depth))
        assert (status, content_type, problem["type"]) == (400, PROBLEM, "urn:journeys:problem:body-too-deep")
        assert str(MAX_BODY_DEPTH) in problem["detail"]
    _, page, _ = await call(live, "GET", "/api/v1/journeys")
    assert page["items"] == []


async def test_a_callback_nested_too_deeply_is_a_400_and_the_journey_keeps_waiting(live: LiveServer) -> None:
    journey_id = await start_payment(live)
    before = await phase_and_history(live, journey_id)
    for depth in (MAX_BODY_DEPTH + 1, 300):
        body = nesting({"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"}, depth)
        headers = {"X-Webhook-Secret": WEBHOOK_SECRET}
        status, problem, _ = await call(live, "POST", step_path(journey_id), body, headers)
        assert (status, problem["type"]) == (400, "urn:journeys:problem:body-too-deep")
    assert await phase_and_history(live, journey_id) == before


async def test_a_callback_at_the_depth_limit_is_applied_and_its_context_committed(live: LiveServer) -> None:
    """The journey keeps the whole callback in its context, one level deeper than the body: it still commits."""
    journey_id = await start_payment(live)
    body = nesting({"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"}, MAX_BODY_DEPTH)
    status, answer, _ = await call(live, "POST", step_path(journey_id), body, {"X-Webhook-Secret": WEBHOOK_SECRET})
    assert status == 200, answer
    status, outcome, _ = await call(live, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert (status, outcome["phase"]) == (200, "Succeeded")


async def test_a_delivery_nested_too_deeply_is_refused_unverified_and_kept_without_its_body_verified(
    live: LiveServer,
) -> None:
    """Source URLs keep a verified but unreadable delivery as `unmatched` (docs/inbound.md: a retry would not
    help); its body is not stored. An unverified one is a 401 as always."""
    _, started, _ = await call(live, "POST", "/api/v1/journeys/fixture-shared-secret-order/start", {"orderId": "o-9"})
    deep = nesting({"orderId": "o-9", "status": "SUCCESS"}, 300)
    path = SHARED_SECRET_URL
    status, problem, _ = await call(live, "POST", path, deep, {"Content-Type": "application/json"})
    assert (status, problem["cause"]) == (401, "missing-signature")
    headers = {"Content-Type": "application/json", "X-Webhook-Secret": SHARED_SECRET}
    async with live.http.post(live.url(path), data=deep, headers=headers) as response:
        assert response.status < 300 and response.headers["Journeys-Delivery-Verdict"] == "unmatched"
        delivery_id = response.headers["Journeys-Delivery-Id"]
    _, delivery, _ = await call(live, "GET", f"/api/v1/inbound/deliveries/{delivery_id}")
    assert str(MAX_BODY_DEPTH) in delivery["reason"] and delivery.get("body") is None
    assert (await phase_and_history(live, started["journeyId"]))[0] == "Running/waitForCallback"
