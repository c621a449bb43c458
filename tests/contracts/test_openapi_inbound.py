"""The inbound surface in the generated OpenAPI documents: each loaded source's fixed URL with the headers its
preset reads and the answers it gives, what verification adds to a webhook step, and the inbound log; and, on a
live server, every answer to real, signed gateway deliveries and to the log reads is what the served document
says (status, media type, body schema, headers).
"""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from journeys.contracts.export_command import load_with_sources
from journeys.contracts.openapi_export import export_api_openapi, export_openapi
from journeys.definitions import load_catalog
from tests.gateways import hub_signature, midtrans_notification, stripe_signature_header
from tests.support import (
    DIGIFLAZZ_SECRET,
    MIDTRANS_SERVER_KEY,
    SHIPPED_DEFINITIONS,
    STRIPE_ENDPOINT_SECRET,
    TEST_DEFINITIONS,
    LiveServer,
)

JSON = "application/json"
JSON_BODY = {"Content-Type": JSON}


@pytest.fixture(scope="module")
def api() -> dict[str, Any]:
    return export_api_openapi(*load_catalog([SHIPPED_DEFINITIONS, TEST_DEFINITIONS]))


def _operation(api: dict[str, Any], operation_id: str) -> dict[str, Any]:
    [found] = [op for item in api["paths"].values() for op in item.values() if op["operationId"] == operation_id]
    return found


def _headers(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation["parameters"] if p.get("in") == "header"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# -- a source's fixed URL -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "required", "optional"),
    [
        ("midtrans", [], []),  # signs the body
        ("stripe", ["Stripe-Signature"], []),
        ("digiflazz", ["X-Hub-Signature"], []),
        ("fixture-standard-webhooks", ["webhook-id", "webhook-timestamp", "webhook-signature"], []),
        ("fixture-signed-hmac", ["X-Signature", "X-Timestamp"], []),
        ("fixture-shared-secret", ["X-Webhook-Secret"], []),
        ("fixture-xendit", ["x-callback-token"], []),
        ("fixture-razorpay", ["X-Razorpay-Signature"], ["x-razorpay-event-id"]),  # read by its deliveryId
    ],
)
def test_a_source_documents_the_headers_its_preset_reads(
    api: dict[str, Any], source: str, required: list[str], optional: list[str]
) -> None:
    operation = api["paths"][f"/inbound/{source}"]["post"]
    headers = _headers(operation)
    assert [name for name, p in headers.items() if p["required"]] == required
    assert [name for name, p in headers.items() if not p["required"]] == optional


def test_a_source_answers_2xx_whatever_the_verdict_and_refuses_only_a_failed_verification(
    api: dict[str, Any],
) -> None:
    stripe = api["paths"]["/inbound/stripe"]["post"]
    assert stripe["operationId"] == "deliver_stripe"
    # 400/408/415: reading the body (an undecodable Content-Encoding, too slow, an unknown coding).
    assert set(stripe["responses"]) == {"200", "400", "401", "408", "413", "415", "500", "503"}
    ok = stripe["responses"]["200"]
    # The default receipt; or, for a retry of a delivery first made to the step URL, that answer.
    assert ok["content"] == {JSON: {"schema": {"anyOf": [_ref("InboundReceipt"), _ref("JourneyStatus")]}}}
    assert ok["headers"] == {
        "Journeys-Delivery-Verdict": {"$ref": "#/components/headers/JourneysDeliveryVerdict"},
        "Journeys-Delivery-Id": {"$ref": "#/components/headers/JourneysDeliveryId"},
    }
    verdict = api["components"]["headers"]["JourneysDeliveryVerdict"]
    assert verdict["required"] is True
    assert verdict["schema"]["enum"] == ["applied", "duplicate", "buffered", "late", "unmatched"]
    assert ok["links"]["getInboundDelivery"]["parameters"] == {"deliveryId": "$response.header.Journeys-Delivery-Id"}
    assert "Retry-After" in stripe["responses"]["503"]["headers"]
    assert stripe["requestBody"]["content"] == {JSON: {"schema": _ref("StripePaymentWaitForEventRequest")}}


