"""Signature verification presets for inbound webhook deliveries (`POST /api/v1/inbound/{source}`).

Each preset reproduces one gateway's signing scheme over the raw request bytes, never over a re-serialised
body, because a gateway signs exactly what it sent. All comparisons go through `hmac.compare_digest` and every
configured secret of the profile is tried without an early exit (as `match_key` does), so timing reveals
neither which secret matched nor how close a forgery came, and a secret can be rotated by configuring the new
and the old one side by side. A verdict carries only a short cause slug and the matching key's id: secrets
and presented signature values never appear in results or exception messages.

The presets that need more parsing (Standard Webhooks, Stripe, Midtrans, generic HMAC) live in
`verification_presets`; this module holds the public types, the header lookup and the dispatch.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from journeys.definitions.inbound_model import VerifySpec
from journeys.engine.api_keys import ApiKey, ApiKeyProfile, text_bytes
from journeys.engine.errors import EngineConfigurationError

DEFAULT_SHARED_SECRET_HEADER = "X-Webhook-Secret"

MISSING_SIGNATURE = "missing-signature"
MALFORMED_SIGNATURE = "malformed-signature"
INVALID_SIGNATURE = "invalid-signature"
MISSING_TIMESTAMP = "missing-timestamp"
STALE_TIMESTAMP = "stale-timestamp"


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a preset needs from an inbound HTTP request.

    `body` is the raw request bytes: signatures are checked on these. `headers` may be an aiohttp
    `CIMultiDictProxy` or a plain dict; lookups are case-insensitive either way. `payload` is the parsed body
    (a dict for JSON/form bodies, a str for text, None when unparseable); presets that sign body fields
    (Midtrans) or take their delivery id from the body (Stripe) read it.
    """

    body: bytes
    headers: Mapping[str, str]
    payload: Any


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The verdict on one delivery.

    `cause` is a slug when not ok (missing-signature, malformed-signature, invalid-signature, missing-timestamp,
    stale-timestamp): enough for the inbound log to tell a misconfigured sender from a forgery or a replay,
    without echoing anything the sender presented. `key_id` names the configured secret that matched, so an
    operator can see when the previous secret is no longer used and retire it. `delivery_id` is the preset's
    own delivery id (Standard Webhooks `webhook-id`, Stripe's event `id`), set only on a verified delivery
    because an unauthenticated id must not be trusted for deduplication.
    """

    ok: bool
    cause: str | None = None
    key_id: str | None = None
    delivery_id: str | None = None


def rejected(cause: str) -> VerificationResult:
    """A failed verdict; the cause slug is the only detail given."""
    return VerificationResult(ok=False, cause=cause)


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """Look a header up case-insensitively, whether `headers` is a case-insensitive multidict or a plain dict."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, candidate in headers.items():
        if key.lower() == wanted:
            return candidate
    return None


def match_any(keys: Iterable[ApiKey], expected: Callable[[ApiKey], bytes], presented: Iterable[bytes]) -> str | None:
    """The id of the first key whose expected value equals any presented value, or None.

    Every (key, presented) pair is compared, with no early exit, so the time taken depends only on how many
    secrets are configured and how many values were presented, not on which (if any) matched.
    """
    candidates = tuple(presented)
    matched: str | None = None
    for key in keys:
        value = expected(key)
        for candidate in candidates:
            if hmac.compare_digest(value, candidate) and matched is None:
                matched = key.key_id
    return matched


def utc_seconds(now: datetime) -> float:
    """`now` as a Unix time; a naive datetime is taken as UTC rather than the host's local time."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.timestamp()


def _verify_header_secret(
    spec: VerifySpec, profile: ApiKeyProfile, request: SignedRequest, now: datetime, *, default: str | None
) -> VerificationResult:
    """`shared-secret` / `token`: a header carries one of the secrets itself."""
    name = spec.header or default
    if not name:
        raise EngineConfigurationError(f"inbound preset '{spec.preset}' needs a header name (secrets '{spec.secrets}')")
    presented = header_value(request.headers, name)
    if not presented:
        return rejected(MISSING_SIGNATURE)
    key_id = match_any(profile.keys, lambda key: key.secret, (text_bytes(presented),))
    if key_id is None:
        return rejected(INVALID_SIGNATURE)
    return VerificationResult(ok=True, key_id=key_id)


def _verify_shared_secret(
    spec: VerifySpec, profile: ApiKeyProfile, request: SignedRequest, now: datetime
) -> VerificationResult:
    return _verify_header_secret(spec, profile, request, now, default=DEFAULT_SHARED_SECRET_HEADER)


def _verify_token(
    spec: VerifySpec, profile: ApiKeyProfile, request: SignedRequest, now: datetime
) -> VerificationResult:
    return _verify_header_secret(spec, profile, request, now, default=None)


Verifier = Callable[[VerifySpec, ApiKeyProfile, SignedRequest, datetime], VerificationResult]


@cache
def _verifiers() -> dict[str, Verifier]:
    # Imported on first use: the presets module builds on the types and helpers above.
    from journeys.engine import verification_presets as presets

    return {
        "shared-secret": _verify_shared_secret,
        "token": _verify_token,
        "standard-webhooks": presets.verify_standard_webhooks,
        "stripe": presets.verify_stripe,
        "midtrans": presets.verify_midtrans,
        "hmac": presets.verify_hmac,
    }


@cache
def proof_headers(spec: VerifySpec) -> frozenset[str]:
    """The (lower-cased) headers that carry a preset's proof: for some presets the secret itself, so they are
    kept out of what a source's expressions can read."""
    names = {
        "shared-secret": (spec.header or DEFAULT_SHARED_SECRET_HEADER,),
        "token": (spec.header or "",),
        "standard-webhooks": ("webhook-signature",),
        "stripe": ("stripe-signature",),
        "hmac": (spec.header or "",),
    }.get(spec.preset, ())
    return frozenset(name.lower() for name in names if name)


def verify_delivery(
    spec: VerifySpec, profile: ApiKeyProfile | None, request: SignedRequest, now: datetime
) -> VerificationResult:
    """Check one delivery against its source's preset and the secrets of `spec.secrets`.

    Fails closed: a missing or empty secrets profile (or a preset the engine does not know) raises
    `EngineConfigurationError` instead of letting deliveries through unverified. The message names the profile,
    never a secret. `now` is the server's clock, injected so timestamp tolerance is testable.
    """
    if profile is None:
        raise EngineConfigurationError(f"inbound secrets profile '{spec.secrets}' is not configured")
    if not profile.keys:
        raise EngineConfigurationError(f"inbound secrets profile '{spec.secrets}' has no secrets configured")
    verifier = _verifiers().get(spec.preset)
    if verifier is None:
        raise EngineConfigurationError(
            f"unknown verification preset '{spec.preset}' (secrets profile '{spec.secrets}')"
        )
    return verifier(spec, profile, request, now)
