"""Request bodies that steer a journey along one path, found by running the journey's own interpreter.

For each request of a workflow (the start, then each step submission) a body is chosen so that the journey
stops where the path says: at the next step, or at the path's end state. Candidates are the schema example,
then the example with one or two fields changed to values that can flip a choice (`body_candidates`). Each
candidate that validates against the schema is run through the real interpreter, with every API-key profile
simulated, so any predicate language and any transform is handled exactly; the first candidate that ends
where wanted is kept. Step fields are also pre-filled from same-named context values (a callback echoes the
payment id it reports on; `order_id` is filled from `orderId`), so bodies read naturally.

Outbound HTTP calls are answered with a simulated `200 {}`: a path that needs a downstream failure (or a
particular downstream answer) is not steerable from the request bodies alone.

Best effort: values that depend on time, on secrets or on anything the candidates do not cover may not be
found; the call is then marked `steered=False` and keeps the schema example. A path that needs a rejected
credential is steered with a wrong key (an auth branch that loops back to the step is not a path at all).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from journeys.contracts.body_candidates import Candidates, correlated
from journeys.contracts.journey_paths import JourneyPath
from journeys.contracts.schema_examples import example_value
from journeys.credentials.jwt_keys import JwtKeys
from journeys.definitions.auth_tasks import JwtValidateTask, MtlsValidateTask
from journeys.definitions.model import (
    ApiKeyValidateTask,
    ExternalInputState,
    JourneyDefinition,
    TaskState,
)
from journeys.engine.api_keys import ApiKey, ApiKeyProfile
from journeys.engine.auth_checks import CredentialProfiles
from journeys.engine.interpreter import Interpreter
from journeys.engine.jwt_checks import JwtProfile
from journeys.engine.lifecycle import RUNNING, TERMINAL_PHASES
from journeys.engine.mtls_checks import MtlsProfile
from journeys.engine.outbound import OutboundResponse
from journeys.engine.runs import NO_REQUEST, InboundRequest, Run

SIMULATED_KEY = "journeys-export-simulated-key"
WRONG_KEY = "not-a-valid-key"
SIMULATED_NOW = datetime(2026, 1, 1, tzinfo=UTC)
SIMULATED_RESPONSE = OutboundResponse(200, {"Content-Type": "application/json"}, b"{}")
MAX_ATTEMPTS = 2_000  # simulated candidates per request


@dataclass(frozen=True, slots=True)
class AuthParameter:
    """A key the journey's `apiKeyValidate` task reads while processing a request."""

    location: Literal["header", "query"]
    name: str
    profile: str


@dataclass(frozen=True, slots=True)
class Call:
    """One request of a workflow: the start (`step_id` None) or a submission to step `step_id`."""

    step_id: str | None
    body: Any
    target: str  # the state the journey stops at after this request: the next step or the end state
    auth: tuple[AuthParameter, ...]
    valid_key: bool
    steered: bool  # the interpreter confirmed that `body` (with the key) takes the journey to `target`


