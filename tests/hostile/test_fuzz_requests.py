"""A hostile client against every route: ids, query values, header values and bodies no honest client sends.

Each case changes one thing in an otherwise acceptable request (an operator's credential, a body the route takes)
and goes over a raw socket, byte for byte: invalid UTF-8, NUL characters, UTF-16 surrogates, CR/LF trying to
smuggle a header into the answer, bodies too large, too deep or in the wrong encoding. Every answer must be a
problem document below 500 or a documented success, and a refused request changes no journey (`fuzz_sweep.py`).
Runs on SQLite and PostgreSQL: PostgreSQL refuses NUL characters and invalid UTF-8 that SQLite stores.
"""

from __future__ import annotations

import gzip
from collections.abc import Awaitable, Callable
from datetime import datetime

from journeys.server.config import DEFAULT_MAX_BODY_BYTES
from journeys.server.query_params import encode_page_token
from tests.app_routes import Route
from tests.hostile.fuzz_sweep import (
    CREDENTIAL,
    JSON,
    Sweep,
    open_sweep,
    plain_request,
    refused,
    refused_with,
)
from tests.hostile.raw_http import Header, Reply, request_bytes
from tests.support import LiveServer

StartServer = Callable[..., Awaitable[LiveServer]]

# Path segments and query values as they are put on the wire (percent-encoded, or raw bytes).
HOSTILE_VALUES: dict[str, bytes] = {
    "NUL": b"%00",
    "NUL inside": b"pay-%00-1",
    "invalid UTF-8": b"%FF%FE",
    "overlong UTF-8": b"%C0%AF",
    "UTF-16 surrogate": b"%ED%A0%80",
    "raw non-ASCII byte": b"caf\xe9",
    "CR/LF injection": b"x%0D%0AX-Injected:%20yes",
    "path traversal": b"..%2F..%2F..%2Fetc%2Fpasswd",
    "long": b"j" * 4000,
}
# Page tokens as the API issues them, holding what a store cannot take.
HOSTILE_PAGE_TOKENS: dict[str, bytes] = {
    f"page token {label}": encode_page_token(datetime.fromisoformat(created), journey_id).encode()
    for label, created, journey_id in (
        ("with a NUL id", "2026-01-01T00:00:00+00:00", "\x00"),
        ("before year 1 in UTC", "0001-01-01T00:00:00+14:00", "j"),
        ("after year 9999 in UTC", "9999-12-31T23:59:00-14:00", "j"),
    )
}
# Header values: raw bytes a header may carry on the wire that are not UTF-8 text.
HOSTILE_HEADER_VALUES: dict[str, bytes] = {
    "invalid UTF-8": b"\xff\xfe",
    "Latin-1": b"caf\xe9",
    "long": b"k" * 4000,
}
# Bodies no route that takes one may accept (the others are JSON, or may be taken as JSON, that a route may take).
UNREADABLE_BODIES = {
    "invalid UTF-8 in a string",
    "raw NUL in a string",
    "lone UTF-16 surrogate",
    "a field nested 300 deep",
    "a body nested 100,000 deep",
    "over the body limit",
    "truncated JSON",
    "JSON null",
    "a JSON string",
    "empty",
    "gzip that is not gzip",
    "gzip bomb",
}
# Headers the server reads (besides the ones the published API documents per operation).
READ_HEADERS = ("Authorization", "Content-Type", "Content-Encoding", "Idempotency-Key")


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _gzip_bomb() -> bytes:
    """A small gzip body that inflates far beyond the body limit."""
    return gzip.compress(b"[" + b"0," * (DEFAULT_MAX_BODY_BYTES * 4) + b"0]", compresslevel=9)


def _with_field(body: bytes, raw_value: bytes) -> bytes:
    """The route's acceptable JSON body with one more field, written as raw bytes."""
    head = body[:-1] if body.endswith(b"}") else b"{"
    return head + (b"," if len(head) > 1 else b"") + b'"note":' + raw_value + b"}"


