"""The HTTP connection layer under the app: problem documents for requests aiohttp refuses before routing,
and logs that never carry what a client sent.

aiohttp's parser rejects some requests before any handler or middleware runs (a line over 8,190 bytes, too
many headers, obs-fold, a bare LF). Its own answer is `text/plain` quoting the offending bytes, and it logs
them with a traceback at ERROR: a bare-LF request is logged whole, webhook secret and body included.
`ProblemRequestHandler` answers those with a problem document naming only the kind of error, and logs one
line without the request's bytes. `serve` runs the app like `aiohttp.web.run_app`, on this handler.

aiohttp also has no limit on how long a request's head (request line and headers) may take to arrive, so a
client sending a byte now and then (slowloris) holds a connection for as long as it likes. The handler gives
each head `bodyTimeoutSeconds`, counted from the connection opening (its first request) or from the head's
first byte (later requests on a keep-alive connection, whose idle time is aiohttp's keep-alive timeout): a head
begun but not finished is answered 408 and the connection closed; a new connection that sent nothing is closed.

`RedactingFilter` is installed on the process's log handlers by `journeys serve` (`install_redaction`): whatever
a library logs (SQL parameters, driver messages quoting a query argument, secret-bearing headers, a password in
a database URL, as its user info or a `password`/`passwd`/`sslpassword` parameter) is redacted before it is
written; `redact` also masks what the server logs itself (the database URL it starts with).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import ssl
import traceback
from collections.abc import Callable
from typing import Any, cast

from aiohttp import http_exceptions, web
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from journeys.http_api import PROBLEM_CONTENT_TYPE
from journeys.server.app_keys import BODY_TIMEOUT_SECONDS
from journeys.server.problems import problem, problem_document

log = logging.getLogger("journeys.server")

KEEPALIVE_TIMEOUT_SECONDS = 75.0  # aiohttp's run_app default (the bare handler's is an hour)
MAX_LINE_BYTES = 8190  # aiohttp's default request/header line limit

# Most specific first: the first class the error is an instance of gives the detail.
_PARSE_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (http_exceptions.LineTooLong, f"the request line or a header line is longer than {MAX_LINE_BYTES} bytes"),
    (http_exceptions.BadHttpMethod, "the request method is not a valid HTTP method"),
    (http_exceptions.BadStatusLine, "the request line is malformed (lines must end with CRLF)"),
    (http_exceptions.InvalidURLError, "the request target is not a valid URL"),
    (http_exceptions.InvalidHeader, "a header field is malformed"),
    (http_exceptions.PayloadEncodingError, "the request body's framing or encoding is invalid"),
)
_TOO_MANY_HEADERS = "Too many headers"
_GENERIC_PARSE_ERROR = (
    "the request is not valid HTTP/1.1 (a malformed or folded header, a bare LF or an invalid character)"
)


def parse_error_detail(error: BaseException | None) -> str:
    """What was wrong with an unparseable request, in our words: aiohttp's message quotes the raw bytes."""
    for kind, detail in _PARSE_ERRORS:
        if isinstance(error, kind):
            return detail
    if isinstance(error, http_exceptions.HttpProcessingError) and error.message.startswith(_TOO_MANY_HEADERS):
        return "the request has too many header fields"
    return _GENERIC_PARSE_ERROR


