"""A `Host` header that is not UTF-8 text: an async start's 202 quotes it (`statusUrl`), so such a Host made the
answer unserialisable (500). A start with one is refused 400 `invalid-host` before anything is started."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.auth.clients import CLIENT_AUTH, OPS_KEY, OTHER_SHOP_KEY, journey_ids
from tests.hostile.raw_http import exchange
from tests.support import LiveServer


def _start(journey: str, host: bytes, body: bytes) -> bytes:
    return (
        f"POST /api/v1/journeys/{journey}/start HTTP/1.1\r\n".encode()
        + b"Host: "
        + host
        + b"\r\n"
        + f"Authorization: Bearer {OTHER_SHOP_KEY}\r\nContent-Type: application/json\r\nConnection: close\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


@pytest.mark.parametrize(
    ("journey", "body"),
    [
        ("async-greeting", b'{"name": "x"}'),
        ("payment-callback", b'{"paymentId": "p-1", "amount": 1, "currency": "EUR"}'),
    ],
    ids=["async start", "sync start"],
)
async def test_a_start_whose_host_is_not_utf8_is_a_400_and_starts_nothing(
    start_server: Callable[..., object], database_url: str, journey: str, body: bytes
) -> None:
    server: LiveServer = await start_server(database_url, client_auth=CLIENT_AUTH)  # type: ignore[misc]
    answer = await exchange(server.base_url, _start(journey, b"shop\xff.example", body))
    assert (answer.status, answer.content_type) == (400, "application/problem+json"), answer.summary()
    assert answer.problem()["type"].endswith("invalid-host"), answer.summary()
    assert await journey_ids(server, OPS_KEY) == set(), "a start with an invalid Host started a journey"
    # The same start with a Host that is text (here not ASCII) goes ahead.
    answer = await exchange(server.base_url, _start(journey, "bücher.example".encode(), body))
    assert answer.status in (200, 202), answer.summary()
