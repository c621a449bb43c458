"""Sending an answer the engine stored (a delivery's, or a start's kept with its idempotency key): a retry of
the request gets these bytes again, so the response is built from the stored Answer alone plus the headers
the caller adds about this exchange (a delivery's verdict, a start's replay)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from journeys.engine import Answer

TEXT = "text/plain"


def answer_response(answer: Answer, extra_headers: Mapping[str, str] | None = None) -> web.Response:
    """`answer` as an HTTP response: its status, body, content type and headers, then `extra_headers`. A text
    type says it is UTF-8 (the body is stored as text and sent so) unless the answer names a charset itself."""
    content_type = answer.content_type or TEXT
    if content_type.startswith("text/") and "charset=" not in content_type.lower():
        content_type += "; charset=utf-8"
    headers = {**answer.headers, **(extra_headers or {}), "Content-Type": content_type}
    return web.Response(status=answer.status, body=answer.body.encode(), headers=headers)