def head_timeout_answer(seconds: float) -> bytes:
    """The whole 408 answer to a request whose head did not arrive in time: written to the socket as is, since
    aiohttp has no request (nor a response writer) before the head is complete."""
    detail = f"the request line and headers did not arrive within {seconds:g} seconds"
    body = problem_document(408, "request-timeout", "Request timeout", detail)
    head = (
        f"HTTP/1.1 408 Request Timeout\r\nContent-Type: {PROBLEM_CONTENT_TYPE}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class ProblemRequestHandler(RequestHandler):
    """aiohttp's connection handler, answering what it cannot parse (or fails on) with problem documents, and
    closing connections whose request head does not arrive within `head_timeout` seconds.

    The head timer runs while a head is awaited: from the connection opening until its first request is parsed,
    then from the first byte of each later request until that one is parsed. Bytes that arrive while the
    previous request's body is incomplete are that body's (governed by the body timeout in the handler). A
    pipelined head that begins in the same read as the end of the request before it is not timed: the
    connection then looks idle, and aiohttp's keep-alive timeout closes it.
    """

    def __init__(self, manager: web.Server, *, head_timeout: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._head_timeout = head_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_begun = False  # a byte of the awaited head has arrived
        self._last_body: StreamReader | None = None  # the body of the last request parsed (None: none yet)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm_head_timer()  # a new connection owes its first request head

    def connection_lost(self, exc: BaseException | None) -> None:
        super().connection_lost(exc)
        self._cancel_head_timer()
        self._last_body = None

    def data_received(self, data: bytes) -> None:
        awaiting_head = self._last_body is None or self._last_body.is_eof()
        parsed = self._request_count  # aiohttp counts each head it parses (or refuses)
        super().data_received(data)
        if self._request_count != parsed:
            self._cancel_head_timer()
            self._head_begun = False
            self._last_body = self._messages[-1][1] if self._messages else None
        elif data and awaiting_head and not self._head_begun:
            self._head_begun = True
            if self._head_timer is None:  # else: the connection's first head, timed since it opened
                self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        self._head_timer = self._loop.call_later(self._head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._request_in_progress or self._messages:  # a head pipelined behind a request still being served
            self._arm_head_timer()
            return
        if self._head_begun and self.transport is not None:
            log.debug("closing %s: its request head was incomplete after %gs", self.peername, self._head_timeout)
            self.transport.write(head_timeout_answer(self._head_timeout))
        self.force_close()  # the transport sends what was written, then closes

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> StreamResponse:
        if request.writer.output_size > 0:  # as aiohttp does: the answer has started, the connection is broken
            raise ConnectionError("the response was already being sent when the request failed")
        if isinstance(exc, http_exceptions.HttpProcessingError):
            detail = parse_error_detail(exc)
            # One line at DEBUG, never the bytes: a client that sends garbage must not fill or read our logs.
            log.debug("refused a malformed request from %s: %s", request.remote, detail)
            response = problem(status, "malformed-request", "Malformed HTTP request", detail)
        else:
            log.error("error handling a request from %s", request.remote, exc_info=exc)
            detail = "an unexpected error occurred; see server logs"
            response = problem(500, "internal-error", "Internal server error", detail)
        response.force_close()
        return response


class ProblemServer(web.Server):
    """Creates a `ProblemRequestHandler` per connection, with the options aiohttp's runner gave the server."""

    head_timeout: float  # set by ProblemAppRunner from the app's bodyTimeoutSeconds

    def __call__(self) -> RequestHandler:
        return ProblemRequestHandler(self, loop=self._loop, head_timeout=self.head_timeout, **self._kwargs)


class ProblemAppRunner(web.AppRunner):
    """`web.AppRunner` whose connections use `ProblemRequestHandler` (tests' live servers use it too)."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # The app builds a plain `web.Server`; ProblemServer adds one setting and the handler it creates.
        server.__class__ = ProblemServer
        cast(ProblemServer, server).head_timeout = self.app[BODY_TIMEOUT_SECONDS]
        return server


# (pattern, replacement, words) applied to every log line and traceback. A pattern can match only a text that
# holds one of its words (case-folded, for the case-insensitive ones), and most lines hold none: looking for the
# words first spares them the regular expressions, which cost up to 250 µs a line (the `[\w-]*` prefixes try every
# position of every word), on the access and transition lines written for every request.
_REDACTIONS: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL), "[parameters: redacted]", ("[parameters: ",)),
    (
        re.compile(r"(invalid input for query argument \$\d+:).*"),
        r"\1 [redacted]",
        ("invalid input for query argument $",),
    ),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s]+@"), r"\1***@", ("://",)),  # a password in a URL
    # A password as a URL query parameter (`?password=`: libpq, asyncpg; `sslpassword`, `passwd`) or a field
    # (`PGPASSWORD=`, `"db_password": "..."`): only the value, up to the next parameter, goes.
    (
        re.compile(r"([\w-]*pass(?:wd|word)['\"]?\s*[:=]\s*['\"]?)[^\s&;#'\"\\]+", re.IGNORECASE),
        r"\1***",
        ("pass",),
    ),
    (
        re.compile(
            r"((?:authorization|proxy-authorization|cookie|x-webhook-secret|[\w-]*signature|[\w-]*token|"
            r"[\w-]*secret|x-api-key|idempotency-key)\s*[:=]\s*)[^\r\n\\'\"]+",
            re.IGNORECASE,
        ),
        r"\1[redacted]",
        ("authorization", "cookie", "secret", "signature", "token", "x-api-key", "idempotency-key"),
    ),
)
_CHECKS = tuple(
    (pattern, replacement, words, bool(pattern.flags & re.IGNORECASE)) for pattern, replacement, words in _REDACTIONS
)


def redact(text: str) -> str:
    # re.IGNORECASE matches "i" with the dotless i (U+0131) and the dotted capital I (U+0130), which case-fold to
    # themselves and to "i" + U+0307: both are folded to "i" too, so the words are found wherever a pattern matches.
    folded = None
    for pattern, replacement, words, ignore_case in _CHECKS:
        if ignore_case and folded is None:
            folded = text.casefold().replace("\u0131", "i").replace("\u0307", "")
        haystack = folded if ignore_case else text
        for word in words:
            if word in haystack:
                text = pattern.sub(replacement, text)
                folded = None  # the text changed
                break
    return text


class RedactingFilter(logging.Filter):
    """Redacts secrets and request data from a record's message and traceback before a handler writes it.

    The traceback is formatted here and kept as `exc_text`, which `logging.Formatter` then prints instead of
    formatting `exc_info` itself.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # The message is kept formatted (and redacted): the handler's formatter then need not format it again.
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Add `RedactingFilter` to every handler of `logger` (the root logger: every library's records)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(existing, RedactingFilter) for existing in handler.filters):
            handler.addFilter(RedactingFilter())


async def _serve_forever(
    app: web.Application,
    host: str,
    port: int,
    print_line: Callable[[str], None],
    reuse_port: bool,
    ssl_context: ssl.SSLContext | None,
) -> None:
    runner = ProblemAppRunner(app, handle_signals=True, access_log=None, keepalive_timeout=KEEPALIVE_TIMEOUT_SECONDS)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_port=reuse_port, ssl_context=ssl_context)
        await site.start()
        print_line(f"======== Running on {site.name} ========")
        await asyncio.Event().wait()  # until SIGINT/SIGTERM raise GracefulExit
    finally:
        await runner.cleanup()


def serve(
    app: web.Application,
    *,
    host: str,
    port: int,
    print_line: Callable[[str], None],
    reuse_port: bool = False,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Serve `app` until SIGINT/SIGTERM, then shut down cleanly: `aiohttp.web.run_app` on our handler.
    `reuse_port`: bind with SO_REUSEPORT, beside the other workers of `journeys serve --workers`;
    `ssl_context`: serve HTTPS (the config's `tls`)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    main = loop.create_task(_serve_forever(app, host, port, print_line, reuse_port, ssl_context))
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        # Shutting down already: a second signal (the supervisor's after a process-group kill's, systemd's after
        # the terminal's) must not cut the graceful shutdown short.
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, lambda: None)
        if not main.done():
            main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(main)
        leftover = asyncio.all_tasks(loop)
        for task in leftover:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
