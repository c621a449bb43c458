"""What the log says of requests and journeys: one access line per request (method, route template, status,
duration, journey id), one line per transition, a WARNING with the error code and reason when a journey fails, and
never a secret, a header, a query string or a raw path."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest

from journeys.server.observability.log_format import FIELDS
from tests.server.helpers import PAYMENT, call
from tests.support import WEBHOOK_SECRET

STEP = "/api/v1/journeys/{journeyId}/steps/{stepId}"
TOKEN = "bearer-token-that-must-not-be-logged"
CARD = "4111111111111111"


def _lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == logger]


async def test_access_and_transition_lines_without_secrets(
    start_server: Callable[..., Any], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = await start_server(sqlite_url)
    caplog.set_level(logging.INFO, logger="journeys")
    secrets = {"X-Webhook-Secret": WEBHOOK_SECRET, "Authorization": f"Bearer {TOKEN}"}
    status, started, _ = await call(server, "POST", "/api/v1/journeys/payment-callback/start", PAYMENT, secrets)
    assert status == 200
    journey_id = started["journeyId"]
    declined = {"paymentId": PAYMENT["paymentId"], "status": "FAILED"}
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/waitForCallback", declined, secrets)
    assert status == 200
    assert (await call(server, "GET", f"/api/v1/journeys/{journey_id}?pageToken={TOKEN}"))[0] == 200
    assert (await call(server, "GET", f"/api/v1/journeys/{CARD}/history"))[0] == 404
    assert (await call(server, "GET", f"/no/such/{CARD}"))[0] == 404

    access = [(r.getMessage(), getattr(r, FIELDS)) for r in _lines(caplog, "journeys.access")]
    assert len(access) == 5, access
    messages = [message for message, _ in access]
    assert re.fullmatch(r"POST /api/v1/journeys/\{journeyName\}/start 200 \d+\.\dms", messages[0]), messages
    assert re.fullmatch(rf"POST {re.escape(STEP)} 200 \d+\.\dms journeyId={journey_id}", messages[1]), messages
    assert messages[2].startswith("GET /api/v1/journeys/{journeyId} 200 "), messages
    assert re.fullmatch(r"GET /api/v1/journeys/\{journeyId\}/history 404 \d+\.\dms", messages[3]), messages
    assert messages[4].startswith("GET (unmatched) 404 "), messages
    _, step_fields = access[1]
    assert step_fields["route"] == STEP and step_fields["status"] == 200 and step_fields["journeyId"] == journey_id
    assert step_fields["method"] == "POST" and step_fields["durationMs"] >= 0
    assert access[3][1]["journeyId"] is None  # a path segment that is not a journey id is not logged

    transitions = _lines(caplog, "journeys.transitions")
    assert [(r.levelno, r.getMessage()) for r in transitions] == [
        (logging.INFO, f"payment-callback {journey_id} start: - -> waitForCallback (Running)"),
        (logging.INFO, f"payment-callback {journey_id} step: waitForCallback -> declined (Failed)"),
        (
            logging.WARNING,
            f"payment-callback {journey_id} failed: PAYMENT_FAILED: "
            "The payment gateway reported that the payment failed.",
        ),
    ]
    assert getattr(transitions[2], FIELDS)["errorCode"] == "PAYMENT_FAILED"

    written = caplog.text + "".join(str(getattr(record, FIELDS, "")) for record in caplog.records)
    for secret in (WEBHOOK_SECRET, TOKEN, CARD, "pageToken", "X-Webhook-Secret", "Authorization"):
        assert secret not in written, secret


async def test_a_cancel_is_logged_as_asked_for_not_as_a_failure(
    start_server: Callable[..., Any], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = await start_server(sqlite_url)
    caplog.set_level(logging.INFO, logger="journeys")
    _, started, _ = await call(server, "POST", "/api/v1/journeys/payment-callback/start", PAYMENT)
    assert (await call(server, "POST", f"/api/v1/journeys/{started['journeyId']}/steps/cancel"))[0] == 200
    ended = _lines(caplog, "journeys.transitions")[-1]
    assert ended.levelno == logging.INFO and "failed: JOURNEY_CANCELLED" in ended.getMessage()
