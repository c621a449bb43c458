"""Standard Webhooks signatures of result pushes, from the sender's side.

Every push carries `webhook-id` (the same on every attempt, so a receiver can drop repeats), `webhook-timestamp`
(Unix seconds when the attempt is sent: receivers refuse one far from their own clock, so it is the wall clock,
never the engine's adjustable one) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one
`v1,` entry per configured secret, so a receiver keeps verifying while the secret is rotated. Secrets are written
`whsec_<base64>` as Standard Webhooks does; the HMAC key is the decoded base64 part.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

WHSEC_PREFIX = "whsec_"
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64
GENERATE = "python -c \"import base64,os; print('whsec_' + base64.b64encode(os.urandom(32)).decode())\""


def signing_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret; ValueError (never quoting the secret) when it is not one."""
    if not secret.startswith(WHSEC_PREFIX):
        raise ValueError(f"a result push secret must be written whsec_<base64>; make one with: {GENERATE}")
    try:
        key = base64.b64decode(secret.removeprefix(WHSEC_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the part of a result push secret after whsec_ is not valid base64") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(
            f"a result push secret must decode to {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes (got {len(key)});"
            f" make one with: {GENERATE}"
        )
    return key


def signed_headers(keys: Sequence[bytes], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt to send `body`, signed with every key of `keys`."""
    content = f"{message_id}.{timestamp}.".encode() + body
    signatures = " ".join(
        "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode() for key in keys
    )
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}