def test_a_source_with_its_own_answer_documents_it(api: dict[str, Any]) -> None:
    midtrans = api["paths"]["/inbound/midtrans"]["post"]
    assert midtrans["responses"]["200"]["content"]["text/plain"] == {"schema": {"const": "OK"}}
    assert _headers(midtrans) == {}
    signed = {"allOf": [_ref("MidtransPaymentWaitForNotificationRequest"), _ref("MidtransSignedBody")]}
    # Midtrans posts JSON; its fields are all text, so a form post is read the same way.
    assert midtrans["requestBody"]["content"] == {JSON: {"schema": signed}, "application/x-www-form-urlencoded": {
        "schema": signed
    }}  # fmt: skip
    assert api["components"]["schemas"]["MidtransSignedBody"]["required"] == [
        "order_id",
        "status_code",
        "gross_amount",
        "signature_key",
    ]
    text = api["paths"]["/inbound/fixture-text"]["post"]  # answers 202 `accepted`, takes text/plain lines
    assert text["responses"]["202"]["content"] == {"text/plain": {"schema": {"const": "accepted"}}}
    assert text["responses"]["200"]["content"] == {JSON: {"schema": _ref("JourneyStatus")}}
    assert set(text["requestBody"]["content"]) == {JSON, "text/plain"}
    xendit = api["paths"]["/inbound/fixture-xendit"]["post"]  # expects a refusal to be 403
    assert "403" in xendit["responses"] and "401" not in xendit["responses"]
    assert (
        "application/x-www-form-urlencoded"
        in api["paths"]["/inbound/fixture-paypal-ipn"]["post"]["requestBody"]["content"]
    )


