"""What an inbound delivery is to the engine: raw bytes, headers, the parsed body, the answer it was given.

Bodies are parsed by media type so gateways can post as they do: JSON (`application/json`, `*+json`, or no
type), `application/x-www-form-urlencoded` (an object; a repeated key becomes a list) and `text/plain` (a
string). Signatures are always checked on the raw bytes, never on a re-serialised body.

A JSON body may nest at most MAX_BODY_DEPTH arrays/objects: the body ends up inside a journey's context and a
delivery's stored copy, and orjson cannot serialise documents nested deeper than 254, so a deeper body would
only fail at commit. It is refused up front instead (400), before anything is stored.

Header values reach us decoded as UTF-8 with `surrogateescape` (a non-UTF-8 byte becomes a lone surrogate,
which neither the database drivers nor orjson accept), so every value taken from a header is made safe first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson

from journeys.engine.errors import InvalidBody

FORM = "application/x-www-form-urlencoded"
TEXT = "text/plain"
REDACTED = "[REDACTED]"
COLUMN_WIDTH = 200  # of the short text columns a delivery fills (correlation key, step, ids, content type)
MAX_BODY_DEPTH = 64
"""How deeply a JSON request body may nest arrays and objects (documented in docs/api.md)."""


class BodyTooDeep(InvalidBody):
    """A JSON body nests arrays/objects deeper than MAX_BODY_DEPTH: refused before anything is stored."""

    def __init__(self) -> None:
        super().__init__(f"the JSON body nests arrays and objects more than {MAX_BODY_DEPTH} levels deep")


def nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` nests arrays/objects more than `limit` levels deep (`[]` is one level, a scalar none).

    Iterative (a recursive walk would itself hit Python's recursion limit) and it only visits containers.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def check_depth(value: Any) -> Any:
    """`value` unchanged, or BodyTooDeep when it nests containers more than MAX_BODY_DEPTH deep."""
    if nests_deeper_than(value, MAX_BODY_DEPTH):
        raise BodyTooDeep()
    return value


def parse_json(raw: bytes) -> Any:
    """A JSON body: InvalidBody when it is not JSON, BodyTooDeep when it nests too deeply."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if any(word in str(error).lower() for word in ("depth", "recursion")):  # orjson's own limit (1024)
            raise BodyTooDeep() from error
        raise InvalidBody(f"the request body is not valid JSON: {error}") from error
    # Each level of nesting takes at least two bytes: a short body cannot be too deep.
    return value if len(raw) <= 2 * MAX_BODY_DEPTH else check_depth(value)


def header_text(value: str) -> str:
    """A header value as text that can be stored and serialised: undecodable bytes become U+FFFD."""
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One HTTP delivery as the server received it; `media_type` is lower-case, without parameters."""

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    media_type: str = ""
    client_certificates: tuple[bytes, ...] = ()
    """The client certificate chain (DER) the server took from TLS or a trusted proxy; never stored."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The HTTP answer given to a request, as first rendered: stored with a delivery (or a start's idempotency
    key) so a retry of it gets the same one. `headers`: any beyond the content type (a start's `Location`)."""

    status: int
    content_type: str
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def stored(self) -> dict[str, Any]:
        stored: dict[str, Any] = {"status": self.status, "contentType": self.content_type, "body": self.body}
        if self.headers:
            stored["headers"] = dict(self.headers)
        return stored

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> Answer:
        headers = stored.get("headers") or {}
        return cls(int(stored["status"]), str(stored["contentType"]), str(stored["body"]), dict(headers))


def parse_body(message: InboundMessage) -> Any:
    """The body as a JSON value; InvalidBody (a 400 on a step URL) when it cannot be read as its type says."""
    raw = message.body
    if not raw:
        raise InvalidBody("the request body is empty; send a JSON, form-encoded or text/plain body")
    if message.media_type == FORM:
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError) as error:
            raise InvalidBody(f"the form-encoded body cannot be read: {error}") from error
        form: dict[str, Any] = {}
        for key, value in pairs:
            if key not in form:
                form[key] = value
            elif isinstance(form[key], list):
                form[key].append(value)
            else:
                form[key] = [form[key], value]
        return form
    if message.media_type == TEXT:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidBody("the text/plain body is not UTF-8") from error
    return parse_json(raw)


def body_digest(raw: bytes) -> str:
    """The dedupe key of a delivery that names none: a retry sends the same bytes."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def dedupe_key(scope: str, key: str) -> str:
    """A fixed-width unique key for (scope, key): keys come from senders and may be long or odd."""
    return hashlib.sha256(f"{scope}\x1f{key}".encode("utf-8", "surrogateescape")).hexdigest()


def redact(payload: Any, paths: tuple[str, ...]) -> Any:
    """`payload` with the value at each dotted path replaced by "[REDACTED]" (absent paths ignored).

    Only the objects along a redacted path are copied (the payload itself goes to the journey unchanged), so
    redacting a field of a large body costs a few dict copies, not a deep copy.
    """
    if not paths or not isinstance(payload, dict):
        return payload
    result = dict(payload)
    for path in paths:
        *parents, last = path.split(".")
        target: dict[str, Any] = result
        for part in parents:
            child = target.get(part)
            if not isinstance(child, dict):
                break
            target[part] = target = dict(child)
        else:
            if last in target:
                target[last] = REDACTED
    return result


def stored_body(payload: Any) -> str:
    return orjson.dumps(payload).decode()


def lower_headers(message: InboundMessage, leave_out: frozenset[str] = frozenset()) -> dict[str, str]:
    """Headers for correlation and delivery-id expressions (`context.headers`), names lower-cased."""
    lowered = ((name.lower(), header_text(value)) for name, value in message.headers.items())
    return {name: value for name, value in lowered if name not in leave_out}
