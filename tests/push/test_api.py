"""Result push through the HTTP API of a live server: the start's `callbackUrl`, refused when the journey's input
schema or the server's allow-list says no, and the pushes of a journey with their attempts
(`GET /journeys/{id}/notifications`), next to the outcome they carry (`GET /journeys/{id}/result`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from journeys.engine.push_signing import signing_key
from journeys.engine.result_push import PushSettings
from tests.push.conftest import DECLARED_HOST, JOURNEYS, SECRET, Receiver
from tests.server.helpers import call
from tests.support import LiveServer

PROBLEM = "application/problem+json"


async def _server(start_server: Callable[..., Any], database_url: str, receiver: Receiver, **push: Any) -> LiveServer:
    settings = PushSettings(keys=(signing_key(SECRET),), **push)
    server: LiveServer = await start_server(
        database_url,
        definitions=(JOURNEYS,),
        result_push=settings,
        outbound_rewrites={DECLARED_HOST: receiver.url},
    )
    return server


async def _settled(server: LiveServer, journey: str) -> list[Any]:
    """The journey's pushes once the server's delivery worker has settled them all (waiting up to 5 s)."""
    for _ in range(500):
        _, listed, _ = await call(server, "GET", f"{journey}/notifications")
        if listed["items"] and all(push["status"] != "pending" for push in listed["items"]):
            return list(listed["items"])
        await asyncio.sleep(0.01)
    raise AssertionError(f"the pushes of {journey} were not settled: {listed}")


async def test_the_push_carries_what_the_result_endpoint_answers_and_is_listed_with_its_attempts(
    start_server: Callable[..., Any], database_url: str, receiver: Receiver
) -> None:
    server = await _server(start_server, database_url, receiver)
    start = {"orderId": "o-7", "callbackUrl": f"{receiver.url}/orders/o-7?token=abc"}
    status, started, _ = await call(server, "POST", "/api/v1/journeys/push-order/start", start)
    assert status == 200, started
    journey = f"/api/v1/journeys/{started['journeyId']}"
    status, listed, _ = await call(server, "GET", f"{journey}/notifications")
    assert (status, listed["items"]) == (200, [])  # running: nothing to push yet

    status, answer, _ = await call(server, "POST", f"{journey}/steps/waitForWarehouse", {"shipped": True})
    assert status == 200, answer
    (push,) = await _settled(server, journey)

    (payload,) = receiver.verified()
    _, result, _ = await call(server, "GET", f"{journey}/result")
    # The same document, but for the tags and attributes a read adds (a push leaves them out, like a start's answer).
    assert payload == {k: v for k, v in result.items() if k not in ("tags", "attributes")}
    assert result["phase"] == "Succeeded"
    assert push["id"] == receiver.received[0].headers["webhook-id"]
    assert push["url"] == start["callbackUrl"] and push["status"] == "delivered"
    assert [attempt["status"] for attempt in push["attempts"]] == [204] and "finishedAt" in push
    assert "nextAttemptAt" not in push
    async with server.http.get(server.url("/metrics")) as response:
        figures = await response.text()
    assert 'journeys_result_push_attempts_total{outcome="delivered"} 1.0' in figures


async def test_a_journey_of_another_client_or_none_has_no_notifications(
    start_server: Callable[..., Any], database_url: str, receiver: Receiver
) -> None:
    server = await _server(start_server, database_url, receiver)
    status, problem, content_type = await call(server, "GET", "/api/v1/journeys/no-such-journey/notifications")
    assert (status, content_type) == (404, PROBLEM), problem


@pytest.mark.parametrize(
    ("journey", "body", "said"),
    [
        # The input schema declares callbackUrl with `pattern: ^http://`.
        ("push-order", {"orderId": "o-1", "callbackUrl": "ftp://receiver.test/orders"}, "callbackUrl"),
        # This one's schema takes no callbackUrl at all (additionalProperties: false).
        ("push-quote", {"amount": 1, "callbackUrl": "http://receiver.test/quotes"}, "callbackUrl"),
        # The schema accepts it; the server never sends credentials it was handed in a URL.
        ("push-order", {"orderId": "o-1", "callbackUrl": "http://user:pw@receiver.test/"}, "credentials"),
        ("push-order", {"orderId": "o-1", "callbackUrl": "http://"}, "absolute http or https URL"),
    ],
)
async def test_a_callback_url_refused_at_the_start_is_a_400_and_starts_nothing(
    start_server: Callable[..., Any], database_url: str, receiver: Receiver, journey: str, body: Any, said: str
) -> None:
    server = await _server(start_server, database_url, receiver)
    status, problem, content_type = await call(server, "POST", f"/api/v1/journeys/{journey}/start", body)
    assert (status, content_type) == (400, PROBLEM), problem
    assert said in problem["detail"] + " ".join(problem.get("errors", [])), problem
    assert "pw" not in problem["detail"]
    _, listed, _ = await call(server, "GET", "/api/v1/journeys")
    assert listed["items"] == []


async def test_with_an_allow_list_a_start_may_name_only_the_hosts_on_it(
    start_server: Callable[..., Any], database_url: str, receiver: Receiver
) -> None:
    server = await _server(start_server, database_url, receiver, allowed_hosts=frozenset({"*.example.com"}))
    start = {"orderId": "o-1", "callbackUrl": f"{receiver.url}/orders"}  # 127.0.0.1: not on the list
    status, problem, _ = await call(server, "POST", "/api/v1/journeys/push-order/start", start)
    assert status == 400 and "resultPush.allowedHosts" in problem["detail"], problem

    start["callbackUrl"] = "http://hooks.example.com/orders"
    status, started, _ = await call(server, "POST", "/api/v1/journeys/push-order/start", start)
    assert status == 200, started
