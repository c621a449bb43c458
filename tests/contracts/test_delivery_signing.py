"""The contract runner signs deliveries as gateways do: for every loaded source (each preset, with its settings),
a request signed by `delivery_signing` passes the engine's own verification, on the bytes that go on the wire,
and one signed with another secret or tampered with after signing does not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import requests

from journeys.contracts.delivery_signing import SigningError, sign_request
from journeys.contracts.inbound_contract import verification_of
from journeys.definitions import load_catalog
from journeys.definitions.inbound_model import InboundSource
from journeys.engine import parse_profiles
from journeys.engine.inbound_messages import InboundMessage, parse_body
from journeys.engine.verification import SignedRequest, VerificationResult, verify_delivery
from tests.support import INBOUND_SECRETS, SHIPPED_DEFINITIONS, TEST_DEFINITIONS

_, SOURCES = load_catalog([SHIPPED_DEFINITIONS, TEST_DEFINITIONS])
PROFILES = parse_profiles(INBOUND_SECRETS, "inboundSecrets")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# A body every source's preset can sign: Midtrans signs these three fields.
BODY = {"order_id": "order-9", "status_code": "200", "gross_amount": "10000.00", "orderId": "order-9"}


def _request(source: InboundSource, secret: str, media_type: str = "application/json") -> requests.PreparedRequest:
    data = BODY if media_type == "application/x-www-form-urlencoded" else orjson.dumps(BODY)
    request = requests.Request("POST", f"http://127.0.0.1/api/v1/inbound/{source.name}", data=data)
    request.headers["Content-Type"] = media_type
    prepared = request.prepare()
    sign_request(prepared, verification_of(source), secret, NOW.timestamp())
    return prepared


def _verify(source: InboundSource, request: requests.PreparedRequest) -> VerificationResult:
    body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
    media_type = str(request.headers["Content-Type"])
    payload = parse_body(InboundMessage(body, dict(request.headers), {}, media_type))
    signed = SignedRequest(body, dict(request.headers), payload)
    return verify_delivery(source.verify, PROFILES[source.verify.secrets], signed, NOW)


def _secret(source: InboundSource) -> str:
    return str(INBOUND_SECRETS[source.verify.secrets][0]["secret"])  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_signed_delivery_passes_the_sources_verification(name: str) -> None:
    source = SOURCES[name]
    result = _verify(source, _request(source, _secret(source)))
    assert (result.ok, result.cause, result.key_id) == (True, None, "current")


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_another_secret_or_other_bytes_fail_it(name: str) -> None:
    source = SOURCES[name]
    forged = _request(source, "not-the-secret" if source.verify.preset != "standard-webhooks" else "whsec_bm90LWl0")
    assert _verify(source, forged).ok is False
    if source.verify.preset in ("shared-secret", "token"):
        return  # the secret does not cover the body
    tampered = _request(source, _secret(source))
    body: dict[str, Any] = orjson.loads(tampered.body)  # type: ignore[arg-type]
    tampered.body = orjson.dumps({**body, "gross_amount": "1.00"})
    assert _verify(source, tampered).ok is False


def test_a_midtrans_form_post_is_signed_too() -> None:
    source = SOURCES["midtrans"]
    request = _request(source, _secret(source), "application/x-www-form-urlencoded")
    assert "signature_key=" in str(request.body)
    assert _verify(source, request).ok is True


def test_what_cannot_be_signed_says_why() -> None:
    request = requests.Request("POST", "http://127.0.0.1/", data=b'{"order_id": "o"}').prepare()
    with pytest.raises(SigningError, match="no status_code to sign"):
        sign_request(request, verification_of(SOURCES["midtrans"]), "secret", NOW.timestamp())
    with pytest.raises(SigningError, match="does not say how source 'lost' verifies"):
        sign_request(request, {"source": "lost"}, "secret", NOW.timestamp())
