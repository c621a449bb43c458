"""`httpCall:v1` end to end: a live journeys server calling a real stub service on a loopback port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest

from tests.server.conftest import PREFIX, START, Stub
from tests.server.helpers import call
from tests.support import LiveServer


async def test_calls_chain_and_the_journey_succeeds(accounts_server: LiveServer, stub: Stub) -> None:
    status, outcome, _ = await call(accounts_server, "POST", "/api/v1/journeys/account-opening/start", START)
    assert status == 200 and outcome["phase"] == "Succeeded", outcome
    assert outcome["output"] == {"status": "OPENED", "accountId": "acc-9", "owner": "Ada"}

    method, path, headers, _ = stub.seen[0]
    assert (method, path) == ("GET", "/v1/customers/c%201%2Fx")  # path parameters are percent-encoded
    assert headers["X-Trace-Id"] == "trace-t1" and headers["Accept"] == "application/json"
    assert "Idempotency-Key" not in headers
    method, path, headers, body = stub.seen[1]
    assert (method, path, body) == ("POST", "/v1/accounts", {"owner": "Ada", "email": "ada@example.test"})
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"].startswith(outcome["journeyId"])

    await asyncio.wait_for(stub.audited.wait(), timeout=5)  # notify: fired, not awaited by the journey
    assert stub.seen[-1][1:4:2] == ("/v1/audit/t1", {"event": "ACCOUNT_OPENED"})


@pytest.mark.parametrize(("status", "delay", "expected"), [(503, 0.0, (503, "HTTP")), (200, 3.0, (0, "TIMEOUT"))])
async def test_a_failed_call_is_data_the_journey_branches_on(
    accounts_server: LiveServer, stub: Stub, status: int, delay: float, expected: tuple[int, str]
) -> None:
    stub.customer_status, stub.customer_delay = status, delay
    code, outcome, _ = await call(accounts_server, "POST", "/api/v1/journeys/account-opening/start", START)
    assert code == 200 and outcome["phase"] == "Failed"
    assert outcome["error"]["code"] == "CUSTOMER_LOOKUP_FAILED"
    record = await accounts_server.engine.store.get(outcome["journeyId"])
    assert record is not None
    assert record.context["problem"] == {"code": "CUSTOMER_LOOKUP_FAILED", "status": expected[0], "kind": expected[1]}
    assert record.context["customer"]["ok"] is False


async def test_an_unreachable_service_is_a_network_error(start_server: Callable[..., Any], sqlite_url: str) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    server = await start_server(sqlite_url, outbound_rewrites={PREFIX: closed})
    status, outcome, _ = await call(server, "POST", "/api/v1/journeys/account-opening/start", START)
    assert status == 200 and outcome["phase"] == "Failed"
    record = await server.engine.store.get(outcome["journeyId"])
    assert record is not None and record.context["customer"]["error"]["type"] == "NETWORK"
    assert record.context["problem"]["kind"] == "NETWORK"


async def test_a_retried_start_does_not_call_the_service_again(accounts_server: LiveServer, stub: Stub) -> None:
    """A client retrying a start (same Idempotency-Key) gets the first outcome; the account is opened once."""
    headers = {"Idempotency-Key": "open-c1"}
    first = await call(accounts_server, "POST", "/api/v1/journeys/account-opening/start", START, headers)
    await asyncio.wait_for(stub.audited.wait(), timeout=5)
    calls = len(stub.seen)
    again = await call(accounts_server, "POST", "/api/v1/journeys/account-opening/start", START, headers)
    assert first[0] == again[0] == 200 and again[1] == first[1] and first[1]["phase"] == "Succeeded"
    assert len(stub.seen) == calls
    assert [path for method, path, _, _ in stub.seen].count("/v1/accounts") == 1
