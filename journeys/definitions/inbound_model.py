"""The compiled model of an inbound source: one fixed URL per gateway (`POST /api/v1/inbound/{source}`).

A source says how to verify a delivery (a preset over the raw request bytes, with secrets taken from the
server config by profile name), how to tell one delivery from a retry of it (the dedupe key), how to find
the journey it is for (a correlation expression matched against the key a waiting journey declared on its
webhook state), what to answer the sender, how long an early delivery waits in the inbox, and which body
fields are redacted in the inbound log. Like journeys, sources are validated and compiled once at load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from journeys.definitions.model import CompiledExpression

VerificationPreset = Literal["shared-secret", "token", "standard-webhooks", "stripe", "midtrans", "hmac"]
VERIFICATION_PRESETS: tuple[str, ...] = ("shared-secret", "token", "standard-webhooks", "stripe", "midtrans", "hmac")
HMAC_ALGORITHMS: tuple[str, ...] = ("sha1", "sha256", "sha512")
SIGNATURE_ENCODINGS: tuple[str, ...] = ("hex", "base64")
DEFAULT_TOLERANCE_SEC = 300
DEFAULT_INBOX_TTL_SEC = 86_400
SOURCE_SUFFIXES = (".source.yaml", ".source.yml")


@dataclass(frozen=True, slots=True)
class VerifySpec:
    """How a delivery proves it comes from the gateway; checked on the raw bytes, in constant time.

    - `shared-secret`: the header `header` (default `X-Webhook-Secret`) equals one of the secrets.
    - `token`: the same comparison on a header that must be named (Xendit's `x-callback-token`).
    - `standard-webhooks`: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` (several
      space-separated while a secret rotates); HMAC-SHA256 over `{id}.{timestamp}.{body}` keyed with the
      base64-decoded part of a `whsec_...` secret; the delivery id is `webhook-id`.
    - `stripe`: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=...]`; HMAC-SHA256 hex over `{t}.{body}` keyed with the
      endpoint secret as is; the delivery id is the event's `id`.
    - `midtrans`: body field `signature_key` = SHA-512 hex of `order_id + status_code + gross_amount + serverKey`
      (the exact strings of the body).
    - `hmac`: `header` holds `prefix` + the `encoding` of HMAC-`algorithm` over `signed_content` (default the
      body; a template with `{body}` and `{header:Name}` placeholders); with `timestamp_header` the named
      header must be a Unix time within the tolerance.

    `secrets` names a profile of `inboundSecrets` in the server config (several secrets per profile, for
    rotation). Timestamped schemes reject deliveries older or newer than `tolerance_sec`. A failed
    verification is answered `reject_status` (401, or 403 where a gateway expects it).
    """

    preset: VerificationPreset
    secrets: str
    header: str | None = None
    algorithm: str = "sha256"
    encoding: str = "hex"
    prefix: str = ""
    signed_content: str | None = None
    timestamp_header: str | None = None
    tolerance_sec: int = DEFAULT_TOLERANCE_SEC
    reject_status: int = 401


@dataclass(frozen=True, slots=True)
class AnswerSpec:
    """What a sender is answered for every 2xx verdict; None body means our default JSON receipt."""

    status: int = 200
    body: str | None = None
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class InboundSource:
    """A compiled `kind: InboundSource` document.

    `correlation` evaluates over the delivery (`payload` = the parsed body, `context.headers` = the request
    headers, lower-cased) to the key a journey waits with; `delivery_id`, when given, evaluates the same way to
    the dedupe key (otherwise the preset's delivery id, otherwise a SHA-256 of the raw body).
    """

    name: str
    source: Path
    verify: VerifySpec
    correlation: CompiledExpression
    delivery_id: CompiledExpression | None = None
    answer: AnswerSpec = AnswerSpec()
    inbox_ttl_sec: int = DEFAULT_INBOX_TTL_SEC
    redact: tuple[str, ...] = ()
    description: str | None = None
