"""Handlers of the Journeys API (`/api/v1`). They translate HTTP to engine calls and back, nothing more."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from journeys.engine import Answer, InboundMessage, InboundRequest, Receipt, Snapshot
from journeys.engine.lifecycle import PHASES, TERMINAL_PHASES
from journeys.server.app_keys import ENGINE
from journeys.server.problems import ProblemError
from journeys.server.query_params import next_page_token, number_param, page_params, text_param
from journeys.server.representations import (
    API_PREFIX,
    journey_path,
    outcome_body,
    start_accepted_body,
    status_body,
    transition_body,
)

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


async def inbound_message(request: web.Request) -> InboundMessage:
    """The request as the inbound desk reads it: raw bytes (what signatures cover), headers, media type."""
    media_type = request.content_type if "Content-Type" in request.headers else ""
    return InboundMessage(await request.read(), request.headers, request.query, media_type.lower())


def receipt_response(receipt: Receipt) -> web.Response:
    """The receipt's answer as stored (a retry gets the same bytes), with the verdict in headers."""
    answer = receipt.answer
    headers = {"Journeys-Delivery-Verdict": receipt.verdict, "Journeys-Delivery-Id": receipt.delivery_id}
    response = web.Response(status=answer.status, text=answer.body, headers=headers)
    response.content_type = answer.content_type or "text/plain"
    return response


def _status_answer(snapshot: Snapshot) -> Answer:
    return Answer(200, "application/json", orjson.dumps(status_body(snapshot)).decode())


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
    wait = number_param(request, "waitSeconds", default=0.0, maximum=MAX_LONG_POLL_SECONDS)
    snapshot = await request.app[ENGINE].result(request.match_info["journeyId"], wait_seconds=wait)
    return _json(outcome_body(snapshot))


async def get_history(request: web.Request) -> web.Response:
    transitions = await request.app[ENGINE].history(request.match_info["journeyId"])
    return _json({"journeyId": request.match_info["journeyId"], "items": [transition_body(t) for t in transitions]})


async def submit_step(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    journey_id, step_id = request.match_info["journeyId"], request.match_info["stepId"]
    message = await inbound_message(request)
    return receipt_response(await engine.inbound.submit_step(journey_id, step_id, message, _status_answer))


async def cancel_journey(request: web.Request) -> web.Response:
    snapshot = await request.app[ENGINE].cancel(request.match_info["journeyId"])
    return _json(outcome_body(snapshot))


async def list_journeys(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    journey_name = text_param(request, "journeyName")
    phase = _phase_param(request)
    limit, after = page_params(request)
    snapshots = await engine.list(journey_name=journey_name, phase=phase, limit=limit + 1, after=after)
    token = next_page_token(snapshots, limit, lambda s: (s.record.created_at, s.record.id))
    return _json({"items": [status_body(s) for s in snapshots[:limit]], "nextPageToken": token})


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


def add_routes(app: web.Application) -> None:
    app.router.add_post(f"{API_PREFIX}/journeys/{{journeyName}}/start", start_journey)
    app.router.add_get(f"{API_PREFIX}/journeys", list_journeys)
    app.router.add_get(f"{API_PREFIX}/journeys/{{journeyId}}", get_status)
    app.router.add_get(f"{API_PREFIX}/journeys/{{journeyId}}/result", get_result)
    app.router.add_get(f"{API_PREFIX}/journeys/{{journeyId}}/history", get_history)
    app.router.add_post(f"{API_PREFIX}/journeys/{{journeyId}}/steps/cancel", cancel_journey)
    app.router.add_post(f"{API_PREFIX}/journeys/{{journeyId}}/steps/{{stepId}}", submit_step)
