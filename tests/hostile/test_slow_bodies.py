"""A client that sends its headers and then only part of its body no longer holds the connection for ever:
the body has `bodyTimeoutSeconds` to arrive, then the answer is a 408 problem and the connection is closed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
import pytest
import yaml

from journeys.outages import DATABASE
from journeys.server.config import ConfigError, load_config
from tests.hostile.raw_http import open_raw, read_answer
from tests.server.helpers import PAYMENT, call, start_payment
from tests.support import WEBHOOK_SECRET, LiveServer

TIMEOUT = 0.5


@pytest.fixture
async def live(start_server: Callable[..., Awaitable[LiveServer]], sqlite_url: str) -> LiveServer:
    return await start_server(sqlite_url, body_timeout_seconds=TIMEOUT)


def head(path: str, length: int, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra}Content-Length: {length}\r\n\r\n"
    ).encode()


async def test_a_body_that_stops_arriving_is_a_408_and_the_connection_is_closed(live: LiveServer) -> None:
    journey_id = await start_payment(live)
    body = orjson.dumps({"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"})
    for path, extra in (
        ("/api/v1/journeys/payment-callback/start", ""),
        (f"/api/v1/journeys/{journey_id}/steps/waitForCallback", f"X-Webhook-Secret: {WEBHOOK_SECRET}\r\n"),
        ("/api/v1/inbound/fixture-shared-secret", "X-Webhook-Secret: fixture-shared-secret-current\r\n"),
    ):
        reader, writer = await open_raw(live.base_url)
        began = time.monotonic()
        writer.write(head(path, len(body) + 100, extra) + body[:10])
        await writer.drain()
        answer = await read_answer(reader, close_wait=1.0)
        writer.close()
        assert (answer.status, answer.headers["content-type"]) == (408, "application/problem+json"), path
        assert answer.json["type"] == "urn:journeys:problem:body-timeout" and answer.closed
        assert TIMEOUT <= time.monotonic() - began < TIMEOUT + 2.5
    _, journey, _ = await call(live, "GET", f"/api/v1/journeys/{journey_id}")
    assert journey["currentState"] == "waitForCallback"  # the slow callback changed nothing


async def test_a_client_that_hangs_up_mid_body_is_not_taken_for_a_database_outage(live: LiveServer) -> None:
    failures = DATABASE.failures
    _, writer = await open_raw(live.base_url)
    writer.write(head("/api/v1/journeys/payment-callback/start", 500) + b'{"paymentId":')
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.transport.abort()
    await asyncio.sleep(0.2)
    assert DATABASE.failures == failures
    status, _, _ = await call(live, "GET", "/api/v1/journeys")
    assert status == 200


async def test_a_body_sent_in_pieces_within_the_timeout_is_read(live: LiveServer) -> None:
    body = orjson.dumps(PAYMENT)
    reader, writer = await open_raw(live.base_url)
    writer.write(head("/api/v1/journeys/payment-callback/start", len(body)) + body[:10])
    await writer.drain()
    await asyncio.sleep(TIMEOUT / 3)
    writer.write(body[10:])
    answer = await read_answer(reader)
    writer.close()
    assert answer.status == 200 and answer.json["phase"] == "Running"


def test_the_body_timeout_is_configured_in_the_file_or_the_environment(tmp_path: Path) -> None:
    config_file = tmp_path / "server.yaml"
    config_file.write_text(yaml.safe_dump({"bodyTimeoutSeconds": 12}))
    assert load_config(environ={}).body_timeout_seconds == 30
    assert load_config(config_file=str(config_file), environ={}).body_timeout_seconds == 12
    environ = {"JOURNEYS_BODY_TIMEOUT_SECONDS": "2.5"}
    assert load_config(config_file=str(config_file), environ=environ).body_timeout_seconds == 2.5
    for bad in ("0", "-1", "soon", "inf"):
        with pytest.raises(ConfigError, match="JOURNEYS_BODY_TIMEOUT_SECONDS must be a positive number"):
            load_config(environ={"JOURNEYS_BODY_TIMEOUT_SECONDS": bad})
