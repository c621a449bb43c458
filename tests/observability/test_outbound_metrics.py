"""Outbound httpCalls in the metrics: each one timed by journey and state, the ones that got a 5xx or no answer
counted as failures. The calls go to the server tests' stub accounts service on a loopback port (or to a port
nobody listens on)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

from tests.observability.figures import scrape
from tests.server.conftest import PREFIX, Stub
from tests.server.helpers import call

START = "/api/v1/journeys/account-opening/start"
JOURNEY = "account-opening"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_outbound_calls_are_timed_and_their_failures_counted(
    start_server: Callable[..., Any], sqlite_url: str, stub: Stub
) -> None:
    server = await start_server(sqlite_url, outbound_rewrites={PREFIX: stub.url})
    status, outcome, _ = await call(server, "POST", START, {"customerId": "c1", "traceId": "t1"})
    assert (status, outcome["phase"]) == (200, "Succeeded"), outcome
    await asyncio.wait_for(stub.audited.wait(), 10)  # the notify call runs in the background
    stub.customer_status = 503
    status, outcome, _ = await call(server, "POST", START, {"customerId": "c2", "traceId": "t2"})
    assert (status, outcome["error"]["code"]) == (200, "CUSTOMER_LOOKUP_FAILED"), outcome

    figures = await scrape(server)
    calls = "journeys_outbound_call_duration_seconds_count"
    assert figures.value(calls, journey=JOURNEY, state="fetchCustomer") == 2
    assert figures.value(calls, journey=JOURNEY, state="openAccount") == 1
    assert figures.value("journeys_outbound_call_duration_seconds_sum", journey=JOURNEY) > 0
    failures = "journeys_outbound_call_failures_total"
    assert figures.value(failures, journey=JOURNEY, state="fetchCustomer", kind="5xx") == 1
    assert figures.value(failures, journey=JOURNEY, state="openAccount") == 0
    for _ in range(100):  # the notify call is counted once its answer is in, after the stub saw it
        if (await scrape(server)).value(calls, journey=JOURNEY, state="audit") == 1:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the notify call was never counted")

    nobody = await start_server(sqlite_url, outbound_rewrites={PREFIX: f"http://127.0.0.1:{_closed_port()}/v1"})
    status, outcome, _ = await call(nobody, "POST", START, {"customerId": "c3", "traceId": "t3"})
    assert (status, outcome["phase"]) == (200, "Failed"), outcome
    figures = await scrape(nobody)
    assert figures.value(failures, journey=JOURNEY, state="fetchCustomer", kind="network") == 1