def test_a_source_feeding_several_steps_takes_the_body_of_any(tmp_path: Path) -> None:
    text = (SHIPPED_DEFINITIONS / "midtrans-payment.journey.yaml").read_text(encoding="utf-8")
    refund = text.replace("name: midtrans-payment", "name: midtrans-refund").replace(
        "waitForNotification", "waitForRefund"
    )
    for name in ("midtrans-payment.journey.yaml", "midtrans.source.yaml"):
        (tmp_path / name).write_text((SHIPPED_DEFINITIONS / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "midtrans-refund.journey.yaml").write_text(refund, encoding="utf-8")
    api = export_api_openapi(*load_catalog([tmp_path]))
    body = api["paths"]["/inbound/midtrans"]["post"]["requestBody"]["content"][JSON]["schema"]
    # anyOf, not oneOf: a notification both steps accept is still one either journey can take.
    assert body == {
        "allOf": [
            {"anyOf": [_ref("MidtransPaymentWaitForNotificationRequest"), _ref("MidtransRefundWaitForRefundRequest")]},
            _ref("MidtransSignedBody"),
        ]
    }


def test_a_start_that_waits_for_a_correlation_key_may_be_refused_409(api: dict[str, Any]) -> None:
    assert "409" in _operation(api, "midtransPayment_start")["responses"]
    assert "409" not in _operation(api, "paymentCallback_start")["responses"]


# -- a webhook step fed by a source ---------------------------------------------------------------------------


def test_a_sourced_step_is_verified_like_its_source() -> None:
    api = export_openapi(*load_with_sources(SHIPPED_DEFINITIONS / "stripe-payment.journey.yaml"))
    step = _operation(api, "stripePayment_waitForEvent")
    assert _headers(step)["Stripe-Signature"]["required"] is True
    assert "Idempotency-Key" not in _headers(step)  # deduplicated by the source's key (the event id)
    assert set(step["responses"]) == {"200", "400", "401", "404", "408", "409", "413", "415", "500", "503"}
    ok = step["responses"]["200"]
    assert ok["headers"]["Journeys-Delivery-Verdict"] == {"$ref": "#/components/headers/JourneysDeliveryVerdict"}
    # The status when applied here; the source's receipt for a delivery routed by another key, or a retry.
    assert ok["content"] == {JSON: {"schema": {"anyOf": [_ref("JourneyStatus"), _ref("InboundReceipt")]}}}
    # A refusal that was logged names its log row.
    assert step["responses"]["401"]["headers"]["Journeys-Delivery-Id"] == {
        "$ref": "#/components/headers/JourneysDeliveryRefusalId"
    }


def test_a_step_without_a_source_documents_idempotent_retries() -> None:
    api = export_openapi(*load_with_sources(SHIPPED_DEFINITIONS / "payment-callback.journey.yaml"))
    step = _operation(api, "paymentCallback_waitForCallback")
    assert _headers(step)["Idempotency-Key"]["required"] is False
    assert "answered 200 with its first answer" in step["responses"]["409"]["description"]
    # JSON only: see docs/contracts.md (form and text bodies are accepted but not documented on step URLs).
    assert list(step["requestBody"]["content"]) == [JSON]


def test_a_journey_exported_without_its_source_is_refused(tmp_path: Path) -> None:
    from journeys.contracts.export_command import run_export

    lonely = tmp_path / "stripe-payment.journey.yaml"
    lonely.write_text((SHIPPED_DEFINITIONS / "stripe-payment.journey.yaml").read_text(encoding="utf-8"))
    assert run_export("openapi", str(lonely), str(tmp_path / "out.yaml"), out=io.StringIO()) == 1
    assert not (tmp_path / "out.yaml").exists()


# -- the inbound log ------------------------------------------------------------------------------------------


def test_the_inbound_log_operations(api: dict[str, Any]) -> None:
    listing = _operation(api, "listInboundDeliveries")
    assert [p["name"] for p in listing["parameters"]] == ["source", "verdict", "journeyId", "limit", "pageToken"]
    verdict = re.compile(next(p for p in listing["parameters"] if p["name"] == "verdict")["schema"]["pattern"])
    assert all(verdict.search(v) for v in ["", "applied", "expired", "rejected:invalid-signature", "rejected:"])
    assert not any(verdict.search(v) for v in ["Applied", "rejected", "refused"])
    assert api["paths"]["/inbound/deliveries/{deliveryId}/replay"]["post"]["operationId"] == "replayInboundDelivery"
    replay = _operation(api, "replayInboundDelivery")
    assert set(replay["responses"]) == {"200", "401", "403", "404", "409", "503"}
    assert _operation(api, "getInboundStats")["responses"]["200"]["content"][JSON]["schema"] == _ref("InboundStats")


# -- against a live server ------------------------------------------------------------------------------------


class Contract:
    """Checks live answers against the document the server publishes."""

    URI = "urn:journeys:api"

    def __init__(self, api: dict[str, Any]) -> None:
        self.api = api
        resource = Resource.from_contents(api, default_specification=DRAFT202012)
        self._registry = Registry().with_resource(self.URI, resource)

    def _errors(self, instance: Any, *pointer: str) -> list[str]:
        path = "/".join(part.replace("~", "~0").replace("/", "~1") for part in pointer)
        schema, checker = {"$ref": f"{self.URI}#/{path}"}, Draft202012Validator.FORMAT_CHECKER
        validator = Draft202012Validator(schema, registry=self._registry, format_checker=checker)
        return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(instance)]

    def _template(self, method: str, path: str) -> str:
        for template, item in self.api["paths"].items():
            if method in item and re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)), path):
                return template
        raise AssertionError(f"{method.upper()} {path} is not in the document")

    def check(self, method: str, path: str, status: int, headers: Any, text: str) -> None:
        """The answer to `method path` (relative to /api/v1) is one the document describes, in every part."""
        template = self._template(method, path.split("?")[0])
        what = f"{method.upper()} {path} -> {status}"
        response = self.api["paths"][template][method]["responses"].get(str(status))
        assert response is not None, f"{what}: status not documented"
        media_type = headers["Content-Type"].split(";")[0]
        assert media_type in response["content"], f"{what}: {media_type} not documented"
        body = orjson.loads(text) if media_type.endswith("json") else text
        where = ("paths", template, method, "responses", str(status))
        assert self._errors(body, *where, "content", media_type, "schema") == [], f"{what}: {body}"
        for name, header in response.get("headers", {}).items():
            if "$ref" in header:
                header = self.api["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
            if name not in headers:
                assert not header.get("required"), f"{what}: no {name} header"
                continue
            assert Draft202012Validator(header["schema"]).is_valid(headers[name]), f"{what}: {name}: {headers[name]}"


async def _exchange(
    server: LiveServer, contract: Contract, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, Any, Any]:
    async with server.http.request(method, server.url(f"/api/v1{path}"), data=body, headers=headers) as response:
        text = await response.text()
        contract.check(method.lower(), path, response.status, response.headers, text)
        parsed = orjson.loads(text) if response.content_type.endswith("json") else text
        return response.status, parsed, response.headers


async def _contract(server: LiveServer) -> Contract:
    async with server.http.get(server.url("/api/v1/openapi.json")) as response:
        return Contract(await response.json())


async def _start(server: LiveServer, contract: Contract, journey: str, body: dict[str, Any]) -> str:
    status, answer, _ = await _exchange(
        server, contract, "POST", f"/journeys/{journey}/start", orjson.dumps(body), **{"Content-Type": JSON}
    )
    assert status == 200, answer
    return str(answer["journeyId"])


async def test_gateway_deliveries_and_the_log_are_answered_as_documented(server: LiveServer) -> None:
    contract = await _contract(server)
    now = int(time.time())
    server.clock.now = datetime.fromtimestamp(now, UTC)  # signatures carry the sender's time

    # Midtrans: applied (its own `OK`), then a retry (duplicate), then a forgery (401, logged).
    journey = await _start(server, contract, "midtrans-payment", {"orderId": "order-c1", "grossAmount": "10000.00"})
    settled = orjson.dumps(midtrans_notification("order-c1", "settlement", server_key=MIDTRANS_SERVER_KEY))
    for verdict in ("applied", "duplicate"):
        status, text, headers = await _exchange(server, contract, "POST", "/inbound/midtrans", settled, **JSON_BODY)
        assert (status, text, headers["Journeys-Delivery-Verdict"]) == (200, "OK", verdict)
    forged = orjson.dumps({**orjson.loads(settled), "signature_key": "00" * 64})
    status, problem, headers = await _exchange(server, contract, "POST", "/inbound/midtrans", forged, **JSON_BODY)
    assert (status, problem["cause"], headers["Journeys-Delivery-Verdict"]) == (
        401,
        "invalid-signature",
        "rejected:invalid-signature",
    )

    # Stripe: an event before its journey starts is buffered (the JSON receipt), applied once it waits.
    event = orjson.dumps(
        {"id": "evt_c2", "type": "payment_intent.succeeded",
         "data": {"object": {"id": "pi_c2", "amount": 500, "metadata": {"orderId": "order-c2"}}}}
    )  # fmt: skip
    signature = stripe_signature_header(STRIPE_ENDPOINT_SECRET, event, now)
    status, receipt, _ = await _exchange(
        server, contract, "POST", "/inbound/stripe", event, **{"Stripe-Signature": signature, "Content-Type": JSON}
    )
    assert (status, receipt["verdict"]) == (200, "buffered")
    stripe_journey = await _start(
        server, contract, "stripe-payment", {"orderId": "order-c2", "amount": 500, "currency": "eur"}
    )
    status, outcome, _ = await _exchange(server, contract, "GET", f"/journeys/{stripe_journey}/result?waitSeconds=5")
    assert (status, outcome["phase"]) == (200, "Succeeded")

    # Digiflazz, on the step URL: verified like the source, answered with the journey's status.
    topup = await _start(server, contract, "digiflazz-topup", {"refId": "ref-c3", "sku": "xl10", "customerNo": "0817"})
    callback = orjson.dumps({"data": {"ref_id": "ref-c3", "status": "Sukses", "sn": "SN-1"}})
    status, answer, headers = await _exchange(
        server,
        contract,
        "POST",
        f"/journeys/{topup}/steps/waitForCallback",
        callback,
        **{"X-Hub-Signature": hub_signature(DIGIFLAZZ_SECRET, callback), "Content-Type": JSON},
    )
    assert (status, answer["phase"], headers["Journeys-Delivery-Verdict"]) == (200, "Succeeded", "applied")
    # A delivery on that URL naming another key is routed by its key, and gets the source's answer.
    other = orjson.dumps({"data": {"ref_id": "ref-c4", "status": "Pending"}})
    status, receipt, _ = await _exchange(
        server,
        contract,
        "POST",
        f"/journeys/{topup}/steps/waitForCallback",
        other,
        **{"X-Hub-Signature": hub_signature(DIGIFLAZZ_SECRET, other), "Content-Type": JSON},
    )
    assert (status, receipt["received"], receipt["verdict"]) == (200, True, "buffered")
    # ... and a signed body no journey is named by is unmatched, kept for a replay.
    orphan = orjson.dumps({"data": {"status": "Sukses"}})
    signature = hub_signature(DIGIFLAZZ_SECRET, orphan)
    status, receipt, _ = await _exchange(
        server, contract, "POST", "/inbound/digiflazz", orphan, **{"X-Hub-Signature": signature}, **JSON_BODY
    )
    assert receipt["verdict"] == "unmatched"

    # The log, one delivery, a replay refused and one that still names no journey, the statistics.
    status, page, _ = await _exchange(server, contract, "GET", "/inbound/deliveries?limit=2")
    assert status == 200 and len(page["items"]) == 2 and page["nextPageToken"]
    status, page, _ = await _exchange(server, contract, "GET", f"/inbound/deliveries?journeyId={journey}")
    assert [item["verdict"] for item in page["items"]] == ["duplicate", "applied"]  # the forgery named none
    applied = page["items"][-1]
    status, one, _ = await _exchange(server, contract, "GET", f"/inbound/deliveries/{applied['deliveryId']}")
    assert one["body"]["signature_key"] == "[REDACTED]"
    status, _, _ = await _exchange(server, contract, "POST", f"/inbound/deliveries/{applied['deliveryId']}/replay")
    assert status == 409
    status, page, _ = await _exchange(server, contract, "GET", "/inbound/deliveries?verdict=unmatched")
    [unmatched] = page["items"]
    status, _, _ = await _exchange(server, contract, "POST", f"/inbound/deliveries/{unmatched['deliveryId']}/replay")
    assert status == 409  # still no key
    await _exchange(server, contract, "GET", "/inbound/deliveries/no-such-delivery")
    status, stats, _ = await _exchange(server, contract, "GET", "/inbound/stats")
    verdicts = {"applied": 1, "duplicate": 1, "rejected:invalid-signature": 1}
    assert stats["sources"]["midtrans"]["5m"]["verdicts"] == verdicts


@pytest.mark.parametrize("path", ["/api/v1/inbound/deliveries", "/api/v1/inbound/stats"])
async def test_the_log_paths_are_not_taken_for_sources(server: LiveServer, path: str) -> None:
    """The document has no POST on the log's two GET resources, so the server must answer it 405 without
    advertising POST, not take it for a delivery to a source named `deliveries` or `stats` (404)."""
    async with server.http.post(server.url(path), data=b"{}") as response:
        assert response.status == 405, await response.text()
        assert "POST" not in response.headers["Allow"]
    async with server.http.request("OPTIONS", server.url(path)) as response:
        assert response.status == 405 and "POST" not in response.headers["Allow"]