Adjust = Callable[[Call, Any, Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Plan:
    path: JourneyPath
    calls: tuple[Call, ...]
    outcome: Mapping[str, Any] | None  # the simulated outcome, when every call was steered

    @property
    def steered(self) -> bool:
        return all(call.steered for call in self.calls)


class Steering:
    """Plans the requests of workflows over one definition."""

    def __init__(self, definition: JourneyDefinition) -> None:
        self.definition = definition
        tasks = [
            state.task
            for state in definition.states.values()
            if isinstance(state, TaskState) and isinstance(state.task, ApiKeyValidateTask)
        ]
        profiles = {
            task.profile: ApiKeyProfile(
                task.profile, (ApiKey("simulated", SIMULATED_KEY.encode()),), "header", task.source_name or "X-Api-Key"
            )
            for task in tasks
        }
        self._interpreter = Interpreter(
            definition, profiles, {"environment": "export"}, credentials=_anonymous_credentials(definition)
        )
        self._requests = {valid: self._request(tasks, profiles, valid) for valid in (True, False)}
        self._candidates = Candidates(definition)

    def plan(self, path: JourneyPath) -> Plan:
        """Choose every request of `path` in order; each starts from the context the previous one left."""
        calls: list[Call] = []
        context: dict[str, Any] = {}
        run: Run | None = None
        for step_id, target in zip((None, *path.steps), path.segment_targets(), strict=True):
            call, run = self._choose(step_id, target, context)
            calls.append(call)
            context = run.context
        plan_outcome = run.outcome if run is not None and all(c.steered for c in calls) else None
        return Plan(path, tuple(calls), plan_outcome)

    def with_bodies(self, plan: Plan, bodies: Sequence[Any], adjust: Adjust | None = None) -> Plan | None:
        """`plan` with other request bodies, if the schemas accept them and every call the plan steered still
        takes the journey where it did (None otherwise); calls that were not steered keep their verdict.
        `adjust` may change each body just before it is sent, knowing the journey's context at that moment."""
        calls: list[Call] = []
        context: dict[str, Any] = {}
        run: Run | None = None
        for call, body in zip(plan.calls, bodies, strict=True):
            if adjust is not None:
                body = adjust(call, body, context)
            step = self.definition.external_input(call.step_id) if call.step_id else None
            schema = step.input_schema if step else self.definition.input_schema
            if (schema is not None and schema.errors(body)) or (step is None and not isinstance(body, dict)):
                return None
            run = self._simulate(step, body, context, call.valid_key)
            reached = self._reached(run, call.target)
            if call.steered and not reached:
                return None
            calls.append(Call(call.step_id, body, call.target, call.auth, call.valid_key, reached))
            context = run.context
        plan_outcome = run.outcome if run is not None and all(c.steered for c in calls) else None
        return Plan(plan.path, tuple(calls), plan_outcome)

    def _choose(self, step_id: str | None, target: str, context: dict[str, Any]) -> tuple[Call, Run]:
        step = self.definition.external_input(step_id) if step_id else None
        schema = step.input_schema if step else self.definition.input_schema
        raw = dict(schema.raw) if schema is not None else {"type": "object"}
        base = correlated(example_value(raw), raw, context, schema)
        if step is None and not isinstance(base, dict):  # the engine only starts from an object
            base = {}
        fallback: tuple[Call, Run] | None = None
        for attempt, body in enumerate(self._candidates(raw, base, context, schema)):
            if attempt == MAX_ATTEMPTS:
                break
            for valid in (True, False):
                run = self._simulate(step, body, context, valid)
                reached = self._reached(run, target)
                if reached or fallback is None:
                    call = Call(step_id, body, target, self._auth_parameters(run), valid, steered=reached)
                    if reached:
                        return call, run
                    fallback = (call, run)
        if fallback is None:  # not even the example is valid: keep it anyway, the server will say why
            run = self._simulate(step, base, context, True)
            fallback = (Call(step_id, base, target, self._auth_parameters(run), True, steered=False), run)
        return fallback

    def _simulate(self, step: ExternalInputState | None, body: Any, context: Mapping[str, Any], valid: bool) -> Run:
        definition = self.definition
        if step is None:
            run = Run("export", definition.start, copy.deepcopy(body), SIMULATED_NOW)
            # An async start runs in the background without the request's headers (docs/dsl.md).
            request = NO_REQUEST if definition.start_mode == "async" else self._requests[valid]
            self._advance(run, definition.start, request)
            return run
        run = Run("export", step.id, copy.deepcopy(dict(context)), SIMULATED_NOW)
        run.context["payload"] = copy.deepcopy(body)
        self._advance(run, step.next, self._requests[valid])
        return run

    def _advance(self, run: Run, state_id: str, request: InboundRequest) -> None:
        """Advance like the engine does, answering every outbound call with SIMULATED_RESPONSE."""
        self._interpreter.advance(run, state_id, request, SIMULATED_NOW)
        while run.pending_call is not None:
            call, run.pending_call = run.pending_call, None
            outcome = None if call.notify else SIMULATED_RESPONSE
            self._interpreter.resume_after_call(run, call, outcome, request, SIMULATED_NOW)

    def _reached(self, run: Run, target: str) -> bool:
        if run.state != target:
            return False
        if isinstance(self.definition.states[target], ExternalInputState):
            return run.phase == RUNNING and run.waiting
        return run.phase in TERMINAL_PHASES

    def _auth_parameters(self, run: Run) -> tuple[AuthParameter, ...]:
        """The keys checked while processing the request: the auth tasks the run went through."""
        found: dict[tuple[str, str], AuthParameter] = {}
        for state_id in run.path:
            state = self.definition.states.get(state_id)  # None: a state of a parallel branch
            task = state.task if isinstance(state, TaskState) else None
            if isinstance(task, ApiKeyValidateTask) and task.source_name:
                location = task.source_location or "header"
                found.setdefault((location, task.source_name), AuthParameter(location, task.source_name, task.profile))
        return tuple(found.values())

    @staticmethod
    def _request(
        tasks: Sequence[ApiKeyValidateTask], profiles: Mapping[str, ApiKeyProfile], valid: bool
    ) -> InboundRequest:
        key = SIMULATED_KEY if valid else WRONG_KEY
        headers: dict[str, str] = {}
        query: dict[str, str] = {}
        for task in tasks:
            name = task.source_name or profiles[task.profile].source_name or ""
            (query if task.source_location == "query" else headers)[name] = key
        return InboundRequest(headers=headers, query=query)


def _anonymous_credentials(definition: JourneyDefinition) -> CredentialProfiles:
    """Profiles for the journey's JWT and mTLS tasks that the simulation never satisfies: it presents no token and
    no certificate, so those tasks leave their MISSING problem (paths that need them are not steered)."""
    tasks = [state.task for state in definition.states.values() if isinstance(state, TaskState)]
    keys = JwtKeys(algorithms=("HS256",), secrets=(SIMULATED_KEY.encode(),))
    return CredentialProfiles(
        jwt={task.profile: JwtProfile(task.profile, keys) for task in tasks if isinstance(task, JwtValidateTask)},
        mtls={task.profile: MtlsProfile(task.profile) for task in tasks if isinstance(task, MtlsValidateTask)},
    )
