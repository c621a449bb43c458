"""Turning the console's view models into HTML: one Jinja2 environment, autoescaping everything.

Every value from a journey (ids, states, contexts, request bodies, error reasons) reaches the page through a
template variable and is escaped there; the only markup inserted as is is the state diagram's SVG, which
`journeys.contracts.diagram` writes with every definition text escaped. Pages are sent with a Content-Security-
Policy that allows no script at all (the console has none), no framing (its buttons cannot be clickjacked), and
`Cache-Control: no-store` (journey data stays out of shared caches and the browser's disk).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from journeys.http_api import API_PREFIX
from journeys.server.problems import problem_response

CONSOLE = "/console"
STYLESHEET = f"{CONSOLE}/static/console.css"
# The diagram's SVG carries its own <style> element: styles may be inline, scripts may not exist at all.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def pretty(value: Any) -> str:
    """JSON as people read it: indented, keys in the order the journey wrote them."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()


def timestamp(value: datetime | None) -> str:
    """A UTC time to the second, as every page shows times: `2026-01-31 14:00:05Z`."""
    return "" if value is None else value.astimezone(UTC).isoformat(sep=" ", timespec="seconds")[:19] + "Z"


def duration(span: timedelta) -> str:
    """A rough age, as a list column shows it: `3d 4h`, `2h 5m`, `40s`."""
    seconds = max(int(span.total_seconds()), 0)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {seconds}s" if minutes else f"{seconds}s"


ENVIRONMENT = Environment(
    loader=PackageLoader("journeys.server.console", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters.update(pretty=pretty, timestamp=timestamp, duration=duration)
ENVIRONMENT.globals.update(console=CONSOLE, api=API_PREFIX, stylesheet=STYLESHEET)


def html(template: str, status: int = 200, **context: Any) -> web.Response:
    body = ENVIRONMENT.get_template(template).render(**context)
    return web.Response(status=status, text=body, content_type="text/html", headers=SECURITY_HEADERS)


def wants_html(request: web.Request) -> bool:
    """Whether the client reads pages (a browser says so in Accept); anything else gets the API's problems."""
    return "text/html" in request.headers.get("Accept", "")


def refusal(request: web.Request, status: int, title: str, detail: str, slug: str | None = None) -> web.Response:
    """An error answer: a page for a browser, a problem document (as the API answers) for anything else."""
    if wants_html(request):
        return html("error.html", status, title=title, detail=detail, viewer=None, flash=None)
    slug = slug or title.lower().replace(" ", "-")
    return problem_response(request, status, slug, title, detail, headers=SECURITY_HEADERS)
