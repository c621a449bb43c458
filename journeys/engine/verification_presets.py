"""The signed presets of inbound verification: Standard Webhooks, Stripe, Midtrans and generic HMAC.

Each function reproduces the sender's own signing over the raw request bytes, then checks the presented
signature against every configured secret through `verification.match_any` (constant time, no early exit).
Signatures are compared as decoded bytes, which makes hex comparisons case-insensitive for free. On a
timestamped scheme the signature is checked before the timestamp, as Stripe's own verifier does, so a stale
delivery that is genuinely signed (a replay, or a skewed clock) is told apart from a forgery.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from journeys.definitions.inbound_model import HMAC_ALGORITHMS, SIGNATURE_ENCODINGS, VerifySpec
from journeys.engine.api_keys import ApiKey, ApiKeyProfile
from journeys.engine.errors import EngineConfigurationError
from journeys.engine.verification import (
    INVALID_SIGNATURE,
    MALFORMED_SIGNATURE,
    MISSING_SIGNATURE,
    MISSING_TIMESTAMP,
    STALE_TIMESTAMP,
    SignedRequest,
    VerificationResult,
    header_value,
    match_any,
    rejected,
    text_bytes,
    utc_seconds,
)

WHSEC_PREFIX = b"whsec_"
MIDTRANS_SIGNED_FIELDS = ("order_id", "status_code", "gross_amount")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
_INTEGER_TIME = re.compile(r"[0-9]{1,20}")
_DECIMAL_TIME = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,9})?")
_PLACEHOLDER = re.compile(r"\{body\}|\{header:([^{}]+)\}")


def _from_hex(value: str) -> bytes | None:
    return bytes.fromhex(value) if _HEX.fullmatch(value) else None


def _from_base64(value: str) -> bytes | None:
    """Strict standard-alphabet base64; missing padding is tolerated since some senders strip it."""
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _unix_time(value: str, *, fractional: bool) -> float | None:
    pattern = _DECIMAL_TIME if fractional else _INTEGER_TIME
    return float(value) if pattern.fullmatch(value) else None


def _is_stale(spec: VerifySpec, timestamp: float, now: datetime) -> bool:
    """Too old is a replay; too new means the sender's clock (or a forger) is ahead: both are refused."""
    return abs(utc_seconds(now) - timestamp) > spec.tolerance_sec


def _whsec_key(profile: ApiKeyProfile, key: ApiKey) -> bytes:
    """The HMAC key of a Standard Webhooks secret, decoded as the `standardwebhooks` library does."""
    raw = key.secret.removeprefix(WHSEC_PREFIX)
    try:
        decoded = base64.b64decode(raw + b"==")  # lenient like the library: unpadded secrets are common
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded:
        raise EngineConfigurationError(
            f"inbound secrets profile '{profile.name}': key '{key.key_id}' is not a base64 (whsec_) secret"
        )
    return decoded


def verify_standard_webhooks(
    spec: VerifySpec, profile: ApiKeyProfile, request: SignedRequest, now: datetime
) -> VerificationResult:
    """`webhook-signature: v1,<base64> [v1,<base64> ...]` over `{webhook-id}.{webhook-timestamp}.{body}`."""
    keys = {key.key_id: _whsec_key(profile, key) for key in profile.keys}
    msg_id = header_value(request.headers, "webhook-id")
    signature = header_value(request.headers, "webhook-signature")
    timestamp_text = header_value(request.headers, "webhook-timestamp")
    if not signature or not msg_id:  # the id is part of the signed content
        return rejected(MISSING_SIGNATURE)
    if not timestamp_text:
        return rejected(MISSING_TIMESTAMP)
    timestamp = _unix_time(timestamp_text, fractional=False)
    presented: list[bytes] = []
    for entry in signature.split():
        version, comma, value = entry.partition(",")
        decoded = _from_base64(value) if comma and version == "v1" else None
        if decoded is not None:  # other versions (v1a, ...) are someone else's business
            presented.append(decoded)
    if timestamp is None or not presented:
        return rejected(MALFORMED_SIGNATURE)
    content = text_bytes(f"{msg_id}.{timestamp_text}.") + request.body
    key_id = match_any(
        profile.keys, lambda key: hmac.new(keys[key.key_id], content, hashlib.sha256).digest(), presented
    )
    if key_id is None:
        return rejected(INVALID_SIGNATURE)
    if _is_stale(spec, timestamp, now):
        return rejected(STALE_TIMESTAMP)
    return VerificationResult(ok=True, key_id=key_id, delivery_id=msg_id)


