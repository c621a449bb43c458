"""A hostile client against every route, at the level of HTTP itself: framing, header syntax and slowness.

What aiohttp's parser refuses before any handler runs (bare LF, obs-fold, lines over 8,190 bytes, too many
headers, NUL or CR inside a header, conflicting lengths that would let a request smuggle another) and clients
that send their body too slowly or never finish it. Each route gets every case, so a route served differently
(another handler, a streaming answer) cannot escape: the answer must be a problem document below 500 (or a
documented success where the request is valid HTTP after all), a CR cannot smuggle a header into the answer,
and no journey changes (`fuzz_sweep.py`). A body, a request line or headers that do not arrive within the body
timeout are answered 408 (a client trickling bytes cannot hold a connection either); an idle connection is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.app_routes import Route
from tests.hostile.fuzz_sweep import BODY_TIMEOUT_SECONDS, CREDENTIAL, INJECTED, Sweep, open_sweep
from tests.hostile.raw_http import Reply
from tests.support import LiveServer

StartServer = Callable[..., Awaitable[LiveServer]]
SLACK_SECONDS = 3.0  # how much later than the body timeout a slow client may be answered
TOO_LONG = 9000  # over aiohttp's 8,190-byte line limit


def _head(sweep: Sweep, route: Route, *, target: bytes | None = None) -> list[bytes]:
    """The route's request line and the headers every case keeps (credential and the body's own headers)."""
    _, headers = sweep.body_of(route)
    request_line = route.method.encode() + b" " + (target or sweep.target(route)) + b" HTTP/1.1"
    kept = [request_line, b"Host: 127.0.0.1", b"Connection: close"]
    return kept + [name + b": " + value for name, value in [CREDENTIAL, *headers]]


def _wire(lines: list[bytes], body: bytes = b"", *, eol: bytes = b"\r\n") -> bytes:
    return eol.join(lines) + eol + eol + body


def _length(body: bytes) -> bytes:
    return b"Content-Length: %d" % len(body)


def _cases(sweep: Sweep, route: Route) -> dict[str, bytes]:
    """Every malformed framing of the route's ordinary request."""
    body, _ = sweep.body_of(route)
    head = _head(sweep, route)
    target = sweep.target(route)
    chunked = b"Transfer-Encoding: chunked"
    cases = {
        "bare LF line endings": _wire([*head, _length(body)], body, eol=b"\n"),
        "obs-fold continuation line": _wire([*head, b"X-Webhook-Secret: part", b"  folded", _length(body)], body),
        "header line over 8190 bytes": _wire([*head, b"X-Webhook-Secret: " + b"s" * TOO_LONG, _length(body)], body),
        "request line over 8190 bytes": _wire([*_head(sweep, route, target=target + b"?pad=" + b"p" * TOO_LONG)]),
        "too many headers": _wire([*head, *(b"X-Pad-%d: v" % i for i in range(1000)), _length(body)], body),
        "raw NUL in the target": _wire(_head(sweep, route, target=target + b"\x00x")),
        "control character in the target": _wire(_head(sweep, route, target=target + b"\x01x")),
        "raw NUL in a header value": _wire([*head, b"X-Webhook-Secret: a\x00b", _length(body)], body),
        "bare CR in a header value": _wire([*head, b"X-Webhook-Secret: a\r" + INJECTED.encode() + b": yes"], body),
        "space before the colon": _wire([*head, b"X-Webhook-Secret : v", _length(body)], body),
        "header without a colon": _wire([*head, b"X-Webhook-Secret", _length(body)], body),
        "non-token header name": _wire([*head, b"X-W\xffbhook: v", _length(body)], body),
        "two different Content-Lengths": _wire([*head, _length(body), b"Content-Length: %d" % (len(body) + 1)], body),
        "Content-Length and chunked": _wire([*head, _length(body), chunked], b"0\r\n\r\n" + body),
        "invalid chunk size": _wire([*head, chunked], b"zz\r\n" + body + b"\r\n0\r\n\r\n"),
        "chunk longer than declared": _wire([*head, chunked], b"1\r\n" + body + b"\r\n0\r\n\r\n"),
        "unknown transfer coding": _wire([*head, b"Transfer-Encoding: x-unknown"], body),
        "negative Content-Length": _wire([*head, b"Content-Length: -1"], body),
        "Content-Length with a sign": _wire([*head, b"Content-Length: +%d" % len(body)], body),
        "two Host headers": _wire([*head, b"Host: evil.example", _length(body)], body),
        "HTTP/1.2": _wire([head[0].replace(b"HTTP/1.1", b"HTTP/1.2"), *head[1:], _length(body)], body),
        "HTTP/2.0 on an HTTP/1 connection": _wire([head[0].replace(b"HTTP/1.1", b"HTTP/2.0"), *head[1:]]),
        "lowercase method": _wire([head[0].lower().replace(b"http/1.1", b"HTTP/1.1"), *head[1:], _length(body)], body),
        "unknown method": _wire([b"BREW" + head[0][len(route.method) :], *head[1:], _length(body)], body),
        "expect 100-continue, body over the limit": _wire(
            [*head, b"Expect: 100-continue", b"Content-Length: 99999999"]
        ),
    }
    if route.parameters:
        long_id = {route.parameters[-1]: b"i" * TOO_LONG}
        cases["a 9,000-character id"] = _wire(_head(sweep, route, target=sweep.target(route, **long_id)))
    return cases


