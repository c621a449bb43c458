"""`kind: Api` endpoints (DSL 2.2.2, ADR-0004): one request runs the graph from `spec.start` to its end, in memory.

Nothing is stored: no journey row, no history, no definition version (only the entries and records its `cache:v1`
and `kafkaPublish:v1` tasks make, written before the answer). An invocation has no id the caller could
use (there is nothing to read back), and keeping its context would keep whatever the request carried. The run gets
an internal id only so that its outbound calls send stable `Idempotency-Key`s, as a journey's do. The load refused
every state that could pause, so the run always ends (a call's retry backoff is slept in the request);
`spec.execution.maxDurationSec` bounds how long it may take.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from journeys.definitions.http_bindings import ApiResponses
from journeys.definitions.model import JourneyDefinition
from journeys.engine.api_answers import ApiAnswer, api_answer
from journeys.engine.errors import EngineError
from journeys.engine.ids import time_ordered_id
from journeys.engine.interpreter import Interpreter
from journeys.engine.lifecycle import TERMINAL_PHASES
from journeys.engine.request_bindings import bind_to_context, request_bindings
from journeys.engine.runs import InboundRequest, Run
from journeys.engine.starts import check_start_body

if TYPE_CHECKING:
    from journeys.engine.service import JourneyEngine

APIS_PATH = "/apis/"
EXECUTION_TIMEOUT = "EXECUTION_TIMEOUT"


class UnknownApi(EngineError):
    """No loaded `kind: Api` is served at this path."""


def split_kinds(
    definitions: Mapping[str, JourneyDefinition],
) -> tuple[dict[str, JourneyDefinition], dict[str, JourneyDefinition]]:
    """(journeys, apis) of a loaded set: journeys are stored and versioned, apis only served."""
    journeys = {name: d for name, d in definitions.items() if d.kind == "Journey"}
    return journeys, {name: d for name, d in definitions.items() if d.kind == "Api"}


class ApiEndpoints:
    """The loaded Apis, by the last segment of the path they are served at (`/apis/{name}`, `route.path`)."""

    def __init__(
        self,
        engine: JourneyEngine,
        definitions: Iterable[JourneyDefinition],
        interpreter_of: Callable[[JourneyDefinition], Interpreter],
    ) -> None:
        self._engine = engine
        self._interpreter_of = interpreter_of
        self.replace(definitions)

    def replace(self, definitions: Iterable[JourneyDefinition]) -> None:
        """Serve `definitions` from now on (a reload); an invocation in flight finishes with what it began with."""
        by_segment: dict[str, Interpreter] = {}
        for definition in definitions:
            interpreter = self._interpreter_of(definition)
            by_segment[definition.name] = interpreter
            route = definition.http_bindings.route_path if definition.http_bindings else None
            if route is not None:
                by_segment[route.removeprefix(APIS_PATH)] = interpreter
        self._by_segment = by_segment
        self.definitions: Mapping[str, JourneyDefinition] = {
            i.definition.name: i.definition for i in by_segment.values()
        }

    def find(self, segment: str) -> JourneyDefinition | None:
        """The Api served at `/apis/{segment}`: by its route, or by its name."""
        interpreter = self._by_segment.get(segment)
        return interpreter.definition if interpreter is not None else None

    async def invoke(self, segment: str, body: Any, request: InboundRequest) -> ApiAnswer:
        """Run the Api at `/apis/{segment}` with `body` as its context; InvalidInput when the body does not fit."""
        interpreter = self._by_segment.get(segment)
        if interpreter is None:
            raise UnknownApi(f"no API is served at {APIS_PATH}{segment}")
        definition = interpreter.definition
        check_start_body(definition, body)
        engine = self._engine
        now = engine.clock()
        run = Run(time_ordered_id(), definition.start, body, now)
        bind_to_context(request_bindings(definition, None), run.context, request)
        await self._run(interpreter, run, definition.start, request)
        if run.phase not in TERMINAL_PHASES:  # the load refuses every pause; never answer a half-run as success
            interpreter.fail(run, "API_DID_NOT_END", f"the API stopped at '{run.state}' without ending")
        if run.side_effects:  # its cache puts and Kafka records, written before the answer as a journey's are
            await engine.store.write_side_effects(run.side_effects)
        mapping = definition.http_bindings.api_responses if definition.http_bindings else ApiResponses()
        return api_answer(definition.name, run, mapping)

    async def _advance(self, interpreter: Interpreter, run: Run, state: str, request: InboundRequest) -> None:
        """Advance to the end. A call's retry backoff (`spec.policies`), which a journey waits out as a stored
        timer, is slept here, inside the request: then the call is made again, with the same idempotency key."""
        engine = self._engine
        await engine.advance(interpreter, run, state, request, engine.clock())
        while run.waiting and (timer := run.timers.pop("retry", None)) is not None:
            await asyncio.sleep(max(0.0, (timer.fires_at - engine.clock()).total_seconds()))
            run.waiting, run.attempt, run.call_key = False, timer.attempt, timer.key
            await engine.advance(interpreter, run, timer.state, request, engine.clock())

    async def _run(self, interpreter: Interpreter, run: Run, state: str, request: InboundRequest) -> None:
        """Advance to the end within `spec.execution` (when declared): out of time, the run fails as it says, or
        goes on at its `onTimeout.next` (with one more budget of the same length, then it fails)."""
        execution = interpreter.definition.execution
        if execution is None:
            await self._advance(interpreter, run, state, request)
            return
        for attempt in range(2):
            try:
                async with asyncio.timeout(execution.max_duration_sec):
                    await self._advance(interpreter, run, state, request)
                return
            except TimeoutError:
                run.pending_call = None
                if execution.next is not None and attempt == 0:
                    state = execution.next
                    continue
            code = execution.error_code or EXECUTION_TIMEOUT
            reason = execution.reason or f"the API did not finish within {execution.max_duration_sec} s"
            if run.phase not in TERMINAL_PHASES:
                interpreter.fail(run, code, reason)
            return
