"""Applying `spec.bindings.http` (DSL 17.1) to a run: request headers and query parameters into the context, and
the headers a request passes through to its outbound calls.

Context bindings are written when the request arrives (the start, or a step submission), so they are committed
with the journey like the body. Passthrough headers are request-scoped by definition: they are read from the
request that caused the advance and never stored, so an advance without one (an async start's background run, a
timer) passes nothing through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeys.definitions.http_bindings import RequestBindings
from journeys.definitions.model import JourneyDefinition
from journeys.engine.runs import InboundRequest


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (aiohttp's headers are case-insensitive; a plain dict is not)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def request_bindings(definition: JourneyDefinition, step_id: str | None) -> RequestBindings | None:
    """The bindings of the start request (`step_id` None) or of submissions to `step_id`."""
    bindings = definition.http_bindings
    if bindings is None:
        return None
    return bindings.start if step_id is None else bindings.steps.get(step_id)


def _write(context: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    for key in path[:-1]:
        child = context.get(key)
        if not isinstance(child, dict):
            child = context[key] = {}
        context = child
    context[path[-1]] = value


def bind_to_context(bindings: RequestBindings | None, context: dict[str, Any], request: InboundRequest) -> None:
    """Copy the bound headers and query parameters the request has into `context` (missing ones write nothing)."""
    if bindings is None:
        return
    for name, path in bindings.headers_to_context.items():
        value = header_value(request.headers, name)
        if value is not None:
            _write(context, path, value)
    for name, path in bindings.query_to_context.items():
        value = request.query.get(name)
        if value is not None:
            _write(context, path, value)


def passthrough_headers(bindings: RequestBindings | None, request: InboundRequest) -> dict[str, str]:
    """The outbound headers the request's `headersPassthrough` gives (only those it has)."""
    if bindings is None:
        return {}
    found = {target: header_value(request.headers, source) for source, target in bindings.headers_passthrough}
    return {name: value for name, value in found.items() if value is not None}
