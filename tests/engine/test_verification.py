"""Inbound signature presets: each accepts what the gateway signs and refuses tampering, wrong secrets and replays."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import standardwebhooks
import stripe
from multidict import CIMultiDict, CIMultiDictProxy

from journeys.definitions.inbound_model import VerifySpec
from journeys.engine.api_keys import ApiKeyProfile, parse_profiles
from journeys.engine.errors import EngineConfigurationError
from journeys.engine.verification import SignedRequest, VerificationResult, verify_delivery
from tests.gateways import (
    hub_signature,
    midtrans_notification,
    midtrans_signature_key,
    razorpay_signature,
    standard_webhooks_headers,
    stripe_signature_header,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TS = int(NOW.timestamp())
BODY = b'{"id":"evt_1","order_id":"order-1","amount":"10000.00"}'
CURRENT, PREVIOUS, WRONG = "secret-current", "secret-previous", "secret-wrong"
WHSEC_CURRENT = "whsec_" + base64.b64encode(b"standard-webhooks-current-key-32").decode()
WHSEC_PREVIOUS = "whsec_" + base64.b64encode(b"standard-webhooks-previous-key-32").decode()
WHSEC_WRONG = "whsec_" + base64.b64encode(b"standard-webhooks-wrong-key-0032").decode()


def profile(current: str, previous: str) -> ApiKeyProfile:
    return parse_profiles({"p": [{"id": "current", "secret": current}, {"id": "previous", "secret": previous}]})["p"]


def request(body: bytes, headers: dict[str, str] | None = None) -> SignedRequest:
    try:
        payload: Any = json.loads(body)
    except ValueError:
        payload = None
    return SignedRequest(body=body, headers=headers or {}, payload=payload)


def tamper(signed: SignedRequest) -> SignedRequest:
    """Change a signed field of the body (the amount), keeping the presented signature."""
    body = signed.body.replace(b"10000.00", b"99000.00")
    assert body != signed.body
    return replace(signed, body=body, payload=json.loads(body))


def drop_headers(signed: SignedRequest) -> SignedRequest:
    return replace(signed, headers={})


@dataclass(frozen=True)
class Case:
    """A preset, its three secrets (current, previous, wrong) and a signer `(secret, timestamp) -> request`."""

    spec: VerifySpec
    secrets: tuple[str, str, str]
    sign: Callable[[str, int], SignedRequest]
    unsigned: Callable[[SignedRequest], SignedRequest] = drop_headers


def _midtrans(secret: str, ts: int) -> SignedRequest:
    return request(json.dumps(midtrans_notification("order-1", "settlement", server_key=secret)).encode())


def _midtrans_unsigned(signed: SignedRequest) -> SignedRequest:
    payload = dict(signed.payload)
    del payload["signature_key"]
    return request(json.dumps(payload).encode())


def _timestamped_hmac(secret: str, ts: int) -> SignedRequest:
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + BODY, hashlib.sha512).digest()
    return request(BODY, {"X-Signature": base64.b64encode(digest).decode(), "X-Timestamp": str(ts)})


PLAIN = (CURRENT, PREVIOUS, WRONG)
CASES: dict[str, Case] = {
    "shared-secret": Case(
        VerifySpec("shared-secret", "p"), PLAIN, lambda secret, ts: request(BODY, {"X-Webhook-Secret": secret})
    ),
    "token": Case(
        VerifySpec("token", "p", header="x-callback-token"),
        PLAIN,
        lambda secret, ts: request(BODY, {"X-CALLBACK-TOKEN": secret}),
    ),
    "standard-webhooks": Case(
        VerifySpec("standard-webhooks", "p"),
        (WHSEC_CURRENT, WHSEC_PREVIOUS, WHSEC_WRONG),
        lambda secret, ts: request(BODY, standard_webhooks_headers(secret, "msg_1", ts, BODY)),
    ),
    "stripe": Case(
        VerifySpec("stripe", "p"),
        PLAIN,
        lambda secret, ts: request(BODY, {"Stripe-Signature": stripe_signature_header(secret, BODY, ts)}),
    ),
    "midtrans": Case(VerifySpec("midtrans", "p"), PLAIN, _midtrans, _midtrans_unsigned),
    "hmac-hub-sha1": Case(
        VerifySpec("hmac", "p", header="X-Hub-Signature", algorithm="sha1", prefix="sha1="),
        PLAIN,
        lambda secret, ts: request(BODY, {"X-Hub-Signature": hub_signature(secret, BODY)}),
    ),
    "hmac-razorpay": Case(
        VerifySpec("hmac", "p", header="X-Razorpay-Signature"),
        PLAIN,
        lambda secret, ts: request(BODY, {"X-Razorpay-Signature": razorpay_signature(secret, BODY)}),
    ),
    "hmac-timestamped": Case(
        VerifySpec(
            "hmac",
            "p",
            header="X-Signature",
            algorithm="sha512",
            encoding="base64",
            signed_content="{header:X-Timestamp}.{body}",
            timestamp_header="X-Timestamp",
        ),
        PLAIN,
        _timestamped_hmac,
    ),
}
SIGNING = [name for name in CASES if name not in ("shared-secret", "token")]
TIMESTAMPED = ["standard-webhooks", "stripe", "hmac-timestamped"]


def verify(case: Case, signed: SignedRequest, now: datetime = NOW) -> VerificationResult:
    return verify_delivery(case.spec, profile(case.secrets[0], case.secrets[1]), signed, now)


@pytest.mark.parametrize("name", CASES)
def test_valid_delivery_is_accepted_with_the_current_key(name: str) -> None:
    case = CASES[name]
    result = verify(case, case.sign(case.secrets[0], TS))
    assert result.ok, result
    assert result.cause is None
    assert result.key_id == "current"


@pytest.mark.parametrize("name", CASES)
def test_rotated_secret_matches_and_reports_its_key_id(name: str) -> None:
    case = CASES[name]
    result = verify(case, case.sign(case.secrets[1], TS))
    assert result == VerificationResult(ok=True, key_id="previous", delivery_id=result.delivery_id)
    assert result.ok


@pytest.mark.parametrize("name", CASES)
def test_wrong_secret_is_an_invalid_signature(name: str) -> None:
    case = CASES[name]
    assert verify(case, case.sign(case.secrets[2], TS)) == VerificationResult(ok=False, cause="invalid-signature")


@pytest.mark.parametrize("name", SIGNING)
def test_tampered_body_is_an_invalid_signature(name: str) -> None:
    case = CASES[name]
    assert verify(case, tamper(case.sign(case.secrets[0], TS))).cause == "invalid-signature"


@pytest.mark.parametrize("name", CASES)
def test_missing_signature(name: str) -> None:
    case = CASES[name]
    assert verify(case, case.unsigned(case.sign(case.secrets[0], TS))) == VerificationResult(
        ok=False, cause="missing-signature"
    )


@pytest.mark.parametrize("name", TIMESTAMPED)
@pytest.mark.parametrize("offset", [-301, 301, -3600, 86_400])
def test_timestamps_outside_the_tolerance_are_stale(name: str, offset: int) -> None:
    case = CASES[name]
    assert verify(case, case.sign(case.secrets[0], TS + offset)).cause == "stale-timestamp"


@pytest.mark.parametrize("name", TIMESTAMPED)
@pytest.mark.parametrize("offset", [-300, 299])
def test_timestamps_inside_the_tolerance_are_accepted(name: str, offset: int) -> None:
    case = CASES[name]
    assert verify(case, case.sign(case.secrets[0], TS + offset)).ok


@pytest.mark.parametrize("name", TIMESTAMPED)
def test_tolerance_comes_from_the_spec(name: str) -> None:
    case = CASES[name]
    narrow = replace(case, spec=replace(case.spec, tolerance_sec=10))
    assert verify(narrow, case.sign(case.secrets[0], TS - 11)).cause == "stale-timestamp"
    assert verify(narrow, case.sign(case.secrets[0], TS - 10)).ok


def test_stale_timestamp_with_a_forged_signature_is_reported_as_invalid() -> None:
    case = CASES["stripe"]
    assert verify(case, case.sign(WRONG, TS - 3600)).cause == "invalid-signature"


# --- configuration: fail closed ---------------------------------------------------------------------------------


def test_unconfigured_profile_raises_naming_the_profile() -> None:
    spec = VerifySpec("shared-secret", "payments-inbound")
    with pytest.raises(EngineConfigurationError, match="payments-inbound"):
        verify_delivery(spec, None, request(BODY, {"X-Webhook-Secret": CURRENT}), NOW)


@pytest.mark.parametrize("name", CASES)
def test_profile_without_keys_raises(name: str) -> None:
    case = CASES[name]
    empty = parse_profiles({"p": []})["p"]
    with pytest.raises(EngineConfigurationError, match="'p'"):
        verify_delivery(case.spec, empty, case.sign(case.secrets[0], TS), NOW)


def test_token_and_hmac_need_a_header_name() -> None:
    keys = profile(CURRENT, PREVIOUS)
    for spec in (VerifySpec("token", "p"), VerifySpec("hmac", "p")):
        with pytest.raises(EngineConfigurationError):
            verify_delivery(spec, keys, request(BODY, {"X-Webhook-Secret": CURRENT}), NOW)


def test_unsupported_hmac_algorithm_raises() -> None:
    spec = VerifySpec("hmac", "p", header="X-Sig", algorithm="md5")
    signature = hmac.new(CURRENT.encode(), BODY, hashlib.md5).hexdigest()
    with pytest.raises(EngineConfigurationError):
        verify_delivery(spec, profile(CURRENT, PREVIOUS), request(BODY, {"X-Sig": signature}), NOW)


def test_standard_webhooks_secret_that_is_not_base64_raises_without_echoing_it() -> None:
    bad = "whsec_x"
    with pytest.raises(EngineConfigurationError) as raised:
        verify_delivery(VerifySpec("standard-webhooks", "p"), profile(bad, WHSEC_PREVIOUS), request(BODY), NOW)
    assert "current" in str(raised.value)
    assert bad not in str(raised.value)


# --- headers ---------------------------------------------------------------------------------------------------


def test_headers_are_looked_up_case_insensitively_in_plain_dicts_and_multidicts() -> None:
    case = CASES["standard-webhooks"]
    signed = case.sign(WHSEC_CURRENT, TS)
    upper = {name.upper(): value for name, value in signed.headers.items()}
    multi = CIMultiDictProxy(CIMultiDict(upper))
    assert verify(case, replace(signed, headers=upper)).ok
    assert verify(case, replace(signed, headers=multi)).ok


def test_shared_secret_honours_a_custom_header_and_refuses_an_empty_value() -> None:
    spec = VerifySpec("shared-secret", "p", header="X-Gateway-Key")
    keys = profile(CURRENT, PREVIOUS)
    assert verify_delivery(spec, keys, request(BODY, {"x-gateway-key": PREVIOUS}), NOW).key_id == "previous"
    assert verify_delivery(spec, keys, request(BODY, {"X-Webhook-Secret": CURRENT}), NOW).cause == "missing-signature"
    assert verify_delivery(spec, keys, request(BODY, {"X-Gateway-Key": ""}), NOW).cause == "missing-signature"


def test_shared_secret_must_match_exactly() -> None:
    case = CASES["shared-secret"]
    for presented in (CURRENT[:-1], CURRENT + "x", CURRENT.upper(), "sécret"):
        assert verify(case, request(BODY, {"X-Webhook-Secret": presented})).cause == "invalid-signature"


# --- standard webhooks -----------------------------------------------------------------------------------------


def test_standard_webhooks_reports_webhook_id_as_delivery_id() -> None:
    case = CASES["standard-webhooks"]
    assert verify(case, case.sign(WHSEC_CURRENT, TS)).delivery_id == "msg_1"
    assert verify(case, case.sign(WHSEC_WRONG, TS)).delivery_id is None


def test_standard_webhooks_signature_covers_the_id_and_timestamp() -> None:
    case = CASES["standard-webhooks"]
    signed = case.sign(WHSEC_CURRENT, TS)
    other_id = {**signed.headers, "webhook-id": "msg_2"}
    other_ts = {**signed.headers, "webhook-timestamp": str(TS + 1)}
    assert verify(case, replace(signed, headers=other_id)).cause == "invalid-signature"
    assert verify(case, replace(signed, headers=other_ts)).cause == "invalid-signature"


def test_standard_webhooks_accepts_any_v1_entry_and_ignores_other_versions() -> None:
    case = CASES["standard-webhooks"]
    wrong = standard_webhooks_headers(WHSEC_WRONG, "msg_1", TS, BODY)["webhook-signature"]
    signed = case.sign(WHSEC_PREVIOUS, TS)
    right = signed.headers["webhook-signature"]
    v1a = "v1a," + right.split(",", 1)[1]
    several = {**signed.headers, "webhook-signature": f"{v1a} {wrong} {right}"}
    assert verify(case, replace(signed, headers=several)).key_id == "previous"
    only_other_version = {**signed.headers, "webhook-signature": v1a}
    assert verify(case, replace(signed, headers=only_other_version)).cause == "malformed-signature"


@pytest.mark.parametrize(
    ("header", "value", "cause"),
    [
        ("webhook-signature", "v1,***", "malformed-signature"),
        ("webhook-signature", "garbage", "malformed-signature"),
        ("webhook-timestamp", "soon", "malformed-signature"),
        ("webhook-timestamp", "", "missing-timestamp"),
        ("webhook-id", "", "missing-signature"),
    ],
)
def test_standard_webhooks_malformed_headers(header: str, value: str, cause: str) -> None:
    case = CASES["standard-webhooks"]
    signed = case.sign(WHSEC_CURRENT, TS)
    assert verify(case, replace(signed, headers={**signed.headers, header: value})).cause == cause


def test_standard_webhooks_secret_without_prefix_is_the_same_key() -> None:
    case = CASES["standard-webhooks"]
    bare = WHSEC_CURRENT.removeprefix("whsec_")
    result = verify_delivery(case.spec, profile(bare, WHSEC_PREVIOUS), case.sign(WHSEC_CURRENT, TS), NOW)
    assert result.key_id == "current"


def test_standard_webhooks_agrees_with_the_vendor_library() -> None:
    now = int(time.time())
    headers = standard_webhooks_headers(WHSEC_PREVIOUS, "msg_live", now, BODY)
    assert standardwebhooks.Webhook(WHSEC_PREVIOUS).verify(BODY, headers) == json.loads(BODY)
    result = verify(CASES["standard-webhooks"], request(BODY, headers), datetime.now(UTC))
    assert (result.ok, result.key_id, result.delivery_id) == (True, "previous", "msg_live")
    tampered = BODY.replace(b"10000.00", b"99000.00")
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(WHSEC_PREVIOUS).verify(tampered, headers)
    assert verify(CASES["standard-webhooks"], request(tampered, headers), datetime.now(UTC)).cause == (
        "invalid-signature"
    )


# --- stripe ----------------------------------------------------------------------------------------------------


def test_stripe_signer_is_accepted_by_stripes_own_verifier() -> None:
    now = int(time.time())
    header = stripe_signature_header(CURRENT, BODY, now)
    assert stripe.WebhookSignature.verify_header(BODY, header, CURRENT, 300) is True
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY, header, WRONG, 300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY + b" ", header, CURRENT, 300)
    stale = stripe_signature_header(CURRENT, BODY, now - 301)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY, stale, CURRENT, 300)


def test_stripes_own_signature_header_is_accepted() -> None:
    header = stripe.WebhookSignature.generate_signature_header(BODY.decode(), PREVIOUS, timestamp=TS)
    assert header == stripe_signature_header(PREVIOUS, BODY, TS)
    assert verify(CASES["stripe"], request(BODY, {"stripe-signature": header})).key_id == "previous"


def test_stripe_delivery_id_is_the_event_id() -> None:
    case = CASES["stripe"]
    assert verify(case, case.sign(CURRENT, TS)).delivery_id == "evt_1"
    body = b'{"id": 42}'
    no_string_id = request(body, {"Stripe-Signature": stripe_signature_header(CURRENT, body, TS)})
    assert verify(case, no_string_id) == VerificationResult(ok=True, key_id="current")


def test_stripe_any_v1_may_match_and_hex_case_does_not_matter() -> None:
    case = CASES["stripe"]
    right = stripe_signature_header(PREVIOUS, BODY, TS).split(",v1=")[1]
    wrong = stripe_signature_header(WRONG, BODY, TS).split(",v1=")[1]
    header = f"t={TS},v1={wrong},v1={right.upper()},v0={wrong}"
    assert verify(case, request(BODY, {"Stripe-Signature": header})).key_id == "previous"
    repeated_t = f"t={TS},v1={right},t={TS + 1}"  # the first t is the signed one, as in Stripe's parser
    assert verify(case, request(BODY, {"Stripe-Signature": repeated_t})).key_id == "previous"


@pytest.mark.parametrize(
    ("header", "cause"),
    [
        ("v1=" + "ab" * 32, "missing-timestamp"),
        ("t=soon,v1=" + "ab" * 32, "malformed-signature"),
        (f"t={TS}", "malformed-signature"),
        (f"t={TS},v1=zz", "malformed-signature"),
        ("garbage", "missing-timestamp"),
    ],
)
def test_stripe_malformed_headers(header: str, cause: str) -> None:
    assert verify(CASES["stripe"], request(BODY, {"Stripe-Signature": header})).cause == cause


def test_stripe_v0_signature_alone_is_not_enough() -> None:
    v0 = stripe_signature_header(CURRENT, BODY, TS).replace("v1=", "v0=")
    assert verify(CASES["stripe"], request(BODY, {"Stripe-Signature": v0})).cause == "malformed-signature"


# --- midtrans --------------------------------------------------------------------------------------------------


def test_midtrans_signature_key_vector() -> None:
    # Midtrans' documented recipe, SHA512(order_id + status_code + gross_amount + ServerKey), over values shaped like
    # their docs' sample. No published digest is vendored here: this one was computed independently with hashlib
    # and is pinned so a change to the signer (separator, encoding, field order) cannot pass unnoticed.
    assert midtrans_signature_key(
        "Postman-1578568851", "200", "10000.00", "askvnoibnosifnboseofinbofinfgbiufglnbfg"
    ) == (
        "6c0f5791b2a167c38d3810c2c0c90e512d1134564d04433c07401cec6741738c"
        "63a6d9bff571042799c0aa6873691abd3b573dc7505cb56c41fe8e938a1e272d"
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [("settlement", "200"), ("capture", "200"), ("pending", "201"), ("deny", "202"), ("expire", "202")],
)
def test_midtrans_notification_is_realistic_and_verifies(status: str, code: str) -> None:
    body = midtrans_notification("order-9", status, gross_amount="25000.00", server_key=CURRENT, payment_type="qris")
    assert body["status_code"] == code
    assert body["currency"] == "IDR"
    assert body["payment_type"] == "qris"
    assert {"transaction_time", "transaction_id", "status_message", "merchant_id", "fraud_status"} <= body.keys()
    assert body["signature_key"] == midtrans_signature_key("order-9", code, "25000.00", CURRENT)
    assert verify(CASES["midtrans"], request(json.dumps(body).encode())).key_id == "current"


def test_midtrans_numbers_are_signed_as_they_appear_in_the_body() -> None:
    signature = midtrans_signature_key("order-1", "200", "10000.00", CURRENT)
    body = f'{{"order_id":"order-1","status_code":200,"gross_amount":10000.00,"signature_key":"{signature}"}}'
    assert verify(CASES["midtrans"], request(body.encode())).key_id == "current"


def test_midtrans_uppercase_signature_and_form_payload_are_accepted() -> None:
    fields = midtrans_notification("order-1", "settlement", server_key=CURRENT)
    fields["signature_key"] = fields["signature_key"].upper()
    form = SignedRequest(body=b"order_id=order-1&...", headers={}, payload=fields)
    assert verify(CASES["midtrans"], form).key_id == "current"


def test_midtrans_unsigned_fields_are_not_covered() -> None:
    # Midtrans signs only order_id, status_code and gross_amount: journeys must not trust transaction_status
    # from the notification alone for anything the status code does not pin down.
    fields = midtrans_notification("order-1", "settlement", server_key=CURRENT)
    fields["transaction_status"] = "refund"
    assert verify(CASES["midtrans"], request(json.dumps(fields).encode())).ok
    fields["status_code"] = "201"
    assert verify(CASES["midtrans"], request(json.dumps(fields).encode())).cause == "invalid-signature"


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        ({"signature_key": "not-hex"}, "malformed-signature"),
        ({"order_id": None}, "malformed-signature"),
        ({"gross_amount": True}, "malformed-signature"),
        ({"signature_key": ""}, "missing-signature"),
    ],
)
def test_midtrans_malformed_bodies(change: dict[str, Any], cause: str) -> None:
    fields = {**midtrans_notification("order-1", "settlement", server_key=CURRENT), **change}
    assert verify(CASES["midtrans"], request(json.dumps(fields).encode())).cause == cause


def test_midtrans_unparseable_body_is_missing_signature() -> None:
    assert verify(CASES["midtrans"], request(b"not json")).cause == "missing-signature"
    assert verify(CASES["midtrans"], request(b'["a list"]')).cause == "missing-signature"


# --- generic hmac ----------------------------------------------------------------------------------------------


def test_hub_signature_matches_githubs_documented_vector() -> None:
    assert hub_signature("It's a Secret to Everybody", b"Hello, World!", "sha256") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )
    assert hub_signature(CURRENT, BODY).startswith("sha1=")


def test_hmac_hex_is_case_insensitive_but_the_prefix_is_required() -> None:
    case = CASES["hmac-hub-sha1"]
    hexdigest = hub_signature(CURRENT, BODY).removeprefix("sha1=")
    assert verify(case, request(BODY, {"X-Hub-Signature": "sha1=" + hexdigest.upper()})).ok
    assert verify(case, request(BODY, {"X-Hub-Signature": hexdigest})).cause == "malformed-signature"
    assert verify(case, request(BODY, {"X-Hub-Signature": "sha1=xyz"})).cause == "malformed-signature"


def test_razorpay_signature_is_hex_hmac_sha256_of_the_body() -> None:
    assert razorpay_signature(CURRENT, BODY) == hmac.new(CURRENT.encode(), BODY, hashlib.sha256).hexdigest()


def test_hmac_base64_rejects_garbage() -> None:
    case = CASES["hmac-timestamped"]
    signed = case.sign(CURRENT, TS)
    garbage = {**signed.headers, "X-Signature": "!!!not base64!!!"}
    assert verify(case, replace(signed, headers=garbage)).cause == "malformed-signature"


def test_hmac_timestamp_header_is_required_and_signed() -> None:
    case = CASES["hmac-timestamped"]
    signed = case.sign(CURRENT, TS)
    without = {name: value for name, value in signed.headers.items() if name != "X-Timestamp"}
    assert verify(case, replace(signed, headers=without)).cause == "missing-timestamp"
    shifted = {**signed.headers, "X-Timestamp": str(TS + 1)}
    assert verify(case, replace(signed, headers=shifted)).cause == "invalid-signature"
    malformed = {**signed.headers, "X-Timestamp": "yesterday"}
    assert verify(case, replace(signed, headers=malformed)).cause == "malformed-signature"


def test_hmac_template_with_a_missing_header_is_missing_signature() -> None:
    spec = VerifySpec("hmac", "p", header="X-Sig", signed_content="{header:X-Request-Id}:{body}")
    signature = hmac.new(CURRENT.encode(), b"req-1:" + BODY, hashlib.sha256).hexdigest()
    keys = profile(CURRENT, PREVIOUS)
    assert verify_delivery(spec, keys, request(BODY, {"X-Sig": signature, "x-request-id": "req-1"}), NOW).ok
    assert verify_delivery(spec, keys, request(BODY, {"X-Sig": signature}), NOW).cause == "missing-signature"


def test_naive_now_is_taken_as_utc() -> None:
    case = CASES["stripe"]
    assert verify(case, case.sign(CURRENT, TS), NOW.replace(tzinfo=None)).ok
    assert verify(case, case.sign(CURRENT, TS), NOW.replace(tzinfo=None) + timedelta(seconds=301)).cause == (
        "stale-timestamp"
    )


def test_when_several_keys_match_the_first_configured_id_is_reported() -> None:
    keys = parse_profiles({"p": [{"id": "a", "secret": CURRENT}, {"id": "b", "secret": CURRENT}]})["p"]
    signed = CASES["stripe"].sign(CURRENT, TS)
    assert verify_delivery(CASES["stripe"].spec, keys, signed, NOW).key_id == "a"
