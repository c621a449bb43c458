"""What an outbound call gets from outside its task: passthrough headers of the request that caused the advance
(`spec.bindings.http`, DSL 17.1) and the run's cookie jar (`spec.cookies`, DSL 22.2-22.3).

The task's own headers win: an explicit `Cookie` header means the jar is not consulted for that call (DSL 22.3),
and an explicit header of a passthrough's name is kept as the author wrote it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from journeys.definitions.model import JourneyDefinition
from journeys.engine.http_calls import PendingCall
from journeys.engine.outbound import OutboundError, OutboundResponse
from journeys.engine.request_bindings import header_value, passthrough_headers, request_bindings
from journeys.engine.runs import InboundRequest, Run


def with_extras(
    call: PendingCall, definition: JourneyDefinition, run: Run, request: InboundRequest, now: datetime
) -> PendingCall:
    """`call` with the passthrough headers and jar cookies it should carry (itself when there are none)."""
    headers = dict(call.request.headers)
    passed = passthrough_headers(request_bindings(definition, run.resumed_from), request)
    for name, value in passed.items():
        if header_value(headers, name) is None:
            headers[name] = value
    if run.jar is not None and call.task.use_jar and header_value(headers, "Cookie") is None:
        cookie = run.jar.cookie_header(call.request.url, now)
        if cookie is not None:
            headers["Cookie"] = cookie
    if len(headers) == len(call.request.headers):
        return call
    return replace(call, request=replace(call.request, headers=headers))


def absorb_cookies(
    call: PendingCall, outcome: OutboundResponse | OutboundError, result: dict[str, Any], run: Run, now: datetime
) -> None:
    """Put the response's allowed `Set-Cookie`s in the jar, and take them out of the result object: the jar has
    them, and the result is written to the context (stored with a journey), where session cookies must not be."""
    if run.jar is None or not isinstance(outcome, OutboundResponse):
        return
    run.jar.absorb(call.request.url, outcome.set_cookies, now)
    headers = result.get("headers", {})
    for name in [name for name in headers if name.lower() == "set-cookie"]:
        del headers[name]
