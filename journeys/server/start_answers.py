"""The HTTP side of idempotent starts: the `Idempotency-Key` header and the answer a start gets (and a retry of
it gets again: the engine stores it with the key, so it is rendered once, when the journey starts).

An async start's answer quotes the request's own origin (`statusUrl`), so the `Host` it was sent to must be text
that can be stored and serialised: one holding a byte that is not UTF-8 (aiohttp passes it on as a lone
surrogate) or a control character is refused with 400 before anything is read or started.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from journeys.engine import Answer, Snapshot, Started
from journeys.engine.lifecycle import TERMINAL_PHASES
from journeys.server.answers import answer_response
from journeys.server.problems import ProblemError
from journeys.server.representations import journey_path, outcome_body, start_accepted_body, status_body

IDEMPOTENCY_KEY = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_LENGTH = 255
# Tells a client its start was a retry answered from the first start (the journey was not started again).
REPLAYED = "Idempotent-Replayed"
JSON = "application/json"


def idempotency_key(request: web.Request) -> str | None:
    """The `Idempotency-Key` header: 1-255 visible ASCII characters (as the IETF httpapi draft's sf-string)."""
    value = request.headers.get(IDEMPOTENCY_KEY)
    if value is None:
        return None
    if not 0 < len(value) <= MAX_IDEMPOTENCY_KEY_LENGTH or not value.isascii() or not value.isprintable():
        raise ProblemError(
            400,
            "invalid-idempotency-key",
            "Invalid Idempotency-Key",
            f"the {IDEMPOTENCY_KEY} header must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters",
        )
    return value


def start_renderer(request: web.Request) -> StartAnswerRenderer:
    """The renderer of this start's answer, for the origin the request was sent to; 400 for a `Host` that is
    not text (RFC 9112 3.2: a request with an invalid Host is answered 400)."""
    host = request.host
    if not host.isprintable():  # a lone surrogate (a byte that was not UTF-8) is not printable either
        raise ProblemError(
            400, "invalid-host", "Invalid Host header", "the Host header must be UTF-8 text without control characters"
        )
    return StartAnswerRenderer(f"{request.scheme}://{host}")


class StartAnswerRenderer:
    """Renders a start's answer: 202 with `Location` for an async journey, else its status or (ended) outcome."""

    __slots__ = ("origin",)

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def __call__(self, snapshot: Snapshot) -> Answer:
        if snapshot.definition.start_mode == "async":
            body = start_accepted_body(snapshot, self.origin)
            return Answer(202, JSON, orjson.dumps(body).decode(), {"Location": journey_path(snapshot.record.id)})
        if snapshot.record.phase in TERMINAL_PHASES:
            return Answer(200, JSON, orjson.dumps(outcome_body(snapshot)).decode())
        return Answer(200, JSON, orjson.dumps(status_body(snapshot)).decode())


def start_response(started: Started, render: StartAnswerRenderer) -> web.Response:
    """The answer the start got: the first start's, as stored, when this one was a retry of it."""
    answer = started.answer or render(started.snapshot)
    response = answer_response(answer, {REPLAYED: "true"} if started.replayed else None)
    for cookie in started.set_cookies:  # spec.cookies.returnToClient
        response.headers.add("Set-Cookie", cookie)
    return response
