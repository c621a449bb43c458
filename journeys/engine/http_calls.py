"""Turning an `httpCall:v1` task into a concrete request, and a response into its result object.

Both are pure: rendering reads the context, and the result object follows DSL 5.1
(`{status, ok, headers, body, error}`), where a non-2xx status is data to branch on, never a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import orjson

from journeys.definitions.model import HttpCallTask, TaskState
from journeys.engine.errors import InvalidBody
from journeys.engine.inbound_messages import header_text, parse_json
from journeys.engine.outbound import OutboundError, OutboundRequest, OutboundResponse


@dataclass(frozen=True, slots=True)
class PendingCall:
    """A request the interpreter wants performed before it continues at `next`."""

    state_id: str
    task: HttpCallTask
    next: str
    request: OutboundRequest
    key: str = ""
    """The idempotency key of the call: every attempt of it sends the same one."""

    @property
    def notify(self) -> bool:
        return self.task.mode == "notify"


def _has_header(headers: Mapping[str, str], name: str) -> bool:
    return any(key.lower() == name.lower() for key in headers)


def _body(task: HttpCallTask, context: Any, payload: Any, platform: Any, headers: dict[str, str]) -> bytes | None:
    if task.body_kind == "none":
        return None
    if task.body_kind == "template":
        if not _has_header(headers, "Content-Type"):
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return task.body.render(context, payload, platform).encode()
    value = task.body.evaluate(context, payload, platform) if task.body_kind == "mapper" else task.body
    if not _has_header(headers, "Content-Type"):
        headers["Content-Type"] = "application/json"
    return orjson.dumps(value)


def prepare_call(
    state: TaskState, task: HttpCallTask, context: Any, platform: Any, idempotency_key: str
) -> PendingCall:
    """Render the request; raises ExpressionEvaluationError (a placeholder failed) or ValueError (bad URL)."""
    payload = context.get("payload") if isinstance(context, dict) else None
    url = task.url.render(context, payload, platform)
    for name, template in task.path_params.items():
        url = url.replace("{" + name + "}", quote(template.render(context, payload, platform), safe=""))
    if task.query:
        query = urlencode({name: t.render(context, payload, platform) for name, t in task.query.items()})
        url += ("&" if "?" in url else "?") + query
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"'{url}' is not an absolute http:// or https:// URL")
    headers = {name: t.render(context, payload, platform) for name, t in task.headers.items()}
    if not _has_header(headers, "Accept"):
        headers["Accept"] = task.accept
    if task.method not in ("GET", "HEAD") and not _has_header(headers, "Idempotency-Key"):
        headers["Idempotency-Key"] = idempotency_key
    body = _body(task, context, payload, platform, headers)
    request = OutboundRequest(task.method, url, headers, body, task.timeout_ms / 1000)
    return PendingCall(state.id, task, state.next, request, idempotency_key)


def _decode(response: OutboundResponse) -> Any:
    if not response.body:
        return None
    content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
    if "json" in content_type.lower():
        try:
            return parse_json(response.body)
        except InvalidBody:  # not JSON, or nested deeper than a request body may be: kept as text
            pass
    return response.body.decode("utf-8", errors="replace")


def call_result(outcome: OutboundResponse | OutboundError) -> dict[str, Any]:
    """The structured result stored at `context.<resultVar>`."""
    if isinstance(outcome, OutboundError):
        return {"ok": False, "error": {"type": outcome.kind, "message": outcome.message}}
    return {
        "status": outcome.status,
        "ok": 200 <= outcome.status < 300,
        "headers": {name: header_text(value) for name, value in outcome.headers.items()},
        "body": _decode(outcome),
    }