def verify_stripe(
    spec: VerifySpec, profile: ApiKeyProfile, request: SignedRequest, now: datetime
) -> VerificationResult:
    """`Stripe-Signature: t=<ts>,v1=<hex>[,v1=...][,v0=...]`; HMAC-SHA256 over `{t}.{body}`, any v1 may match.

    Stripe's own verifier only refuses old timestamps; this one refuses future ones too, like every other
    timestamped preset, since a delivery dated ahead of our clock is as suspect as a replay.
    """
    header = header_value(request.headers, "Stripe-Signature")
    if not header:
        return rejected(MISSING_SIGNATURE)
    timestamp_text: str | None = None
    presented: list[bytes] = []
    for item in header.split(","):
        name, equals, value = item.strip().partition("=")
        if equals and name == "t" and timestamp_text is None:  # the first t wins, as in Stripe's library
            timestamp_text = value
        elif equals and name == "v1" and (decoded := _from_hex(value)) is not None:
            presented.append(decoded)
    if not timestamp_text:
        return rejected(MISSING_TIMESTAMP)
    timestamp = _unix_time(timestamp_text, fractional=False)
    if timestamp is None or not presented:
        return rejected(MALFORMED_SIGNATURE)
    content = timestamp_text.encode() + b"." + request.body
    key_id = match_any(profile.keys, lambda key: hmac.new(key.secret, content, hashlib.sha256).digest(), presented)
    if key_id is None:
        return rejected(INVALID_SIGNATURE)
    if _is_stale(spec, timestamp, now):
        return rejected(STALE_TIMESTAMP)
    payload = request.payload
    event_id = payload.get("id") if isinstance(payload, Mapping) else None
    return VerificationResult(ok=True, key_id=key_id, delivery_id=event_id if isinstance(event_id, str) else None)


def _midtrans_fields(request: SignedRequest) -> Mapping[str, Any] | None:
    """The body's fields with numbers kept as the exact text of the body.

    Midtrans signs the strings it sent (`"10000.00"`); a number parsed to a float would come back as `10000.0`
    and never match, so the raw body is re-read with numbers left as text. A body that is not a JSON object
    (a form post) falls back to the parsed payload.
    """
    try:
        parsed = json.loads(request.body, parse_int=str, parse_float=str, parse_constant=str)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    return request.payload if isinstance(request.payload, Mapping) else None


def _field_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    return None


def verify_midtrans(
    spec: VerifySpec, profile: ApiKeyProfile, request: SignedRequest, now: datetime
) -> VerificationResult:
    """Body field `signature_key` = SHA-512 hex of `order_id + status_code + gross_amount + serverKey`.

    Midtrans has no delivery id of its own: `transaction_id` is shared by every status notification of a
    payment, so deduplication must come from the source's `delivery_id` expression or the body hash.
    """
    fields = _midtrans_fields(request)
    if fields is None or not fields.get("signature_key"):
        return rejected(MISSING_SIGNATURE)
    texts = [_field_text(fields.get(name)) for name in MIDTRANS_SIGNED_FIELDS]
    signature_text = _field_text(fields.get("signature_key"))
    presented = _from_hex(signature_text) if signature_text is not None else None
    if presented is None or any(text is None for text in texts):
        return rejected(MALFORMED_SIGNATURE)
    message = text_bytes("".join(text for text in texts if text is not None))
    key_id = match_any(profile.keys, lambda key: hashlib.sha512(message + key.secret).digest(), (presented,))
    if key_id is None:
        return rejected(INVALID_SIGNATURE)
    return VerificationResult(ok=True, key_id=key_id)


def _signed_content(template: str | None, request: SignedRequest) -> bytes | None:
    """The raw body, or the template with `{body}` and `{header:Name}` filled in; None if a header is absent."""
    if template is None:
        return request.body
    parts: list[bytes] = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(template):
        parts.append(template[position : placeholder.start()].encode())
        position = placeholder.end()
        if placeholder.group(1) is None:
            parts.append(request.body)
            continue
        value = header_value(request.headers, placeholder.group(1).strip())
        if value is None:
            return None
        parts.append(text_bytes(value))
    parts.append(template[position:].encode())
    return b"".join(parts)


def verify_hmac(spec: VerifySpec, profile: ApiKeyProfile, request: SignedRequest, now: datetime) -> VerificationResult:
    """`header` = `prefix` + hex/base64 of HMAC-`algorithm` over the body or the `signed_content` template."""
    if not spec.header:
        raise EngineConfigurationError(f"inbound preset 'hmac' needs a header name (secrets '{spec.secrets}')")
    if spec.algorithm not in HMAC_ALGORITHMS or spec.encoding not in SIGNATURE_ENCODINGS:
        raise EngineConfigurationError(
            f"inbound preset 'hmac' has an unsupported algorithm or encoding (secrets '{spec.secrets}')"
        )
    header = header_value(request.headers, spec.header)
    if not header:
        return rejected(MISSING_SIGNATURE)
    timestamp: float | None = None
    if spec.timestamp_header:
        timestamp_text = header_value(request.headers, spec.timestamp_header)
        if not timestamp_text:
            return rejected(MISSING_TIMESTAMP)
        timestamp = _unix_time(timestamp_text, fractional=True)
        if timestamp is None:
            return rejected(MALFORMED_SIGNATURE)
    content = _signed_content(spec.signed_content, request)
    if content is None:
        return rejected(MISSING_SIGNATURE)
    if not header.startswith(spec.prefix):
        return rejected(MALFORMED_SIGNATURE)
    encoded = header[len(spec.prefix) :]
    presented = _from_hex(encoded) if spec.encoding == "hex" else _from_base64(encoded)
    if presented is None:
        return rejected(MALFORMED_SIGNATURE)
    algorithm = spec.algorithm
    key_id = match_any(profile.keys, lambda key: hmac.new(key.secret, content, algorithm).digest(), (presented,))
    if key_id is None:
        return rejected(INVALID_SIGNATURE)
    if timestamp is not None and _is_stale(spec, timestamp, now):
        return rejected(STALE_TIMESTAMP)
    return VerificationResult(ok=True, key_id=key_id)
