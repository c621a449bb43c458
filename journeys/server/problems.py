"""RFC 9457 problem details: every error the API returns is `application/problem+json`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from aiohttp import web
from yarl import URL

from journeys.engine import (
    AmbiguousDefinitionVersion,
    AuthRejected,
    ConcurrentUpdate,
    CorrelationKeyInUse,
    DefinitionVersionUnusable,
    DeliveryNotFound,
    DeliveryRejected,
    EngineConfigurationError,
    EngineError,
    InboundBusy,
    InvalidBody,
    InvalidInput,
    InvalidMigration,
    InvalidRetry,
    JourneyNotFound,
    NotCancellable,
    NotReplayable,
    NotRetryable,
    NotTerminal,
    StepNotActive,
    StepNotFound,
    UnknownDefinitionVersion,
    UnknownJourneyDefinition,
    UnknownSource,
)
from journeys.engine.inbound_messages import BodyTooDeep
from journeys.engine.instance_metadata import MetadataLimitExceeded
from journeys.http_api import PROBLEM_CONTENT_TYPE
from journeys.outages import DATABASE, is_database_unavailable
from journeys.server.app_keys import MAX_BODY_BYTES

log = logging.getLogger("journeys.server")

PROBLEM_BASE = "urn:journeys:problem:"
DATABASE_RETRY_AFTER_SECONDS = 5
# Set by a handler whose answer proves nothing of the database (a health probe, a scrape that could not read it):
# its success must not end an outage in the database outage log.
DATABASE_UNTOUCHED: web.RequestKey[bool] = web.RequestKey("database_untouched", bool)

# engine refusal -> (HTTP status, problem slug, title)
_ENGINE_ERRORS: dict[type[EngineError], tuple[int, str, str]] = {
    UnknownJourneyDefinition: (404, "journey-definition-not-found", "Journey definition not found"),
    JourneyNotFound: (404, "journey-not-found", "Journey not found"),
    DefinitionVersionUnusable: (409, "journey-version-unusable", "Journey version cannot be run"),
    UnknownDefinitionVersion: (404, "journey-version-not-found", "Journey version not found"),
    AmbiguousDefinitionVersion: (409, "journey-version-ambiguous", "Journey version ambiguous"),
    StepNotActive: (409, "step-not-active", "Step not active"),
    StepNotFound: (404, "step-not-found", "Step not found"),
    NotTerminal: (409, "journey-not-terminal", "Journey not terminal yet"),
    NotCancellable: (409, "journey-not-cancellable", "Journey not cancellable"),
    ConcurrentUpdate: (409, "concurrent-update", "Concurrent update"),
    InvalidInput: (400, "invalid-input", "Request body does not match the schema"),
    InvalidMigration: (400, "invalid-migration", "Migration cannot be run as asked"),
    InvalidRetry: (400, "invalid-retry", "Retry cannot be run as asked"),
    NotRetryable: (409, "journey-not-failed", "Journey not failed"),
    AuthRejected: (401, "unauthorized", "Unauthorized"),
    EngineConfigurationError: (500, "server-configuration", "Server configuration error"),
    InvalidBody: (400, "malformed-body", "Malformed request body"),
    BodyTooDeep: (400, "body-too-deep", "Request body nested too deeply"),
    UnknownSource: (404, "inbound-source-not-found", "Inbound source not found"),
    CorrelationKeyInUse: (409, "correlation-key-in-use", "Correlation key in use"),
    InboundBusy: (503, "inbound-busy", "Journey busy"),
    DeliveryNotFound: (404, "delivery-not-found", "Delivery not found"),
    NotReplayable: (409, "delivery-not-replayable", "Delivery not replayable"),
    MetadataLimitExceeded: (400, "metadata-limit-exceeded", "Journey tags or attributes over their limits"),
}


class ProblemError(Exception):
    """Raised by handlers for request-level problems (bad JSON, bad query parameters).

    `close_connection`: the connection cannot serve another request (the body never finished arriving, or its
    bytes cannot be decoded), so the answer is sent and the connection closed at once.
    """

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        close_connection: bool = False,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail, self.extensions = status, slug, title, detail, extensions
        self.headers, self.close_connection = headers, close_connection


def problem_response(
    request: web.Request,
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> web.Response:
    # A URI reference, as RFC 9457 requires: the decoded path may hold spaces and other raw characters.
    instance = URL.build(path=request.path).raw_path
    return problem(status, slug, title, detail, headers=headers, instance=instance, **extensions)


def problem(
    status: int, slug: str, title: str, detail: str, *, headers: Mapping[str, str] | None = None, **members: Any
) -> web.Response:
    """A problem document; `problem_response` adds the request's path as `instance`, which a request that could
    not even be parsed does not have."""
    body = problem_document(status, slug, title, detail, **members)
    return web.Response(status=status, body=body, content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def problem_document(status: int, slug: str, title: str, detail: str, **members: Any) -> bytes:
    """A problem document's JSON; the connection layer writes it raw when there is no request to answer."""
    return orjson.dumps({"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail, **members})


def _engine_problem(request: web.Request, error: EngineError) -> web.Response:
    status, slug, title = _ENGINE_ERRORS.get(type(error), (500, "engine-error", "Engine error"))
    extensions: dict[str, Any] = {}
    headers = {"Retry-After": "1"} if status == 503 else {}
    if error.delivery_id is not None:
        headers.update({"Journeys-Delivery-Verdict": str(error.verdict), "Journeys-Delivery-Id": error.delivery_id})
    if isinstance(error, DeliveryRejected):
        status, slug, title = error.status, "delivery-rejected", "Delivery rejected"
        extensions["cause"] = error.cause
    if isinstance(error, InvalidInput):
        extensions["errors"] = error.errors
    if isinstance(error, AuthRejected):
        extensions["code"] = error.problem.get("code")
    if status >= 500:
        log.error("engine refused %s %s: %s", request.method, request.path, error.detail)
    return problem_response(request, status, slug, title, error.detail, headers=headers or None, **extensions)


_HTTP_TITLES = {404: "Not found", 405: "Method not allowed", 413: "Request body too large"}


@web.middleware
async def problem_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn every failure (engine refusal, routing miss, oversized body, bug) into a problem document."""
    try:
        response = await handler(request)
    except ProblemError as error:
        answer = problem_response(
            request, error.status, error.slug, error.title, error.detail, headers=error.headers, **error.extensions
        )
        if error.close_connection:
            await _answer_and_close(request, answer)
        return answer
    except EngineError as error:
        return _engine_problem(request, error)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        if error.status == 413:
            detail = f"the request body exceeds the limit of {request.app[MAX_BODY_BYTES]} bytes"
        else:
            detail = error.text or error.reason
            if error.status == 404:
                detail = f"no resource at {request.path}"
            elif error.status == 405:
                detail = f"{request.method} is not allowed on {request.path}"
        slug = error.reason.lower().replace(" ", "-")
        title = _HTTP_TITLES.get(error.status, error.reason)
        # RFC 9110: a 405 must say which methods the resource allows.
        headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        return problem_response(request, error.status, slug, title, detail, headers=headers)
    except Exception as error:
        if is_database_unavailable(error):
            return _database_unavailable(request, error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(
            request, 500, "internal-error", "Internal server error", "an unexpected error occurred; see server logs"
        )
    if not request.get(DATABASE_UNTOUCHED, False):
        DATABASE.succeeded()
    return response


async def _answer_and_close(request: web.Request, answer: web.Response) -> None:
    """Send `answer`, then close the connection at once. aiohttp would otherwise keep reading (and discarding)
    the rest of an unread body for up to 10 s before closing, which is what a slow client wants."""
    answer.force_close()
    await answer.prepare(request)
    await answer.write_eof()
    request.protocol.force_close()  # the written answer is flushed before the socket closes


def _database_unavailable(request: web.Request, error: Exception) -> web.Response:
    """503 with Retry-After: the client should send the request again later (a retried start should carry the
    same Idempotency-Key: a connection lost during the commit leaves unknown whether it committed).

    Logged through the outage log (one line per second at most, with a count), never with a traceback: during
    an outage every request fails the same way.
    """
    DATABASE.failed(error, f"{request.method} {request.path}")
    return problem_response(
        request,
        503,
        "database-unavailable",
        "Database unavailable",
        "the database cannot be reached; retry the request later",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )
