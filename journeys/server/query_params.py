"""Query parameters shared by the API's list endpoints: bounded numbers and opaque keyset page tokens."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import orjson
from aiohttp import web

from journeys.engine.instance_metadata import tag_filters
from journeys.http_api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SEARCH_KEY_PREFIX
from journeys.server.problems import ProblemError

T = TypeVar("T")


def number_param(
    request: web.Request, name: str, *, default: float, maximum: float, minimum: float = 0.0, integer: bool = False
) -> float:
    """A numeric query parameter; absent means `default`, anything else (empty too) must be a number in range."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = float("nan")
    if not minimum <= value <= maximum:
        kind = "an integer" if integer else "a number"
        raise ProblemError(
            400, "invalid-query", "Invalid query parameter", f"{name} must be {kind} from {minimum:g} to {maximum:g}"
        )
    return value


def encode_page_token(created_at: datetime, journey_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([created_at.isoformat(), journey_id])).decode()


def decode_page_token(token: str | None) -> tuple[datetime, str] | None:
    """The (created, id) position a token holds; 400 for anything this API cannot have issued.

    Tokens come back from clients, so everything in them is checked before it reaches a query: the timestamp
    must carry an offset and be representable in UTC (PostgreSQL converts it; `9999-12-31T23:59-23:59`
    overflows), and the id must be a string without NUL (PostgreSQL text cannot hold one).
    """
    if not token:
        return None
    try:
        created, item_id = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        position = datetime.fromisoformat(created)
        if position.tzinfo is None or not isinstance(item_id, str) or "\x00" in item_id:
            raise ValueError("not an issued token")
        return position.astimezone(UTC), item_id
    except (ValueError, TypeError, OverflowError, binascii.Error, orjson.JSONDecodeError) as error:
        detail = "pageToken is not a token this API issued"
        raise ProblemError(400, "invalid-query", "Invalid query parameter", detail) from error


def page_params(request: web.Request) -> tuple[int, tuple[datetime, str] | None]:
    """`limit` and the decoded `pageToken` of a list request."""
    limit = number_param(request, "limit", default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE, minimum=1, integer=True)
    return int(limit), decode_page_token(request.query.get("pageToken"))


def next_page_token(fetched: Sequence[T], limit: int, key: Callable[[T], tuple[datetime, str]]) -> str | None:
    """The token of the page after `fetched[:limit]`; lists fetch `limit + 1` rows to know whether there is one."""
    return encode_page_token(*key(fetched[limit - 1])) if len(fetched) > limit else None


def text_param(request: web.Request, name: str) -> str | None:
    """A text filter; absent or empty means none. A NUL character cannot be in any stored value: 400."""
    value = request.query.get(name) or None
    if value is not None:
        _refuse_nul(name, value)
    return value


def _refuse_nul(name: str, value: str) -> None:
    if "\x00" in value:
        raise ProblemError(400, "invalid-query", "Invalid query parameter", f"{name} must not contain NUL characters")


# RFC 3339 date-time (section 5.6), the `format: date-time` the documents promise; an unencoded `+01:00` arrives as
# ` 01:00` (a query decodes `+` as a space) and is read as meant.
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+ -]\d\d:\d\d)")


def instant_param(request: web.Request, name: str) -> datetime | None:
    """An RFC 3339 timestamp filter; it must carry an offset (a bare time would mean the server's zone)."""
    value = text_param(request, name)
    if value is None:
        return None
    try:
        if not _RFC3339.fullmatch(value):
            raise ValueError("not RFC 3339")
        if value[-6] == " ":
            value = f"{value[:-6]}+{value[-5:]}"
        return datetime.fromisoformat(value.upper()).astimezone(UTC)
    except (ValueError, OverflowError) as error:
        detail = f"{name} must be an RFC 3339 timestamp with an offset, e.g. 2026-01-01T00:00:00Z"
        raise ProblemError(400, "invalid-query", "Invalid query parameter", detail) from error


def key_params(request: web.Request) -> dict[str, str]:
    """The business key filters, `key.<name>=value` (a name no journey declares matches nothing)."""
    keys = {}
    for name in request.query:
        if name.startswith(SEARCH_KEY_PREFIX) and len(name) > len(SEARCH_KEY_PREFIX):
            value = text_param(request, name)
            if value is not None:
                keys[name.removeprefix(SEARCH_KEY_PREFIX)] = value
    return keys


def tag_params(request: web.Request) -> dict[str, str]:
    """`tag=a&tag=b`: journeys carrying every one of these tags, as the search-key filters they are indexed as."""
    tags = [tag for tag in request.query.getall("tag", []) if tag]
    for tag in tags:
        _refuse_nul("tag", tag)
    return tag_filters(tags)
