"""Parsing of `spec.states.<id>` entries into the immutable state model, one parser per state type.

Each parser rejects unknown fields, records the state references it finds (checked later by `graph`) and
returns None when the state has problems; the loader then reports every problem of every state at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, Literal

from journeys.definitions.fields import Block, LoadContext, describe, template_at
from journeys.definitions.mappers import compile_mapper, mapper_or_ref
from journeys.definitions.model import (
    ChoiceBranch,
    ChoiceState,
    CompiledSchema,
    CompiledTemplate,
    ExternalInputState,
    FailState,
    State,
    SucceedState,
    TaskState,
    TransformState,
)
from journeys.definitions.source import Location
from journeys.definitions.subjourneys import parse_subjourney_state
from journeys.definitions.tasks import parse_task
from journeys.definitions.timer_state import parse_timer_state
from journeys.definitions.write_targets import parse_write_target

STATE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")

# DSL state types this engine does not run yet: reported as "not supported" rather than "unknown".
DSL_ONLY_STATE_TYPES: tuple[str, ...] = ()

# Top-level JourneyStatus fields a step response may not overwrite with projected properties (DSL 12.1).
RESERVED_STATUS_FIELDS = frozenset(
    ("journeyId", "journeyName", "phase", "currentState", "updatedAt", "tags", "attributes", "_links")
)

# Step ids appear in `/steps/{stepId}` and as `_links` relation names, where these are already taken.
RESERVED_STEP_IDS = frozenset(("cancel", "self", "result"))

StateParser = Callable[[Block, str], State | None]


def parse_state(ctx: LoadContext, state_id: Any, value: Any, within: Location = ("spec", "states")) -> State | None:
    """Parse one state of the map at `within` (a parallel branch's `states`, or the journey's); return None (with
    errors recorded in `ctx`) when it is invalid or unsupported."""
    location = (*within, str(state_id))
    if not isinstance(state_id, str) or not STATE_ID.fullmatch(state_id):
        ctx.report(location, f"state id {state_id!r} must match [A-Za-z_][A-Za-z0-9_-]*")
    if not isinstance(value, Mapping):
        ctx.report(location, f"a state must be a mapping with a 'type', not {describe(value)}")
        return None
    block = Block(ctx, location, value)
    state_type = block.string("type", required=True)
    if state_type is None:
        return None
    parser = _PARSERS.get(state_type)
    if parser is None:
        _reject_state_type(block, str(state_id), state_type)
        return None
    errors_before = len(ctx.errors)
    state = parser(block, str(state_id))
    if len(ctx.errors) == errors_before:
        return state
    # A broken state may have lost an edge (a missing or misspelt `next`): its targets must not then be reported
    # as unreachable, an error about something the author did not write.
    ctx.opaque_states.append(str(state_id))
    return None


def supported_state_types() -> list[str]:
    return sorted(_PARSERS)


def _reject_state_type(block: Block, state_id: str, state_type: str) -> None:
    supported = ", ".join(supported_state_types())
    if state_type in DSL_ONLY_STATE_TYPES:
        message = f"state type '{state_type}' is not supported by this engine (supported: {supported})"
        block.report("type", message, unsupported=True)
    else:
        block.report("type", f"unknown state type '{state_type}' (supported: {supported})")
    # The state's inner shape is unknown, so its outgoing edges are too: reachability cannot be decided.
    block.ctx.opaque_states.append(state_id)
    if isinstance(block.data.get("next"), str):
        block.state_ref("next")


def _parse_task(block: Block, state_id: str) -> TaskState | None:
    block.allow("type", "task", "next")
    next_state = block.state_ref("next", required=True)
    task_block = block.block("task", required=True)
    task = parse_task(task_block) if task_block is not None else None
    if task is None or next_state is None:
        return None
    return TaskState(id=state_id, task=task, next=next_state)


def _parse_choice(block: Block, state_id: str) -> ChoiceState | None:
    block.allow("type", "choices", "default")
    branches: list[ChoiceBranch] = []
    for item in block.blocks("choices", required=True) or ():
        item.allow("when", "next")
        target = item.state_ref("next", required=True)
        when = item.block("when", required=True)
        predicate_block = None
        if when is not None:
            when.allow("predicate")
            predicate_block = when.block("predicate", required=True)
        predicate = compile_mapper(predicate_block) if predicate_block is not None else None
        if predicate is not None and target is not None:
            branches.append(ChoiceBranch(predicate=predicate, next=target))
    default = block.state_ref("default")
    return ChoiceState(id=state_id, branches=tuple(branches), default=default)


def _parse_transform(block: Block, state_id: str) -> TransformState | None:
    # The DSL places `resultVar` beside `transform`; several published examples nest it inside. Accept both.
    block.allow("type", "transform", "next", "resultVar")
    next_state = block.state_ref("next", required=True)
    transform = block.block("transform", required=True)
    if transform is None:
        return None
    transform.allow("mapper", "mapperRef", "target", "resultVar")
    mapper = mapper_or_ref(transform)
    if block.has("resultVar") and transform.has("resultVar"):
        transform.report("resultVar", "declared twice (here and beside 'transform'); keep one")
    inside = transform.has("resultVar") or transform.misspelling_of("resultVar") is not None
    target = parse_write_target(transform, transform if inside else block)
    if mapper is None or next_state is None or target is None:
        return None
    return TransformState(
        id=state_id,
        mapper=mapper,
        target_kind=target.kind,
        path=target.path,
        result_var=target.result_var,
        next=next_state,
    )


def _parse_succeed(block: Block, state_id: str) -> SucceedState:
    block.allow("type", "outputVar")
    return SucceedState(id=state_id, output_var=block.identifier("outputVar"))


def _parse_fail(block: Block, state_id: str) -> FailState | None:
    block.allow("type", "errorCode", "reason")
    error_code = block.string("errorCode", required=True)
    reason = block.string("reason")
    return None if error_code is None else FailState(id=state_id, error_code=error_code, reason=reason)


def _parse_external_input(block: Block, state_id: str) -> ExternalInputState | None:
    """`wait` (DSL 12.1) and `webhook` (DSL 12.2): pause until a step submission arrives."""
    state_type: Literal["wait", "webhook"] = "wait" if block.data["type"] == "wait" else "webhook"
    block.allow("type", state_type, "next", "default")
    if state_id in RESERVED_STEP_IDS:
        block.report(None, f"'{state_id}' cannot name a {state_type} step: it is reserved in /steps and _links")
    inner = block.block(state_type, required=True)
    next_state = _next_or_default(block, inner)
    if inner is None:
        return None
    inner.allow(
        "input", "response", "timeoutSec", "onTimeout", "default",
        *(("source", "correlationKey") if state_type == "webhook" else ("channel",)),
    )  # fmt: skip
    source, correlation_key = None, None
    if state_type == "webhook":
        source, correlation_key = _inbound_binding(inner)
    if state_type == "wait" and inner.has("channel") and inner.data["channel"] != "manual":
        inner.report(
            "channel", f"must be 'manual', not {describe(inner.data['channel'])} (use a webhook state for callbacks)"
        )
    input_block = inner.block("input", required=True)
    input_schema = None
    if input_block is not None:
        input_block.allow("schema")
        input_schema = input_block.schema("schema", required=True)
    output_var, response_schema = parse_response(inner, RESERVED_STATUS_FIELDS, "JourneyStatus")
    timeout_sec = inner.positive_int("timeoutSec")
    on_timeout = inner.state_ref("onTimeout")
    # Each field of the pair needs the other; a misspelt one is reported as such (with "did you mean") instead.
    if inner.has("timeoutSec") and not inner.has("onTimeout") and not inner.misspelling_of("onTimeout"):
        inner.report("onTimeout", "required when timeoutSec is set (the state to run when no submission arrives)")
    elif inner.has("onTimeout") and not inner.has("timeoutSec") and not inner.misspelling_of("timeoutSec"):
        inner.report("onTimeout", "has no effect without timeoutSec")
    if input_schema is None or next_state is None:
        return None
    return ExternalInputState(
        id=state_id,
        type=state_type,
        input_schema=input_schema,
        next=next_state,
        response_output_var=output_var,
        response_schema=response_schema,
        timeout_sec=timeout_sec,
        on_timeout=on_timeout,
        source=source,
        correlation_key=correlation_key,
    )


def _inbound_binding(inner: Block) -> tuple[str | None, CompiledTemplate | None]:
    """`webhook.source` + `webhook.correlationKey`: which source feeds the step, and the key to wait with."""
    source = inner.string("source")
    if source is not None and not SOURCE_NAME.fullmatch(source):
        inner.report("source", f"'{source}' is not a source name (expected [a-z0-9][a-z0-9-]*)")
    key = template_at(inner, "correlationKey", inner.data["correlationKey"]) if inner.has("correlationKey") else None
    if inner.has("source") and not inner.has("correlationKey") and not inner.misspelling_of("correlationKey"):
        inner.report("correlationKey", "required with 'source': the key to wait with, e.g. ${context.orderId}")
    elif inner.has("correlationKey") and not inner.has("source") and not inner.misspelling_of("source"):
        inner.report("source", "required with 'correlationKey': the inbound source whose deliveries carry the key")
    return source, key


def _next_or_default(block: Block, inner: Block | None) -> str | None:
    """The state after a submission: `next`, or its alias `default` beside or inside the step block."""
    candidates = [(holder, key) for holder, key in ((block, "next"), (block, "default")) if holder.has(key)]
    if inner is not None and inner.has("default"):
        candidates.append((inner, "default"))
    if not candidates:
        block.missing("next", " (the state that runs after a submission)")
        return None
    for holder, key in candidates[1:]:
        holder.report(key, "'default' is an alias of 'next' on wait/webhook states; declare only one of them")
    holder, key = candidates[0]
    return holder.state_ref(key)


def parse_response(parent: Block, reserved: Collection[str], envelope: str) -> tuple[str | None, CompiledSchema | None]:
    """A `response` projection block: `outputVar` merged into `envelope`, described by `schema`."""
    response = parent.block("response")
    if response is None:
        return None, None
    response.allow("outputVar", "schema")
    output_var = response.identifier("outputVar")
    schema = response.schema("schema")
    raw = response.data.get("schema")
    properties = raw.get("properties") if isinstance(raw, Mapping) else None
    if isinstance(properties, Mapping):
        for name in properties:
            if name in reserved:
                response.ctx.report(
                    (*response.at("schema"), "properties", name),
                    f"'{name}' is a reserved {envelope} field and cannot be projected into the response",
                )
    return output_var, schema


_PARSERS: dict[str, StateParser] = {
    "task": _parse_task,
    "choice": _parse_choice,
    "transform": _parse_transform,
    "succeed": _parse_succeed,
    "fail": _parse_fail,
    "wait": _parse_external_input,
    "webhook": _parse_external_input,
    "timer": parse_timer_state,
    "subjourney": parse_subjourney_state,
}


def _register_parallel() -> None:
    # Imported here: a parallel's branches are parsed with `parse_state`, which lives in this module.
    from journeys.definitions.parallel_state import parse_parallel

    _PARSERS["parallel"] = parse_parallel


_register_parallel()
