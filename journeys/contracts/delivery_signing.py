"""Sign a delivery as a gateway would, so that contract workflows can submit to steps fed by inbound sources.

A workflow step submitting to such a step carries `x-journeys-verification` (see `arazzo_export`): the source's
preset and its settings, and the workflow input that holds the secret. arazzo-runner serialises the request
body itself and knows nothing of signatures; the contract runner therefore signs the request it is about to
send, on the exact bytes that go on the wire, at the time it is sent:

- `stripe`: `Stripe-Signature: t=<now>,v1=<hex HMAC-SHA256 of {t}.{body}>`;
- `standard-webhooks`: a fresh `webhook-id`, `webhook-timestamp: <now>` and `webhook-signature: v1,<base64>`
  keyed with the base64 part of the `whsec_` secret;
- `hmac`: the configured header, `prefix` + the hex/base64 HMAC over the body or the `signedContent` template,
  with the timestamp header set to now when the source reads one;
- `midtrans`: the body's `signature_key`, the hex SHA-512 of `order_id + status_code + gross_amount + secret`
  (the body is re-serialised with it);
- `shared-secret` and `token`: the secret itself in the source's header (an exported workflow also sends it
  as a header parameter, for runners that do not sign).

This mirrors `journeys.engine.verification_presets` from the sender's side: the two are tested against each
other through a live server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests

MIDTRANS_SIGNED_FIELDS = ("order_id", "status_code", "gross_amount")
_TEMPLATE = re.compile(r"\{body\}|\{header:([^{}]+)\}")
FORM = "application/x-www-form-urlencoded"


class SigningError(Exception):
    """The request cannot be signed as the source verifies (an unknown preset, a body without signed fields)."""


def sign_request(
    request: requests.PreparedRequest, verification: Mapping[str, Any], secret: str, now: float
) -> None:
    """Sign `request` in place for the source described by `verification`, at Unix time `now`."""
    preset = verification.get("preset")
    body = _body_bytes(request)
    if preset in ("shared-secret", "token"):
        request.headers[str(verification.get("header") or "X-Webhook-Secret")] = secret
    elif preset == "stripe":
        timestamp = str(int(now))
        signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        request.headers["Stripe-Signature"] = f"t={timestamp},v1={signature}"
    elif preset == "standard-webhooks":
        message_id = request.headers.get("webhook-id") or f"msg_{uuid.uuid4().hex}"
        timestamp = str(int(now))
        key = base64.b64decode(secret.removeprefix("whsec_") + "==")
        digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        request.headers["webhook-id"] = message_id
        request.headers["webhook-timestamp"] = timestamp
        request.headers["webhook-signature"] = "v1," + base64.b64encode(digest).decode()
    elif preset == "hmac":
        _sign_hmac(request, verification, secret, body, now)
    elif preset == "midtrans":
        _sign_midtrans(request, secret, body)
    else:
        raise SigningError(f"the document does not say how source '{verification.get('source')}' verifies deliveries")


def _body_bytes(request: requests.PreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    return body.encode() if isinstance(body, str) else bytes(body)  # type: ignore[arg-type]


def _sign_hmac(
    request: requests.PreparedRequest, verification: Mapping[str, Any], secret: str, body: bytes, now: float
) -> None:
    header = verification.get("header")
    algorithm = str(verification.get("algorithm", "sha256"))
    if not header or algorithm not in ("sha1", "sha256", "sha512"):
        raise SigningError(f"source '{verification.get('source')}' names no signature header or algorithm")
    timestamp_header = verification.get("timestampHeader")
    if timestamp_header and not request.headers.get(timestamp_header):
        request.headers[timestamp_header] = str(int(now))
    template = verification.get("signedContent")
    content = body if template is None else _signed_content(str(template), request, body)
    digest = hmac.new(secret.encode(), content, algorithm).digest()
    encoded = digest.hex() if verification.get("encoding", "hex") == "hex" else base64.b64encode(digest).decode()
    request.headers[header] = f"{verification.get('prefix', '')}{encoded}"


def _signed_content(template: str, request: requests.PreparedRequest, body: bytes) -> bytes:
    parts: list[bytes] = []
    position = 0
    for placeholder in _TEMPLATE.finditer(template):
        parts.append(template[position : placeholder.start()].encode())
        position = placeholder.end()
        if placeholder.group(1) is None:
            parts.append(body)
            continue
        value = request.headers.get(placeholder.group(1).strip())
        if value is None:
            raise SigningError(f"the signed content needs the header {placeholder.group(1).strip()}, which is not set")
        parts.append(value.encode())
    parts.append(template[position:].encode())
    return b"".join(parts)


def _sign_midtrans(request: requests.PreparedRequest, secret: str, body: bytes) -> None:
    form = FORM in str(request.headers.get("Content-Type", ""))
    try:
        fields: Any = dict(parse_qsl(body.decode(), keep_blank_values=True)) if form else json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise SigningError(f"a Midtrans notification must be a JSON object or a form: {error}") from error
    if not isinstance(fields, dict):
        raise SigningError("a Midtrans notification must be a JSON object or a form")
    texts = []
    for name in MIDTRANS_SIGNED_FIELDS:
        value = fields.get(name)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            signed = ", ".join(MIDTRANS_SIGNED_FIELDS)
            raise SigningError(f"the notification has no {name} to sign (Midtrans signs {signed})")
        texts.append(value if isinstance(value, str) else json.dumps(value))
    fields["signature_key"] = hashlib.sha512(("".join(texts) + secret).encode()).hexdigest()
    signed = urlencode(fields).encode() if form else json.dumps(fields).encode()
    request.body = signed
    request.headers["Content-Length"] = str(len(signed))
