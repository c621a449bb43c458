"""Query parameters shared by the API's list endpoints: bounded numbers and opaque keyset page tokens."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import orjson
from aiohttp import web

from journeys.server.problems import ProblemError


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
    if not token:
        return None
    try:
        created, journey_id = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        return datetime.fromisoformat(created), str(journey_id)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as error:
        detail = "pageToken is not a token this API issued"
        raise ProblemError(400, "invalid-query", "Invalid query parameter", detail) from error
