"""The idempotency of starts, as OpenAPI: the `Idempotency-Key` parameter, or the key a journey derives from its
body, and the header that marks a replayed answer."""

from __future__ import annotations

from typing import Any

from journeys.definitions.model import JourneyDefinition

REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this start was a retry: the answer is the first start's, nothing was started.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def start_idempotency(definition: JourneyDefinition) -> tuple[dict[str, Any], str]:
    """The start's `Idempotency-Key` parameter, and what the operation's description says about retries."""
    parameter = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": (
            "Makes the start safe to retry: another start with this key (from the same client, within the "
            "server's idempotency window) and the same body gets the first start's answer and starts nothing; "
            "with a different body it is refused (422). 1 to 255 visible ASCII characters."
        ),
        # No space at either end: HTTP would strip it, and the key the server saw would differ from the one sent.
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"},
    }
    if definition.idempotency_key is None:
        return parameter, ""
    parameter["description"] = (
        f"Not used: this journey derives its idempotency key from the body (`{definition.idempotency_key.source}`)."
    )
    retries = (
        f" Idempotent on `{definition.idempotency_key.source}`: a start whose body gives a key an earlier start "
        "gave (within the window) gets that start's answer, or 422 if its body differs."
    )
    return parameter, retries
