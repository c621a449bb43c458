"""Secrets and request data never reach a log: not through aiohttp's parser errors (which quoted the raw header
line, or a whole bare-LF request with its body), not through database errors (which quoted the statement's
parameters), not through tracebacks of requests that used to fail. Checked on the log of a real
`journeys serve` process, on both databases."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from journeys.server.http_protocol import install_redaction
from journeys.store.database import open_database
from tests.hostile.raw_http import exchange, request_bytes
from tests.server_process import ServerProcess, spawning

SECRET = "hostile-log-secret-4b1d"
CARD = "4111-1111-hostile-card"
DB_PASSWORD = "hostile-db-password"


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[[str], ServerProcess]]:
    yield from spawning(tmp_path, {"apiKeys": {"payments-callback": [{"id": "current", "secret": SECRET}]}})


def hostile_requests(journey_id: str) -> list[bytes]:
    body = orjson.dumps({"paymentId": "pay-1", "status": "SUCCESS", "card": CARD})
    step = f"/api/v1/journeys/{journey_id}/steps/waitForCallback"
    page_token = base64.urlsafe_b64encode(orjson.dumps(["9999-12-31T23:59:59-23:59", CARD])).decode()
    return [
        # aiohttp's parser errors: a long header line, obs-fold, a bare-LF request carrying a body
        b"GET /api/v1/journeys HTTP/1.1\r\nHost: x\r\nX-Webhook-Secret: " + SECRET.encode() + b"a" * 9000 + b"\r\n\r\n",
        b"POST " + step.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Webhook-Secret: " + SECRET.encode() + b"\r\n  fold\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body,
        b"POST "
        + step.encode()
        + b" HTTP/1.1\nHost: x\nX-Webhook-Secret: "
        + SECRET.encode()
        + b"\nContent-Length: %d\n\n" % len(body)
        + body,
        # requests that used to fail with a traceback (and, on PostgreSQL, the SQL parameters)
        request_bytes("POST", step, {"X-Webhook-Secret": SECRET.encode() + b"\xff"}, body),
        request_bytes("GET", f"/api/v1/journeys?pageToken={page_token}", {}),
        request_bytes("GET", f"/api/v1/journeys/{CARD}%00", {}),
    ]


async def test_hostile_requests_leave_no_secret_and_no_traceback_in_the_log(
    spawn: Callable[[str], ServerProcess], database_url: str
) -> None:
    if database_url.startswith("postgresql"):  # the server logs its database URL: never the password in it
        url = make_url(database_url).set(password=DB_PASSWORD)  # trust authentication ignores it
        database_url = url.render_as_string(hide_password=False)
    server = spawn(database_url)
    async with aiohttp.ClientSession() as http:
        await server.ready(http)
        start = {"paymentId": "pay-1", "amount": 1, "currency": "EUR"}
        async with http.post(f"{server.base}/journeys/payment-callback/start", json=start) as response:
            journey_id = (await response.json())["journeyId"]
        base_url = server.base.removesuffix("/api/v1")
        statuses = [(await exchange(base_url, request)).status for request in hostile_requests(journey_id)]
    server.stop()
    assert all(400 <= status < 500 for status in statuses), statuses
    log = server.log.read_text(errors="replace")
    assert SECRET not in log and CARD not in log and DB_PASSWORD not in log, log
    assert "Traceback" not in log, log


async def test_a_database_password_given_as_a_url_parameter_is_masked_in_the_log(
    spawn: Callable[[str], ServerProcess], postgres_url: str
) -> None:
    """`postgresql://user@host/db?password=...` is a URL SQLAlchemy and asyncpg accept (libpq's form too): the
    start-up line names the database with that password masked, as it does `user:password@`."""
    server = spawn(f"{postgres_url}?password={DB_PASSWORD}")  # trust authentication ignores it
    async with aiohttp.ClientSession() as http:
        await server.ready(http)
    server.stop()
    log = server.log.read_text(errors="replace")
    assert DB_PASSWORD not in log, log
    assert "?password=***" in log, log


async def test_database_errors_do_not_quote_the_statement_parameters(database_url: str) -> None:
    """What a failed statement says, and so what any log of it says: the SQL, never the values bound to it."""
    database = await open_database(database_url)
    try:
        with pytest.raises(DBAPIError) as caught:
            await database.read(
                lambda conn: conn.execute(
                    text("SELECT no_such_column FROM journey_instance WHERE id = :id AND created_at < :at"),
                    {"id": CARD, "at": datetime(2026, 1, 1, tzinfo=UTC)},
                ).all()
            )
    finally:
        await database.close()
    assert CARD not in str(caught.value)
    assert "hide_parameters" in str(caught.value)


def test_what_a_library_logs_is_redacted_before_it_is_written() -> None:
    """The filter `journeys serve` puts on every handler: message and traceback alike."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.hostile.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    install_redaction(logger)
    try:
        try:
            raise ValueError(f"bad header line b'X-Webhook-Secret: {SECRET}'\n[parameters: ('{CARD}',)]")
        except ValueError:
            logger.exception("request failed with Authorization: Bearer %s", SECRET)
        logger.error("connecting to postgresql://app:%s@db/journeys", DB_PASSWORD)
        logger.error("dsn postgresql://app@db/journeys?sslpassword=%s&passwd=%s&sslmode=require", SECRET, CARD)
        logger.error("environment PGPASSWORD=%s; config {'db_password': '%s'}", SECRET, CARD)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "ValueError" in written and "Traceback" in written
    assert SECRET not in written and CARD not in written and DB_PASSWORD not in written, written
    assert "sslpassword=***&passwd=***&sslmode=require" in written, written  # the other parameters stay
