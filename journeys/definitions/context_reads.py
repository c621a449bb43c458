"""`journeys validate` warnings for reads of context names that nothing in the journey writes.

A misspelt context name is not an error anywhere else: `context.amout` evaluates to null, so a predicate on it
is always false and the journey takes a wrong branch, or waits, without a word. Each journey is checked as a
whole (which state runs first does not matter): the names written are the start input's declared properties
(`spec.input.schema`, and `spec.context.schema`, which describes the context), every `resultVar` and `authVar`,
the top-level key of each transform or errorMapping target, the keys of a whole-context transform's result, the
fields `spec.bindings.http` copies request headers and query parameters to, and `payload` when the journey has
steps. The names read are those of DataWeave expressions (`context.x` and bare `x`), of `${context.x}` templates,
and of `outputVar`s.

The check stays silent rather than guess: when what the start body holds is undescribed (no input schema, or one
whose property names are open-ended), or when a whole-context write's keys cannot be known (a jsonata or jq
mapper, `context ++ payload`), it reports nothing for that journey. jsonata and jq reads are not inspected.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from journeys.definitions.auth_tasks import JwtValidateTask, MtlsValidateTask
from journeys.definitions.cache_task import CacheTask
from journeys.definitions.errors import DefinitionWarning
from journeys.definitions.kafka_publish_task import KafkaPublishTask
from journeys.definitions.model import (
    ApiKeyValidateTask,
    ChoiceState,
    CompiledExpression,
    CompiledTemplate,
    ExternalInputState,
    FailState,
    HttpCallTask,
    JourneyDefinition,
    SucceedState,
    TaskState,
    TimerState,
    TransformState,
)
from journeys.definitions.source import Location, dotted, parse_document
from journeys.definitions.subjourney_model import SubjourneyState
from journeys.expressions.dataweave_names import context_names

# Schema keywords that expect a start body to carry names its `properties` do not list (or hide which ones).
_OPEN_ENDED = ("patternProperties", "$ref", "$dynamicRef", "dependentSchemas")


@dataclass(slots=True)
class _Usage:
    writes: set[str] = field(default_factory=set)
    reads: list[tuple[Location, int | None, str]] = field(default_factory=list)
    """(where the expression or template is, its line within the expression if known, the name read)."""
    certain: bool = True

    def expression(self, expression: CompiledExpression, location: Location) -> frozenset[str] | None:
        """Record the reads of `expression`; return the keys its result object adds (None: unknown)."""
        if expression.lang != "dataweave":
            return None
        names = context_names(expression.source)
        self.reads += [(location, read.line, read.name) for read in names.reads]
        return names.result_keys

    def template(self, template: CompiledTemplate, location: Location) -> None:
        for placeholder in template.placeholders:
            root, _, rest = placeholder.partition(".")
            if root == "context" and rest:
                self.reads.append((location, None, rest.split(".")[0]))

    def write_target(
        self, kind: str, path: tuple[str, ...], result_var: str | None, keys: frozenset[str] | None
    ) -> None:
        """Record what a transform or errorMapping writes; `keys` are its result's keys, for a whole-context write."""
        if kind == "var" and result_var is not None:
            self.writes.add(result_var)
        elif path:
            self.writes.add(path[0])
        elif keys is None:
            self.certain = False
        else:
            self.writes |= keys


def unwritten_reads(definition: JourneyDefinition) -> list[DefinitionWarning]:
    """A warning for each read of a context name that nothing writes, with a "did you mean" when one is close."""
    usage = _Usage()
    spec = _mapping(definition.raw.get("spec"))
    start_names = _schema_names(_mapping(spec.get("input")).get("schema"))
    if start_names is None:
        return []
    usage.writes |= start_names | (_schema_names(_mapping(spec.get("context")).get("schema")) or set())
    usage.writes |= _bound_names(definition)
    for state in definition.states.values():
        _state(usage, state, _mapping(_mapping(spec.get("states")).get(state.id)))
    for name, template in definition.search_keys.items():
        usage.template(template, ("spec", "metadata", "searchKeys", name))
    if definition.idempotency_key is not None:
        usage.template(definition.idempotency_key, ("spec", "lifecycle", "idempotencyKey"))
    for outcome in definition.outcomes:  # spec.outcomes predicates read the final context
        if outcome.predicate is not None:
            usage.expression(outcome.predicate, ("spec", "outcomes", outcome.id, "when", "predicate", "expr"))
    if not usage.certain:
        return []
    return list(_warnings(definition, usage))


def _bound_names(definition: JourneyDefinition) -> set[str]:
    """The top-level context names `spec.bindings.http` writes from request headers and query parameters."""
    bindings = definition.http_bindings
    if bindings is None:
        return set()
    names: set[str] = set()
    for request in (bindings.start, *bindings.steps.values()):
        names |= {path[0] for path in (*request.headers_to_context.values(), *request.query_to_context.values())}
    return names