# Bodies: (raw body, content type override or None, extra headers). `{body}` is the route's acceptable body.
def _hostile_bodies(body: bytes) -> dict[str, tuple[bytes, bytes | None, list[Header]]]:
    return {
        "invalid UTF-8 in a string": (_with_field(body, b'"\xff\xfe"'), None, []),
        "raw NUL in a string": (_with_field(body, b'"a\x00b"'), None, []),
        "escaped NUL in a string": (_with_field(body, b'"a\\u0000b"'), None, []),
        "escaped NUL in a key": (_with_field(body, b'{"\\u0000": 1}'), None, []),
        "lone UTF-16 surrogate": (_with_field(body, b'"\\ud800"'), None, []),
        "a field nested 300 deep": (_with_field(body, _deep(300)), None, []),
        "a body nested 100,000 deep": (_deep(100_000), None, []),
        "a number too large for a float": (_with_field(body, b"1e400"), None, []),
        "an integer of 5,000 digits": (_with_field(body, b"9" * 5000), None, []),
        "over the body limit": (_with_field(body, b'"' + b"x" * DEFAULT_MAX_BODY_BYTES + b'"'), None, []),
        "UTF-8 byte order mark": (b"\xef\xbb\xbf" + body, None, []),
        "truncated JSON": (body[:-1] or b"{", None, []),
        "JSON null": (b"null", None, []),
        "a JSON string": (b'"start"', None, []),
        "empty": (b"", None, []),
        "text/plain": (body, b"text/plain", []),
        "form encoded": (body, b"application/x-www-form-urlencoded", []),
        "unknown charset": (body, b"application/json; charset=no-such-charset", []),
        "UTF-16 charset on UTF-8 bytes": (body, b"application/json; charset=utf-16", []),
        "gzip that is not gzip": (body, None, [(b"Content-Encoding", b"gzip")]),
        "gzip bomb": (_gzip_bomb(), None, [(b"Content-Encoding", b"gzip")]),
        "unknown content encoding": (body, None, [(b"Content-Encoding", b"x-unknown")]),
    }


def _headers(sweep: Sweep, route: Route) -> list[str]:
    """The headers the route's operation documents (a source's signature headers on its own route) and those the
    server reads on every request."""
    operation = sweep.operation(route) or {}
    documented = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"}
    return sorted(documented | set(READ_HEADERS))


# A query parameter no operation documents: every route must ignore it (or refuse it) whatever it holds.
UNDOCUMENTED_QUERY = "unknownFilter"


def _query_names(sweep: Sweep, route: Route) -> list[str]:
    """The query parameters the route's operation documents, each of which a store or parser may trip on, and one
    it does not document (routes read only their own: fuzzing every other name on every route added nothing but
    minutes)."""
    operation = sweep.operation(route) or {}
    documented = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    return sorted(documented | {UNDOCUMENTED_QUERY})


def _credential_refused(sweep: Sweep, route: Route, header: str) -> Callable[[Reply], str | None] | None:
    """A hostile value in the header that carries the request's credential cannot be that credential: 401."""
    if header == "Authorization" and sweep.needs_credential(route):
        return refused_with(401)
    if header == "X-Webhook-Secret" and route.template.endswith("/steps/{stepId}"):
        return refused_with(401)
    return None


async def test_hostile_path_segments_are_refused_with_problems(start_server: StartServer, database_url: str) -> None:
    sweep = await open_sweep(start_server, database_url)
    for route in sweep.routes:
        for name in route.parameters:
            for label, value in HOSTILE_VALUES.items():
                raw = plain_request(sweep, route, **{name: value})
                await sweep.send(f"{name} {label}", route, raw, expect=refused)
    sweep.verify()


async def test_hostile_query_values_are_refused_or_ignored(start_server: StartServer, database_url: str) -> None:
    sweep = await open_sweep(start_server, database_url)
    for route in (route for route in sweep.routes if route.method in ("GET", "HEAD")):
        target = sweep.target(route)
        for name in _query_names(sweep, route):
            values = HOSTILE_VALUES | (HOSTILE_PAGE_TOKENS if name == "pageToken" else {})
            for label, value in values.items():
                raw = request_bytes(route.method, target + b"?" + name.encode() + b"=" + value, headers=[CREDENTIAL])
                await sweep.send(f"query {name} {label}", route, raw)
    sweep.verify()


async def test_hostile_header_values_are_refused_or_ignored(start_server: StartServer, database_url: str) -> None:
    sweep = await open_sweep(start_server, database_url)
    for route in sweep.routes:
        for name in _headers(sweep, route):
            for label, value in HOSTILE_HEADER_VALUES.items():
                body, headers = sweep.body_of(route)
                headers = [header for header in [CREDENTIAL, *headers] if header[0].lower() != name.lower().encode()]
                if name == "Authorization":
                    value = b"Bearer " + value
                headers.append((name.encode(), value))
                raw = request_bytes(route.method, sweep.target(route), headers=headers, body=body)
                await sweep.send(f"header {name} {label}", route, raw, expect=_credential_refused(sweep, route, name))
    sweep.verify()


async def test_hostile_bodies_are_refused_with_problems(start_server: StartServer, database_url: str) -> None:
    sweep = await open_sweep(start_server, database_url)
    for route in (route for route in sweep.routes if route.reads_body):
        acceptable, headers = sweep.body_of(route)
        for label, (body, content_type, extra) in _hostile_bodies(acceptable).items():
            sent = [header for header in [CREDENTIAL, *headers] if content_type is None or header != JSON]
            if content_type is not None:
                sent.append((b"Content-Type", content_type))
            raw = request_bytes(route.method, sweep.target(route), headers=[*sent, *extra], body=body)
            expect = refused if label in UNREADABLE_BODIES and sweep.takes_body(route) else None
            await sweep.send(f"body {label}", route, raw, expect=expect)
    sweep.verify()
