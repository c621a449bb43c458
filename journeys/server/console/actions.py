"""What an operator can do to a journey from its page: cancel it, retry a failed one from a chosen state, and
submit the step it waits at on behalf of a caller whose callback was lost.

Each is a form post (`visits.action`: same-origin, CSRF token, operator scope) that the engine records in the
journey's history with who did it (the signed-in principal) and why (the reason typed into the form, required).
A done action redirects to the journey's page with a flash message (post/redirect/get); so does a refused cancel
or retry, with the engine's reason. A refused submission shows the page again with the body as typed and every
validation error of the step's schema, so nothing has to be typed twice.
"""

from __future__ import annotations

from urllib.parse import quote

import orjson
from aiohttp import web

from journeys.engine import EngineError, InvalidInput
from journeys.server.app_keys import ENGINE
from journeys.server.console.journey_view import Submission, render_journey
from journeys.server.console.rendering import CONSOLE
from journeys.server.console.visits import Flash, Form, Visit

MAX_REASON = 500


def journey_location(journey_id: str) -> str:
    return f"{CONSOLE}/journeys/{quote(journey_id, safe='')}"


def _reason(form: Form) -> str | None:
    """The operator's reason, trimmed; None when missing (every action needs one: it is the history's why)."""
    reason = " ".join(form.get("reason", "").split())[:MAX_REASON]
    return reason or None


def _back(visit: Visit, flash: Flash) -> web.Response:
    return visit.redirect(journey_location(visit.request.match_info["journeyId"]), flash)


NO_REASON = Flash("error", "Nothing was done: give a reason; it is recorded in the journey's history.")


async def cancel(visit: Visit, form: Form) -> web.Response:
    reason = _reason(form)
    if reason is None:
        return _back(visit, NO_REASON)
    journey_id = visit.request.match_info["journeyId"]
    try:
        snapshot = await visit.request.app[ENGINE].cancel(journey_id, by=visit.viewer.name, reason=reason)
    except EngineError as error:
        return _back(visit, Flash("error", f"Not cancelled: {error.detail}"))
    return _back(visit, Flash("ok", f"Cancelled: the journey is {snapshot.record.phase}."))


async def retry(visit: Visit, form: Form) -> web.Response:
    reason, state = _reason(form), form.get("state", "")
    if reason is None:
        return _back(visit, NO_REASON)
    journey_id = visit.request.match_info["journeyId"]
    try:
        interventions = visit.request.app[ENGINE].interventions
        snapshot = await interventions.retry(journey_id, state, by=visit.viewer.name, reason=reason)
    except EngineError as error:
        return _back(visit, Flash("error", f"Not retried: {error.detail}"))
    record = snapshot.record
    return _back(visit, Flash("ok", f"Retried from {state}: the journey is {record.phase} at {record.current_state}."))


async def submit(visit: Visit, form: Form) -> web.Response:
    journey_id = visit.request.match_info["journeyId"]
    text, reason, step = form.get("body", ""), _reason(form), form.get("step", "")

    def refused(problem: str, errors: tuple[str, ...] = ()) -> Submission:
        return Submission(text, form.get("reason", ""), problem, errors)

    if reason is None:
        return await render_journey(visit, journey_id, refused(NO_REASON.text))
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        problem = f"Nothing was submitted: the body is not JSON ({error})."
        return await render_journey(visit, journey_id, refused(problem))
    engine = visit.request.app[ENGINE]
    try:
        snapshot = await engine.interventions.submit_for(journey_id, step, body, by=visit.viewer.name, reason=reason)
    except InvalidInput as error:
        problem = f"Nothing was submitted: {error.detail}"
        return await render_journey(visit, journey_id, refused(problem, tuple(error.errors)))
    except EngineError as error:
        return await render_journey(visit, journey_id, refused(f"Nothing was submitted: {error.detail}"))
    record = snapshot.record
    done = f"Submitted {step} on behalf of its caller: the journey is {record.phase} at {record.current_state}."
    return _back(visit, Flash("ok", done))