def _warnings(definition: JourneyDefinition, usage: _Usage) -> Iterator[DefinitionWarning]:
    document = parse_document(definition.source_text, str(definition.source))
    written = sorted(usage.writes)
    seen: set[tuple[Location, int | None, str]] = set()
    for location, inner_line, name in usage.reads:
        if name in usage.writes or (location, inner_line, name) in seen:
            continue
        seen.add((location, inner_line, name))
        line = document.line_within(location, inner_line) if inner_line is not None else None
        close = get_close_matches(name, written, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        message = (
            f"reads context.{name}, which nothing writes (no input schema property, resultVar, authVar, "
            f"transform target or step payload has that name){hint}"
        )
        yield DefinitionWarning(str(definition.source), line or document.line_of(location), dotted(location), message)


def _schema_names(schema: Any, *, top: bool = True) -> set[str] | None:
    """The property names an object matching `schema` can have; None when they are open-ended or undescribed."""
    if not isinstance(schema, Mapping) or any(keyword in schema for keyword in _OPEN_ENDED):
        return None
    if any(isinstance(schema.get(keyword), Mapping) for keyword in ("additionalProperties", "unevaluatedProperties")):
        return None  # a map: its keys are data, not names the author chose
    names = {str(name) for name in _mapping(schema.get("properties"))}
    branches = [*schema.get("allOf", ()), *schema.get("anyOf", ()), *schema.get("oneOf", ())]
    branches += [schema[keyword] for keyword in ("then", "else") if keyword in schema]
    for branch in branches:  # a branch adds the names it lists (`required` alone adds none)
        branch_names = _schema_names(branch, top=False)
        if branch_names is None:
            return None
        names |= branch_names
    if top and not names and schema.get("additionalProperties") is not False:
        return None  # `type: object` alone describes no body: its names are whatever the client sends
    return names


def _state(usage: _Usage, state: object, raw: Mapping[str, Any]) -> None:
    base: Location = ("spec", "states", getattr(state, "id", ""))
    if isinstance(state, TaskState):
        _task(usage, state.task, _mapping(raw.get("task")), (*base, "task"))
    elif isinstance(state, ChoiceState):
        for index, branch in enumerate(state.branches):
            usage.expression(branch.predicate, (*base, "choices", index, "when", "predicate", "expr"))
    elif isinstance(state, TransformState):
        keys = usage.expression(state.mapper, _mapper_location(_mapping(raw.get("transform")), (*base, "transform")))
        usage.write_target(state.target_kind, state.path, state.result_var, keys)
    elif isinstance(state, SucceedState):
        if state.output_var is not None:
            usage.reads.append(((*base, "outputVar"), None, state.output_var))
    elif isinstance(state, ExternalInputState):
        usage.writes.add("payload")
        if state.correlation_key is not None:
            usage.template(state.correlation_key, (*base, state.type, "correlationKey"))
        if state.response_output_var is not None:
            usage.reads.append(((*base, state.type, "response", "outputVar"), None, state.response_output_var))
    elif isinstance(state, TimerState):
        for key, spec in (("duration", state.duration), ("until", state.until)):
            if spec is not None and hasattr(spec, "evaluate"):
                usage.expression(spec, (*base, "timer", key, "mapper", "expr"))  # type: ignore[arg-type]
    elif isinstance(state, SubjourneyState):  # the child has a context of its own: only its result comes back
        if state.input is not None:
            usage.expression(state.input, (*base, "subjourney", "input", "mapper", "expr"))
        if state.result_var is not None:
            usage.writes.add(state.result_var)
    elif not isinstance(state, FailState):
        usage.certain = False  # a state type this check does not know may write anything


def _task(usage: _Usage, task: object, raw: Mapping[str, Any], base: Location) -> None:
    if isinstance(task, ApiKeyValidateTask | JwtValidateTask | MtlsValidateTask):
        usage.writes.add(task.auth_var)
    elif isinstance(task, HttpCallTask):
        _http_call(usage, task, raw, base)
    elif isinstance(task, CacheTask | KafkaPublishTask):
        _cache_or_publish(usage, task, raw, base)
    else:
        usage.certain = False


def _cache_or_publish(
    usage: _Usage, task: CacheTask | KafkaPublishTask, raw: Mapping[str, Any], base: Location
) -> None:
    """`cache:v1` reads its key and value mappers and writes a get's `resultVar`; `kafkaPublish:v1` reads its key,
    value and header templates and writes nothing."""
    key = task.key if isinstance(task, CacheTask) else task.key_mapper
    for name, expression in (("key", key), ("value", task.value)):
        if expression is not None:
            usage.expression(expression, _mapper_location(_mapping(raw.get(name)), (*base, name)))
    if isinstance(task, CacheTask):
        if task.result_var is not None:
            usage.writes.add(task.result_var)
        return
    if task.key_template is not None:
        usage.template(task.key_template, (*base, "key"))
    for name, template in (task.headers or {}).items():
        usage.template(template, (*base, "headers", name))


def _http_call(usage: _Usage, task: HttpCallTask, raw: Mapping[str, Any], base: Location) -> None:
    usage.template(task.url, (*base, "url" if "url" in raw else "operationRef"))
    params = _mapping(raw.get("params"))
    headers_at = (*base, "params", "headers") if "headers" in params else (*base, "headers")
    for group, templates in (("path", task.path_params), ("query", task.query)):
        for name, template in templates.items():
            usage.template(template, (*base, "params", group, name))
    for name, template in task.headers.items():
        usage.template(template, (*headers_at, name))
    if task.body_kind == "template":
        usage.template(task.body, (*base, "body"))
    elif task.body_kind == "mapper":
        usage.expression(task.body, _mapper_location(_mapping(raw.get("body")), (*base, "body")))
    if task.result_var is not None:
        usage.writes.add(task.result_var)
    mapping = task.error_mapping
    if mapping is not None:
        location = _mapper_location(_mapping(raw.get("errorMapping")), (*base, "errorMapping"))
        keys = usage.expression(mapping.mapper, location)
        usage.write_target(mapping.target_kind, mapping.path, mapping.result_var, keys)


def _mapper_location(raw: Mapping[str, Any], base: Location) -> Location:
    """Where a `mapper`'s expression is written: inline, or in `spec.mappers` when the block uses `mapperRef`."""
    reference = raw.get("mapperRef")
    return ("spec", "mappers", reference, "expr") if isinstance(reference, str) else (*base, "mapper", "expr")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
