"""A journey's page (`/console/journeys/{journeyId}`): everything needed to see why it is where it is.

The state diagram of the version it runs by, with the current state highlighted and the path it took drawn over
it; its business keys; the context after its last transition; its history with, for every transition, the event,
the request body that caused it and the context after it (both as the engine stored them: redacted as the
definition says); the inbound deliveries logged for it with their verdicts; its outcome; and, for operators, the
actions that apply to its phase (cancel a running one, retry a failed one, submit the step it waits at).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from markupsafe import Markup

from journeys.contracts.diagram import render_diagram
from journeys.contracts.schema_examples import example_value
from journeys.definitions.model import ChoiceState, FailState, JourneyDefinition
from journeys.engine import JourneyNotFound, Snapshot
from journeys.engine.lifecycle import FAILED, RUNNING, TERMINAL_PHASES
from journeys.engine.parallel_runs import open_steps
from journeys.engine.trail import states_walked
from journeys.server.app_keys import ENGINE
from journeys.server.console.rendering import pretty, refusal, timestamp
from journeys.server.console.visits import Visit
from journeys.store import TransitionRecord

DELIVERIES_SHOWN = 100


@dataclass(frozen=True, slots=True)
class Submission:
    """What an operator typed into the submit form, shown again with the engine's refusal (nothing was lost)."""

    body: str
    reason: str
    problem: str
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Actions:
    """Which actions the page offers (operators only), and what their forms start with."""

    cancel: bool
    retry_states: tuple[str, ...]  # empty: no retry
    retry_default: str | None
    submit_step: str | None
    submit_example: str
    submit_schema: str


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """A transition as its table row shows it, formatted once here: a journey may have thousands of them, and a
    template renders plain values far faster than it calls filters and macros for each."""

    seq: int
    at: str
    event: str
    moved: str  # "from → to"
    via: str  # the states the advance walked, when it walked more than where it stopped
    phase: str
    detail: str
    request: str | None
    context: str | None


def history_row(transition: TransitionRecord) -> HistoryRow:
    return HistoryRow(
        seq=transition.seq,
        at=timestamp(transition.at),
        event=transition.event,
        moved=f"{transition.from_state or ''} → {transition.to_state}",
        via=" → ".join(transition.path) if len(transition.path) > 1 else "",
        phase=transition.phase,
        detail=pretty(transition.detail) if transition.detail else "",
        request=None if transition.request is None else pretty(transition.request),
        context=None if transition.context is None else pretty(transition.context),
    )


def _retry_default(definition: JourneyDefinition, walked: list[str]) -> str | None:
    """The state a failed journey most likely needs to run again: the last it walked that does something (not the
    `fail` state it ended in, nor a `choice` that only routed a failed call's result there)."""
    for state_id in reversed(walked):
        if not isinstance(definition.states.get(state_id), FailState | ChoiceState | None):
            return state_id
    return None


def actions_for(snapshot: Snapshot, walked: list[str], operator: bool) -> Actions | None:
    record, definition = snapshot.record, snapshot.definition
    if not operator or definition is None:
        return None
    open_now = open_steps(record, definition)  # several in a parallel: the form offers the latest
    step = definition.external_input(open_now[0]) if open_now else None
    return Actions(
        cancel=record.phase == RUNNING and definition.cancellable,
        retry_states=tuple(definition.states) if record.phase == FAILED else (),
        retry_default=_retry_default(definition, walked),
        submit_step=step.id if step else None,
        submit_example=pretty(example_value(step.input_schema.raw)) if step else "",
        submit_schema=pretty(step.input_schema.raw) if step else "",
    )


def diagram(snapshot: Snapshot, walked: list[str]) -> Markup | None:
    """The SVG (its text escaped by the diagram writer); None when the journey's version no longer compiles."""
    if snapshot.definition is None:
        return None
    return Markup(render_diagram(snapshot.definition, snapshot.record.current_state, walked))


def current_context(history: list[TransitionRecord]) -> Any:
    """The context as the last transition left it, redacted as stored (the live row is not: it is never shown)."""
    return history[-1].context if history else None


async def render_journey(visit: Visit, journey_id: str, submission: Submission | None = None) -> web.Response:
    engine = visit.request.app[ENGINE]
    try:
        snapshot = await engine.get(journey_id)
    except JourneyNotFound as error:
        return refusal(visit.request, 404, "Journey not found", error.detail, "journey-not-found")
    history = await engine.history(journey_id)
    deliveries = await engine.inbound_log.page(
        source=None, verdict=None, journey_id=journey_id, limit=DELIVERIES_SHOWN + 1, after=None
    )
    walked = states_walked(history)
    return visit.render(
        "journey.html",
        422 if submission is not None else 200,
        snapshot=snapshot,
        record=snapshot.record,
        terminal=snapshot.record.phase in TERMINAL_PHASES,
        keys=await engine.search_keys(journey_id),
        diagram=diagram(snapshot, walked),
        history=[history_row(transition) for transition in history],
        context=current_context(history),
        deliveries=deliveries[:DELIVERIES_SHOWN],
        more_deliveries=len(deliveries) > DELIVERIES_SHOWN,
        actions=actions_for(snapshot, walked, visit.viewer.operator),
        submission=submission,
        now=engine.clock(),
    )


async def journey_page(visit: Visit) -> web.Response:
    return await render_journey(visit, visit.request.match_info["journeyId"])