async def test_malformed_http_is_answered_with_problems_on_every_route(
    start_server: StartServer, database_url: str
) -> None:
    sweep = await open_sweep(start_server, database_url)
    for route in sweep.routes:
        for label, raw in _cases(sweep, route).items():
            await sweep.send(label, route, raw, timeout=BODY_TIMEOUT_SECONDS + SLACK_SECONDS)
    sweep.verify()


def _timed_out(sweep: Sweep, route: Route) -> Callable[[Reply], str | None]:
    """A route that reads a body must give up on one that does not come: 408."""
    reads_body = sweep.takes_body(route)

    def check(reply: Reply) -> str | None:
        if reads_body and reply.status != 408:
            return "a body that never completed was not answered 408"
        return None

    return check


async def test_slow_bodies_are_answered_408_within_the_body_timeout(
    start_server: StartServer, database_url: str
) -> None:
    sweep = await open_sweep(start_server, database_url, body_timeout=BODY_TIMEOUT_SECONDS)
    for route in (route for route in sweep.routes if route.reads_body):
        body, _ = sweep.body_of(route)
        head = _wire([*_head(sweep, route), b"Content-Length: %d" % (len(body) + 1000)])
        timeout = BODY_TIMEOUT_SECONDS + SLACK_SECONDS
        expect = _timed_out(sweep, route)
        # Part of the body, then nothing (the connection stays open).
        await sweep.send("stalled body", route, [head, body[:5]], timeout=timeout, expect=expect)
        # The body one byte at a time, each soon after the last: the limit is on the whole body, not per read.
        trickle = [head, *(bytes([byte]) for byte in body + b" " * 1000)]
        await sweep.send("trickled body", route, trickle, pause=0.05, timeout=timeout, expect=expect)
    sweep.verify()


async def test_slow_request_heads_are_answered_408_within_the_timeout(
    start_server: StartServer, sqlite_url: str
) -> None:
    """A client that never finishes its request line or headers (slowloris) cannot hold a connection either.
    (Nothing reaches a handler, let alone a database: one database is enough.)"""
    sweep = await open_sweep(start_server, sqlite_url, body_timeout=BODY_TIMEOUT_SECONDS)
    timeout = BODY_TIMEOUT_SECONDS + SLACK_SECONDS
    sends = []
    for route in sweep.routes:
        head = _wire(_head(sweep, route))[:-2]  # every header line, but not the blank line that ends them
        request_line = head.split(b"\r\n")[0]
        slow = head + b"\r\nX-Slow: " + b"s" * 1000  # a byte every 50 ms: it would take a minute
        sends += [
            sweep.send("half a request line", route, request_line[: len(request_line) // 2], timeout=timeout),
            sweep.send("headers never finished", route, head, timeout=timeout),
            sweep.send("headers trickled", route, [bytes([byte]) for byte in slow], pause=0.05, timeout=timeout),
        ]
    await asyncio.gather(*sends)  # nothing gets through, so they may run at once
    for label, route, status in sweep.answers:
        if status not in (0, 408):
            sweep.failures.append(f"{label}: {route.method} {route.template} answered {status}, not 408")
    sweep.verify()
