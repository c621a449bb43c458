"""RFC 9457 problem details: every error the API returns is `application/problem+json`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from aiohttp import web
from yarl import URL

from journeys.engine import (
    AuthRejected,
    ConcurrentUpdate,
    CorrelationKeyInUse,
    DeliveryNotFound,
    DeliveryRejected,
    EngineConfigurationError,
    EngineError,
    InboundBusy,
    InvalidBody,
    InvalidInput,
    JourneyNotFound,
    NotCancellable,
    NotReplayable,
    NotTerminal,
    StepNotActive,
    UnknownJourneyDefinition,
    UnknownSource,
)
from journeys.server.app_keys import MAX_BODY_BYTES

log = logging.getLogger("journeys.server")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "urn:journeys:problem:"

# engine refusal -> (HTTP status, problem slug, title)
_ENGINE_ERRORS: dict[type[EngineError], tuple[int, str, str]] = {
    UnknownJourneyDefinition: (404, "journey-definition-not-found", "Journey definition not found"),
    JourneyNotFound: (404, "journey-not-found", "Journey not found"),
    StepNotActive: (409, "step-not-active", "Step not active"),
    NotTerminal: (409, "journey-not-terminal", "Journey not terminal yet"),
    NotCancellable: (409, "journey-not-cancellable", "Journey not cancellable"),
    ConcurrentUpdate: (409, "concurrent-update", "Concurrent update"),
    InvalidInput: (400, "invalid-input", "Request body does not match the schema"),
    AuthRejected: (401, "unauthorized", "Unauthorized"),
    EngineConfigurationError: (500, "server-configuration", "Server configuration error"),
    InvalidBody: (400, "malformed-body", "Malformed request body"),
    UnknownSource: (404, "inbound-source-not-found", "Inbound source not found"),
    CorrelationKeyInUse: (409, "correlation-key-in-use", "Correlation key in use"),
    InboundBusy: (503, "inbound-busy", "Journey busy"),
    DeliveryNotFound: (404, "delivery-not-found", "Delivery not found"),
    NotReplayable: (409, "delivery-not-replayable", "Delivery not replayable"),
}


class ProblemError(Exception):
    """Raised by handlers for request-level problems (bad JSON, bad query parameters)."""

    def __init__(self, status: int, slug: str, title: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail, self.extensions = status, slug, title, detail, extensions


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
    body = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        # A URI reference, as RFC 9457 requires: the decoded path may hold spaces and other raw characters.
        "instance": URL.build(path=request.path).raw_path,
        **extensions,
    }
    return web.Response(status=status, body=orjson.dumps(body), content_type=PROBLEM_CONTENT_TYPE, headers=headers)


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
        return await handler(request)
    except ProblemError as error:
        return problem_response(request, error.status, error.slug, error.title, error.detail, **error.extensions)
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
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(
            request, 500, "internal-error", "Internal server error", "an unexpected error occurred; see server logs"
        )
