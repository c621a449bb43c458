"""`spec.bindings.http` on a journey, end to end: the start and a step copy headers and query parameters into the
context, and pass headers on to the calls they cause (only those), against a real stub service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.server.api_stubs import API_FIXTURES, Downstream, downstream, serve
from tests.server.helpers import call

__all__ = ["downstream"]  # the fixture, used by name

TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_start_and_step_bindings_fill_the_context_and_pass_headers_through(
    start_server: Callable[..., Any], database_url: str, downstream: Downstream
) -> None:
    server = await serve(start_server, database_url, downstream, API_FIXTURES / "tenant-review.journey.yaml")
    start_headers = {"X-Tenant-Id": "acme", "traceparent": TRACE}

    status, started, _ = await call(
        server, "POST", "/api/v1/journeys/tenant-review/start?channel=web", {"userId": "u1"}, start_headers
    )
    assert status == 200 and started["currentState"] == "approve", started
    journey_id = started["journeyId"]
    record = await server.engine.store.get(journey_id)
    assert record is not None
    assert (record.context["tenant"], record.context["origin"]) == ("acme", {"channel": "web"})
    assert TRACE not in str(record.context)  # passed through, never stored
    assert downstream.headers_of("/users/u1")["traceparent"] == TRACE

    step_headers = {"X-Approver": "bob", "X-Request-Id": "req-7"}
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/approve", {}, step_headers)

    assert status == 200
    record = await server.engine.store.get(journey_id)
    assert record is not None and record.phase == "Succeeded"
    assert record.context["approver"] == "bob"
    sent = downstream.headers_of("/accounts")
    assert sent["X-Correlation-Id"] == "req-7"  # the step's passthrough
    assert "traceparent" not in sent  # the start's passthrough ended with the start request
    assert record.context["account"]["body"]["approvedBy"] == "bob"


async def test_a_missing_header_or_parameter_writes_nothing(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream
) -> None:
    server = await serve(start_server, sqlite_url, downstream, API_FIXTURES / "tenant-review.journey.yaml")

    status, started, _ = await call(server, "POST", "/api/v1/journeys/tenant-review/start", {"userId": "u1"})

    assert status == 200
    record = await server.engine.store.get(started["journeyId"])
    assert record is not None and "tenant" not in record.context and "origin" not in record.context
    assert "traceparent" not in downstream.headers_of("/users/u1")
