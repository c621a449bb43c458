"""Handlers of the Journeys API (`/api/v1`). They translate HTTP to engine calls and back, nothing more."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web

from journeys.engine import InboundRequest
from journeys.engine.lifecycle import PHASES, TERMINAL_PHASES
from journeys.server.app_keys import ENGINE
from journeys.server.problems import ProblemError
from journeys.server.representations import (
    API_PREFIX,
    journey_path,
    outcome_body,
    start_accepted_body,
    status_body,
    transition_body,
)

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
MAX_LONG_POLL_SECONDS = 60.0


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json", headers=headers)


async def _read_json(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        raise ProblemError(400, "malformed-json", "Malformed JSON", "the request body is empty; send a JSON document")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        detail = f"the request body is not valid JSON: {error}"
        raise ProblemError(400, "malformed-json", "Malformed JSON", detail) from error


def _inbound(request: web.Request) -> InboundRequest:
    return InboundRequest(headers=request.headers, query=request.query)


async def start_journey(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    name = request.match_info["journeyName"]
    if name not in engine.definitions:
        # Answer 404 before reading the body: an unknown journey is the more useful message.
        raise ProblemError(
            404, "journey-definition-not-found", "Journey definition not found", f"no journey named '{name}' is loaded"
        )
    snapshot = await engine.start(name, await _read_json(request), _inbound(request))
    if snapshot.definition.start_mode == "async":
        body = start_accepted_body(snapshot, f"{request.scheme}://{request.host}")
        return _json(body, status=202, headers={"Location": journey_path(snapshot.record.id)})
    if snapshot.record.phase in TERMINAL_PHASES:
        return _json(outcome_body(snapshot))
    return _json(status_body(snapshot))


async def get_status(request: web.Request) -> web.Response:
    return _json(status_body(await request.app[ENGINE].get(request.match_info["journeyId"])))


async def get_result(request: web.Request) -> web.Response:
    wait = _number_param(request, "waitSeconds", default=0.0, maximum=MAX_LONG_POLL_SECONDS)
    snapshot = await request.app[ENGINE].result(request.match_info["journeyId"], wait_seconds=wait)
    return _json(outcome_body(snapshot))


async def get_history(request: web.Request) -> web.Response:
    transitions = await request.app[ENGINE].history(request.match_info["journeyId"])
    return _json({"journeyId": request.match_info["journeyId"], "items": [transition_body(t) for t in transitions]})


async def submit_step(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    journey_id, step_id = request.match_info["journeyId"], request.match_info["stepId"]
    body = await _read_json(request)
    snapshot = await engine.submit(journey_id, step_id, body, _inbound(request))
    return _json(status_body(snapshot))


async def cancel_journey(request: web.Request) -> web.Response:
    snapshot = await request.app[ENGINE].cancel(request.match_info["journeyId"])
    return _json(outcome_body(snapshot))


async def list_journeys(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    journey_name = request.query.get("journeyName") or None
    phase = _phase_param(request)
    limit = int(
        _number_param(request, "limit", default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE, minimum=1, integer=True)
    )
    after = _decode_page_token(request.query.get("pageToken"))
    snapshots = await engine.list(journey_name=journey_name, phase=phase, limit=limit + 1, after=after)
    page, more = snapshots[:limit], len(snapshots) > limit
    body: dict[str, Any] = {"items": [status_body(s) for s in page], "nextPageToken": None}
    if more and page:
        last = page[-1].record
        body["nextPageToken"] = _encode_page_token(last.created_at, last.id)
    return _json(body)


def _phase_param(request: web.Request) -> str | None:
    value = request.query.get("phase")
    if not value:
        return None
    for phase in PHASES:
        if value.lower() == phase.lower():
            return phase
    raise ProblemError(
        400, "invalid-query", "Invalid query parameter", f"phase must be one of {', '.join(PHASES)}, got '{value}'"
    )


def _number_param(
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


def _encode_page_token(created_at: datetime, journey_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([created_at.isoformat(), journey_id])).decode()


def _decode_page_token(token: str | None) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        created, journey_id = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        return datetime.fromisoformat(created), str(journey_id)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as error:
        detail = "pageToken is not a token this API issued"
        raise ProblemError(400, "invalid-query", "Invalid query parameter", detail) from error


def add_routes(app: web.Application) -> None:
    app.router.add_post(f"{API_PREFIX}/journeys/{{journeyName}}/start", start_journey)
    app.router.add_get(f"{API_PREFIX}/journeys", list_journeys)
    app.router.add_get(f"{API_PREFIX}/journeys/{{journeyId}}", get_status)
    app.router.add_get(f"{API_PREFIX}/journeys/{{journeyId}}/result", get_result)
    app.router.add_get(f"{API_PREFIX}/journeys/{{journeyId}}/history", get_history)
    app.router.add_post(f"{API_PREFIX}/journeys/{{journeyId}}/steps/cancel", cancel_journey)
    app.router.add_post(f"{API_PREFIX}/journeys/{{journeyId}}/steps/{{stepId}}", submit_step)
