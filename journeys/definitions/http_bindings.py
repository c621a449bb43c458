"""Parsing `spec.bindings` (DSL 17): the HTTP binding, and the refusal of every other transport.

The HTTP binding says how a request reaches the definition: the route of a `kind: Api` (served under
`/api/v1/apis/`), the headers and query parameters a start or step request copies into the context, the headers
passed through to the outbound calls of that request, and (`kind: Api` only) how its outcome maps to an HTTP status
(ADR-0016). The other bindings (websocket, queue, grpc, cli, function) need transports this engine does not serve:
they are rejected as not supported rather than ignored.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from journeys.definitions.fields import IDENTIFIER, Block
from journeys.definitions.mappers import compile_mapper
from journeys.definitions.model import CompiledExpression

UNSUPPORTED_BINDINGS = {
    "websocket": "WebSocket",
    "queue": "queue/message",
    "grpc": "gRPC",
    "cli": "CLI",
    "function": "cloud-function",
}
# A route is one path segment under /apis/: it cannot shadow another route, and needs no templating.
ROUTE_PATH = re.compile(r"/apis/[a-z0-9][a-z0-9-]*")
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
PHASES = ("SUCCEEDED", "FAILED")
FROM_PROBLEM_STATUS = "fromProblemStatus"


@dataclass(frozen=True, slots=True)
class RequestBindings:
    """What one kind of request (the start, or a step's submissions) copies from the HTTP request."""

    headers_to_context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Header name -> context path its value is written to (a missing header writes nothing)."""
    query_to_context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    headers_passthrough: tuple[tuple[str, str], ...] = ()
    """(inbound header, outbound header): sent on the outbound calls this request runs, never stored."""


@dataclass(frozen=True, slots=True)
class StatusRule:
    """One `apiResponses` rule: the first that matches the terminal phase (and error type, predicate) wins."""

    phase: Literal["SUCCEEDED", "FAILED"]
    error_type: str | None = None
    predicate: CompiledExpression | None = None
    status: int | None = None
    status_expr: CompiledExpression | None = None


@dataclass(frozen=True, slots=True)
class ApiResponses:
    rules: tuple[StatusRule, ...] = ()
    succeeded: int = 200
    failed: int | None = None
    """None: the problem's own status (500 when it has none)."""


@dataclass(frozen=True, slots=True)
class HttpBindings:
    route_path: str | None = None
    """`route.path` of a `kind: Api`, relative to `/api/v1` (e.g. `/apis/users-lookup`)."""
    start: RequestBindings = field(default_factory=RequestBindings)
    steps: Mapping[str, RequestBindings] = field(default_factory=dict)
    api_responses: ApiResponses = field(default_factory=ApiResponses)


def _context_path(block: Block, key: str, value: object) -> tuple[str, ...] | None:
    if isinstance(value, str) and value and all(IDENTIFIER.fullmatch(part) for part in value.split(".")):
        return tuple(value.split("."))
    block.report(key, f"must name a context field (identifiers joined by '.'), not {value!r}")
    return None


def _to_context(block: Block | None, what: str) -> Mapping[str, tuple[str, ...]]:
    if block is None:
        return MappingProxyType({})
    found: dict[str, tuple[str, ...]] = {}
    for name, target in block.data.items():
        if what == "header" and not (isinstance(name, str) and HEADER_NAME.fullmatch(name)):
            block.report(str(name), f"'{name}' is not an HTTP header name")
            continue
        path = _context_path(block, str(name), target)
        if path is not None:
            found[str(name)] = path
    return MappingProxyType(found)


def _passthrough(block: Block) -> tuple[tuple[str, str], ...]:
    items = block.blocks("headersPassthrough") or []
    pairs: list[tuple[str, str]] = []
    for item in items:
        item.allow("from", "to")
        source, target = item.string("from", required=True), item.string("to", required=True)
        for key, name in (("from", source), ("to", target)):
            if name is not None and not HEADER_NAME.fullmatch(name):
                item.report(key, f"'{name}' is not an HTTP header name")
                return ()
        if source is not None and target is not None:
            pairs.append((source, target))
    return tuple(pairs)


def _request_bindings(block: Block) -> RequestBindings:
    block.allow("headersToContext", "queryToContext", "headersPassthrough")
    return RequestBindings(
        headers_to_context=_to_context(block.block("headersToContext"), "header"),
        query_to_context=_to_context(block.block("queryToContext"), "query"),
        headers_passthrough=_passthrough(block),
    )


def _route(http: Block, kind: str) -> str | None:
    route = http.block("route")
    if route is None:
        return None
    if kind != "Api":
        http.report("route", "route applies to kind: Api only (a journey starts at /journeys/{name}/start)")
        return None
    route.allow("path", "method")
    route.one_of("method", ("POST",), default="POST")
    path = route.string("path")
    if path is not None and not ROUTE_PATH.fullmatch(path):
        route.report("path", f"'{path}' must be /apis/<name> (one lowercase slug segment, served under /api/v1)")
        return None
    return path


def _status(block: Block, key: str) -> int | None:
    value = block.data.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and 200 <= value <= 599:
        return value
    block.report(key, f"must be a final HTTP status code (200-599), not {value!r}")
    return None


def _rule(rule: Block) -> StatusRule | None:
    rule.allow("when", "status", "statusExpr")
    when = rule.block("when", required=True)
    phase, error_type, predicate = None, None, None
    if when is not None:
        when.allow("phase", "errorType", "predicate")
        phase = when.one_of("phase", PHASES, required=True)
        error_type = when.string("errorType")
        if error_type is not None and phase == "SUCCEEDED":
            when.report("errorType", "errorType matches failures only; use it with phase: FAILED")
        predicate_block = when.block("predicate")
        predicate = compile_mapper(predicate_block) if predicate_block is not None else None
    if rule.has("status") == rule.has("statusExpr"):
        rule.report(None, "give exactly one of status and statusExpr")
        return None
    status = _status(rule, "status") if rule.has("status") else None
    expression = rule.block("statusExpr")
    status_expr = compile_mapper(expression) if expression is not None else None
    if phase is None or (status is None and status_expr is None):
        return None
    return StatusRule(phase, error_type, predicate, status, status_expr)  # type: ignore[arg-type]


def _api_responses(http: Block, kind: str) -> ApiResponses:
    block = http.block("apiResponses")
    if block is None:
        return ApiResponses()
    if kind != "Api":
        http.report("apiResponses", "apiResponses applies to kind: Api only (journey answers keep their statuses)")
        return ApiResponses()
    block.allow("rules", "default")
    rules = tuple(rule for item in (block.blocks("rules") or []) if (rule := _rule(item)) is not None)
    default = block.block("default")
    succeeded, failed = 200, None
    if default is not None:
        default.allow(*PHASES)
        if default.has("SUCCEEDED"):
            succeeded = _status(default, "SUCCEEDED") or 200
        if default.has("FAILED") and default.data["FAILED"] != FROM_PROBLEM_STATUS:
            failed = _status(default, "FAILED")
    return ApiResponses(rules, succeeded, failed)


def _steps(http: Block, kind: str, external_steps: Collection[str]) -> Mapping[str, RequestBindings]:
    block = http.block("steps")
    if block is None:
        return MappingProxyType({})
    if kind == "Api":
        http.report("steps", "a kind: Api has no steps to bind")
        return MappingProxyType({})
    steps: dict[str, RequestBindings] = {}
    for step_id in block.data:
        step = block.block(str(step_id))
        if str(step_id) not in external_steps:
            known = ", ".join(sorted(external_steps)) or "none"
            block.report(str(step_id), f"'{step_id}' is not a wait or webhook state (steps here: {known})")
        elif step is not None:
            steps[str(step_id)] = _request_bindings(step)
    return MappingProxyType(steps)


def parse_bindings(spec: Block, kind: str, external_steps: Collection[str]) -> HttpBindings:
    """`spec.bindings`; `external_steps`: the ids of the wait/webhook states, which `steps` may bind."""
    bindings = spec.block("bindings")
    if bindings is None:
        return HttpBindings()
    for key, transport in UNSUPPORTED_BINDINGS.items():
        if bindings.has(key):
            bindings.report(key, f"the {transport} binding is not supported by this engine", unsupported=True)
    bindings.allow("http", reported=UNSUPPORTED_BINDINGS)
    http = bindings.block("http")
    if http is None:
        return HttpBindings()
    http.allow("route", "start", "steps", "apiResponses")
    start = http.block("start")
    return HttpBindings(
        route_path=_route(http, kind),
        start=_request_bindings(start) if start is not None else RequestBindings(),
        steps=_steps(http, kind, external_steps),
        api_responses=_api_responses(http, kind),
    )
