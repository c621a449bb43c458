"""Handlers of the Journeys API (`/api/v1`). They translate HTTP to engine calls and back, nothing more."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from journeys.engine import Answer, IdempotencyKeyReused, InboundMessage, InboundRequest, Receipt, Snapshot
from journeys.engine.lifecycle import PHASES
from journeys.http_api import API_PREFIX, MAX_LONG_POLL_SECONDS
from journeys.server.answers import answer_response
from journeys.server.app_keys import ENGINE
from journeys.server.auth import Access, guard, owner_of, principal_name, reader_of
from journeys.server.declared_length import add_post
from journeys.server.instance_fields import with_instance_metadata
from journeys.server.problems import ProblemError
from journeys.server.query_params import (
    instant_param,
    key_params,
    next_page_token,
    number_param,
    page_params,
    tag_params,
    text_param,
)
from journeys.server.representations import (
    outcome_body,
    status_body,
    transition_body,
    versions_body,
)
from journeys.server.request_bodies import read_body, read_json
from journeys.server.start_answers import idempotency_key, start_renderer, start_response
from journeys.server.tls import client_certificates


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json", headers=headers)


def inbound_request(request: web.Request) -> InboundRequest:
    """What auth tasks read of a start or an API call: headers, query, the client certificate."""
    return InboundRequest(request.headers, request.query, client_certificates=client_certificates(request))


async def inbound_message(request: web.Request) -> InboundMessage:
    """The request as the inbound desk reads it: raw bytes (what signatures cover), headers, media type."""
    media_type = request.content_type if "Content-Type" in request.headers else ""
    body = await read_body(request)
    return InboundMessage(body, request.headers, request.query, media_type.lower(), client_certificates(request))


def receipt_response(receipt: Receipt) -> web.Response:
    """The receipt's answer as stored (a retry gets the same bytes), with the verdict in headers."""
    verdict = {"Journeys-Delivery-Verdict": receipt.verdict, "Journeys-Delivery-Id": receipt.delivery_id}
    return answer_response(receipt.answer, verdict)


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
    key, render = idempotency_key(request), start_renderer(request)
    body = await read_json(request)
    try:
        started = await engine.start(
            name, body, inbound_request(request), principal=principal_name(request), idempotency_key=key, answer=render
        )
    except IdempotencyKeyReused as error:
        raise ProblemError(422, "idempotency-key-reused", "Idempotency key reused", error.detail) from error
    return start_response(started, render)


# A principal that is not an operator is given only the journeys it started (`owner_of`): to it, the others'
# are not found, as if absent, so it cannot even learn which ids exist.


async def get_status(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    snapshot = await engine.get(request.match_info["journeyId"], owner=reader_of(request))
    return _json(await with_instance_metadata(engine, snapshot, status_body(snapshot)))


async def get_result(request: web.Request) -> web.Response:
    wait = number_param(request, "waitSeconds", default=0.0, maximum=MAX_LONG_POLL_SECONDS)
    journey_id = request.match_info["journeyId"]
    snapshot = await request.app[ENGINE].result(journey_id, wait_seconds=wait, owner=reader_of(request))
    return _json(await with_instance_metadata(request.app[ENGINE], snapshot, outcome_body(snapshot)))


async def get_history(request: web.Request) -> web.Response:
    transitions = await request.app[ENGINE].history(request.match_info["journeyId"], owner=reader_of(request))
    return _json({"journeyId": request.match_info["journeyId"], "items": [transition_body(t) for t in transitions]})


async def submit_step(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    journey_id, step_id = request.match_info["journeyId"], request.match_info["stepId"]
    message = await inbound_message(request)
    return receipt_response(await engine.inbound.submit_step(journey_id, step_id, message, _status_answer))


async def cancel_journey(request: web.Request) -> web.Response:
    journey_id, by = request.match_info["journeyId"], principal_name(request)
    snapshot = await request.app[ENGINE].cancel(journey_id, owner=owner_of(request), by=by)
    return _json(outcome_body(snapshot))


async def list_journeys(request: web.Request) -> web.Response:
    limit, after = page_params(request)
    snapshots = await request.app[ENGINE].list(limit=limit + 1, after=after, **journey_filters(request))
    token = next_page_token(snapshots, limit, lambda s: (s.record.created_at, s.record.id))
    return _json({"items": [status_body(s) for s in snapshots[:limit]], "nextPageToken": token})


def journey_filters(request: web.Request) -> dict[str, Any]:
    """The list filters of the query (the fields of the engine's JourneyFilter), within what the caller may read."""
    return {
        "journey_name": text_param(request, "journeyName"),
        "journey_version": text_param(request, "journeyVersion"),
        "phase": _phase_param(request),
        "current_state": text_param(request, "currentState"),
        "keys": {**key_params(request), **tag_params(request)},
        "started_after": instant_param(request, "startedAfter"),
        "started_before": instant_param(request, "startedBefore"),
        "updated_after": instant_param(request, "updatedAfter"),
        "updated_before": instant_param(request, "updatedBefore"),
        "started_by": reader_of(request),
    }


async def list_versions(request: web.Request) -> web.Response:
    """The stored versions of a journey. The counts cover every owner's journeys: an operator's view of what runs
    by each version, which a `journeys:read` client sees too (numbers, never ids)."""
    name = request.match_info["journeyName"]
    return _json(versions_body(name, await request.app[ENGINE].versions.stored(name)))


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
    """The journey routes, each with the credential it needs (`auth.policy`)."""
    journeys, journey = f"{API_PREFIX}/journeys", f"{API_PREFIX}/journeys/{{journeyId}}"
    # aiohttp tries the routes under /journeys one after the other, in this order: the busiest come first (a step
    # submission, a start, a result), and `steps/cancel` before the `steps/{stepId}` it would otherwise fall into.
    guard(app, add_post(app, f"{journey}/steps/cancel", cancel_journey), Access.CANCEL)
    # Submissions are checked by the step itself (its auth task, its source's verification), not by client.
    guard(app, add_post(app, f"{journey}/steps/{{stepId}}", submit_step), Access.DELIVERY)
    guard(app, add_post(app, f"{journeys}/{{journeyName}}/start", start_journey), Access.START)
    guard(app, app.router.add_get(f"{journey}/result", get_result), Access.READ)
    guard(app, app.router.add_get(journey, get_status), Access.READ)
    guard(app, app.router.add_get(journeys, list_journeys), Access.READ)
    # A name and an id share the first segment; `versions` is no sub-resource of a journey id, so no id route
    # can take this path, nor this route theirs.
    guard(app, app.router.add_get(f"{journeys}/{{journeyName}}/versions", list_versions), Access.READ)
    guard(app, app.router.add_get(f"{journey}/history", get_history), Access.READ)
