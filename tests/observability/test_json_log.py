"""`journeys serve --log-format json`: every line the real process writes is one JSON object (ts, level, logger,
message and the line's structured fields), and no secret a client sent is in any of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import orjson
import yaml

from tests.server_process import ServerProcess

SECRET = "json-log-webhook-secret-7c1e"
TOKEN = "json-log-bearer-token-5d2a"
PAYMENT = {"paymentId": "pay-1", "amount": 10, "currency": "EUR"}


async def _exchange(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.request(method, url, **kwargs) as response:
        return response.status, await response.json(content_type=None)


async def test_every_line_is_a_json_object_with_its_fields_and_no_secret(tmp_path: Path, sqlite_url: str) -> None:
    config = tmp_path / "server.yaml"
    config.write_text(yaml.safe_dump({"apiKeys": {"payments-callback": [{"id": "current", "secret": SECRET}]}}))
    server = ServerProcess(sqlite_url, config, tmp_path / "server.log", options=("--log-format", "json"))
    secrets = {"X-Webhook-Secret": SECRET, "Authorization": f"Bearer {TOKEN}"}
    try:
        async with aiohttp.ClientSession() as http:
            await server.ready(http)
            status, started = await _exchange(
                http, "POST", f"{server.base}/journeys/payment-callback/start", json=PAYMENT, headers=secrets
            )
            assert status == 200, started
            journey_id = started["journeyId"]
            step = f"{server.base}/journeys/{journey_id}/steps/waitForCallback"
            declined = {"paymentId": "pay-1", "status": "FAILED"}
            assert (await _exchange(http, "POST", step, json=declined, headers=secrets))[0] == 200
            assert (await _exchange(http, "GET", f"{server.base}/journeys/{journey_id}?token={TOKEN}"))[0] == 200
    finally:
        server.stop()

    text = server.log.read_text()
    assert SECRET not in text and TOKEN not in text and "X-Webhook-Secret" not in text, text
    lines = [orjson.loads(line) for line in text.splitlines() if line]
    assert all(isinstance(line, dict) and {"ts", "level", "logger", "message"} <= line.keys() for line in lines), text
    assert all(line["ts"].endswith("Z") for line in lines)
    assert any(line["message"].startswith("======== Running on") for line in lines)  # the server's own lines too

    access = [line for line in lines if line["logger"] == "journeys.access"]
    step_line = next(line for line in access if line["method"] == "POST" and line["journeyId"] == journey_id)
    assert step_line["route"] == "/api/v1/journeys/{journeyId}/steps/{stepId}" and step_line["status"] == 200
    assert step_line["level"] == "INFO" and isinstance(step_line["durationMs"], float)
    assert {line["route"] for line in access} >= {
        "/api/v1/journeys/{journeyName}/start",
        "/api/v1/journeys/{journeyId}",
    }

    failed = next(line for line in lines if line["logger"] == "journeys.transitions" and line["level"] == "WARNING")
    assert failed["journeyId"] == journey_id and failed["errorCode"] == "PAYMENT_FAILED"
    assert failed["reason"] == "The payment gateway reported that the payment failed."
    assert (failed["fromState"], failed["toState"], failed["event"]) == ("waitForCallback", "declined", "step")
