"""Names shared by a journey's OpenAPI and Arazzo documents.

Arazzo steps call OpenAPI operations by operationId, so both exports must derive the ids the same way:
`<camelName>_start`, `<camelName>_getStatus`, `<camelName>_getResult`, `<camelName>_<stepId>`.
"""

from __future__ import annotations

import re

_WORD_SEPARATOR = re.compile(r"[-_\s]+")


def camel_name(name: str) -> str:
    """`payment-callback` -> `paymentCallback`: the prefix of a journey's operationIds and source name."""
    first, *rest = _WORD_SEPARATOR.split(name.strip())
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def schema_name(*parts: str) -> str:
    """`schema_name("payment-callback", "waitForCallback", "Request")` -> `PaymentCallbackWaitForCallbackRequest`."""
    return "".join(word[:1].upper() + word[1:] for word in map(camel_name, parts))


def operation_id(journey_name: str, action: str) -> str:
    """The operationId of `action` (`start`, `getStatus`, `getResult`, `cancel`, `getHistory` or a step id)."""
    return f"{camel_name(journey_name)}_{action}"


def input_name(parameter_name: str) -> str:
    """A workflow input name for a header or query parameter: `X-Webhook-Secret` -> `webhookSecret`."""
    words = [word for word in _WORD_SEPARATOR.split(parameter_name) if word]
    if len(words) > 1 and words[0].lower() == "x":
        words = words[1:]
    return words[0].lower() + "".join(word[:1].upper() + word[1:].lower() for word in words[1:])
