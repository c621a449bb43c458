"""Request bodies that steer a journey along one path, found by running the journey's own interpreter.

For each request of a workflow (the start, then each step submission) a body is chosen so that the journey
stops where the path says: at the next step, or at the path's end state. Candidates are the schema example,
then the example with one or two fields changed to values that can flip a choice: the field schema's
`const`/`enum`/`examples`/`default`, `true`/`false`, the literals written in the choice predicates (and their
neighbours, for `<`/`>`), and the values already in the journey's context (for `payload.id == id`). Each
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
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from journeys.contracts.journey_paths import JourneyPath
from journeys.contracts.schema_examples import example_value, resolve, schema_types
from journeys.definitions.model import (
    ApiKeyValidateTask,
    ChoiceState,
    CompiledSchema,
    ExternalInputState,
    JourneyDefinition,
    TaskState,
)
from journeys.engine.api_keys import ApiKey, ApiKeyProfile
from journeys.engine.interpreter import NO_REQUEST, InboundRequest, Interpreter, Run
from journeys.engine.lifecycle import RUNNING, TERMINAL_PHASES
from journeys.engine.outbound import OutboundResponse

SIMULATED_KEY = "journeys-export-simulated-key"
WRONG_KEY = "not-a-valid-key"
SIMULATED_NOW = datetime(2026, 1, 1, tzinfo=UTC)
SIMULATED_RESPONSE = OutboundResponse(200, {"Content-Type": "application/json"}, b"{}")
MAX_ATTEMPTS = 2_000  # simulated candidates per request
MAX_FIELD_DEPTH = 3

_STRING_LITERAL = re.compile(r"'([^'\\]*)'|\"([^\"\\]*)\"")
_NUMBER_LITERAL = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_BOOLEAN_LITERAL = re.compile(r"\b(true|false)\b")


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
        self._interpreter = Interpreter(definition, profiles, {"environment": "export"})
        self._requests = {valid: self._request(tasks, profiles, valid) for valid in (True, False)}
        self._literals = _predicate_literals(definition)
        self._payload_paths = _predicate_payload_paths(definition)

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
        base = _correlated(example_value(raw), raw, context, schema)
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

    def _candidates(
        self, raw: Mapping[str, Any], base: Any, context: Mapping[str, Any], schema: CompiledSchema | None
    ) -> Iterator[Any]:
        """The base body, then bodies with one, then two fields changed; only those the schema accepts."""
        seen: set[str] = set()

        def fresh(body: Any) -> bool:
            key = json.dumps(body, sort_keys=True, default=str)
            if key in seen or (schema is not None and schema.errors(body)):
                return False
            seen.add(key)
            return True

        if fresh(base):
            yield base
        if not isinstance(base, dict):
            return
        scalars = list(_context_scalars(context))
        scalars += _numeric_neighbours(scalars)
        declared = list(_fields(raw, raw, (), 0))
        options = [(path, list(_field_values(leaf, self._literals, scalars))) for path, leaf in declared]
        # Fields the choices read that the schema does not declare (inside a free-form object).
        for path in self._payload_paths:
            # A declared field, or an object holding some: already among the options.
            covered = any(field[: len(path)] == path for field, _ in declared)
            if not covered and may_hold(raw, path):
                options.append((path, list(_field_values({}, self._literals, scalars))))
        for count in (1, 2):
            for chosen in itertools.combinations(options, count):
                for values in itertools.product(*(values for _, values in chosen)):
                    body = copy.deepcopy(base)
                    for (path, _), value in zip(chosen, values, strict=True):
                        _put(body, path, value)
                    if fresh(body):
                        yield body

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
            state = self.definition.states[state_id]
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


def _predicate_literals(definition: JourneyDefinition) -> list[Any]:
    """Literals written in the choice predicates, numbers with their neighbours (to cross `<` and `>`)."""
    values: list[Any] = []
    for state in definition.states.values():
        if not isinstance(state, ChoiceState):
            continue
        for branch in state.branches:
            source = branch.predicate.source
            values.extend(single or double for single, double in _STRING_LITERAL.findall(source))
            stripped = _STRING_LITERAL.sub("''", source)
            for number in _NUMBER_LITERAL.findall(stripped):
                value = float(number) if "." in number else int(number)
                values.extend((value, value + 1, value - 1))
            values.extend(word == "true" for word in _BOOLEAN_LITERAL.findall(stripped))
    return values


PAYLOAD_PATH = re.compile(r"\bpayload((?:\.[A-Za-z_]\w*)+)")
_NUMERIC_TEXT = re.compile(r"-?\d+(?:\.(\d+))?")


def _predicate_payload_paths(definition: JourneyDefinition) -> list[tuple[str, ...]]:
    """The body fields the choice predicates read (`payload.data.object.amount`), as paths, each once."""
    paths: dict[tuple[str, ...], None] = {}
    for state in definition.states.values():
        if isinstance(state, ChoiceState):
            for branch in state.branches:
                for match in PAYLOAD_PATH.finditer(_STRING_LITERAL.sub("''", branch.predicate.source)):
                    paths.setdefault(tuple(match[1].lstrip(".").split(".")))
    return list(paths)


def may_hold(raw: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    """Whether a body valid for `raw` may carry the undeclared field `path` (no `additionalProperties: false`
    and no other type on the way)."""
    schema: Any = raw
    for key in path:
        schema = resolve(schema, raw)
        if not isinstance(schema, Mapping) or "object" not in (schema_types(schema) or ["object"]):
            return False
        properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        if key not in properties:
            return schema.get("additionalProperties") is not False
        schema = properties[key]
    return False


def _numeric_neighbours(scalars: Sequence[Any]) -> list[str]:
    """For numbers written as text in the context (`"10000.00"`): the next one up, in the same form, so that a
    body can differ from them (an amount that does not match)."""
    neighbours = []
    for value in scalars:
        match = _NUMERIC_TEXT.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            continue
        decimals = len(match[1] or "")
        neighbours.append(f"{float(value) + 1:.{decimals}f}")
    return neighbours


def _fields(
    schema: Any, root: Mapping[str, Any], prefix: tuple[str, ...], depth: int
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    """(path, schema) of every declared scalar-ish field, nested objects included up to MAX_FIELD_DEPTH."""
    schema = resolve(schema, root)
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(properties, Mapping):
        return
    for name, field_schema in properties.items():
        field_schema = resolve(field_schema, root)
        if not isinstance(field_schema, Mapping):
            continue
        if isinstance(field_schema.get("properties"), Mapping) and depth < MAX_FIELD_DEPTH:
            yield from _fields(field_schema, root, (*prefix, name), depth + 1)
        else:
            yield (*prefix, name), field_schema


def _field_values(schema: Mapping[str, Any], literals: Sequence[Any], scalars: Sequence[Any]) -> Iterator[Any]:
    """Values worth trying in one field, schema values first, deduplicated, of a type the field accepts."""
    types = set(schema_types(schema))
    candidates: list[Any] = []
    for keyword in ("const", "default"):
        if keyword in schema:
            candidates.append(schema[keyword])
    for keyword in ("enum", "examples"):
        if isinstance(schema.get(keyword), list):
            candidates.extend(schema[keyword])
    if "boolean" in types:
        candidates.extend((True, False))
    candidates.append(example_value(schema))
    candidates.extend(literals)
    candidates.extend(scalars)
    seen: set[str] = set()
    for value in candidates:
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in seen and (not types or _json_type(value) in types or _is_integral(value, types)):
            seen.add(key)
            yield value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _is_integral(value: Any, types: set[str]) -> bool:
    return "integer" in types and _json_type(value) == "number" and float(value).is_integer()


def _context_scalars(context: Mapping[str, Any], depth: int = 0) -> Iterator[Any]:
    for key, value in context.items():
        if isinstance(value, Mapping) and depth < MAX_FIELD_DEPTH and key != "payload":
            yield from _context_scalars(value, depth + 1)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            yield value


def _correlated(base: Any, raw: Mapping[str, Any], context: Mapping[str, Any], schema: CompiledSchema | None) -> Any:
    """`base` with fields set from same-named context values (`order_id` is `orderId`: a gateway's snake case
    for the journey's camel case), when the schema still accepts it."""
    if not isinstance(base, dict) or not context:
        return base
    by_name = {_same(key): value for key, value in context.items() if isinstance(value, str | int | float)}
    body = copy.deepcopy(base)
    for path, field_schema in _fields(raw, raw, (), 0):
        value = by_name.get(_same(path[-1]))
        if value is not None and _present(body, path) and _json_type(value) in schema_types(field_schema):
            _put(body, path, value)
    return body if schema is None or not schema.errors(body) else base


def _same(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _present(body: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    target: Any = body
    for key in path:
        if not isinstance(target, Mapping) or key not in target:
            return False
        target = target[key]
    return True


def _put(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = body
    for key in path[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[path[-1]] = copy.deepcopy(value)
