"""`spec.subjourneys` and `type: subjourney` states (DSL 5.8, ADR-0020): local graphs a journey calls and waits for.

A subjourney is parsed like the top-level graph, in its own namespace of state ids (`done` may exist in the journey
and in each of its subjourneys), and checked as a graph of its own: every reference resolves inside it, every state
is reachable from its `start`. The calls between subjourneys may nest but never cycle: a subjourney that calls
itself, directly or through others, would create children without end.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from journeys.definitions.fields import Block, LoadContext
from journeys.definitions.local_graphs import graph_states
from journeys.definitions.mappers import compile_mapper
from journeys.definitions.model import ParallelState, State, TaskState
from journeys.definitions.schedule_task import ScheduleTask
from journeys.definitions.subjourney_model import (
    COMPENSATION_GRAPH,
    FAILURE_BEHAVIOURS,
    RESULT_KINDS,
    Subjourney,
    SubjourneyState,
)


def parse_subjourney_state(block: Block, state_id: str) -> SubjourneyState | None:
    """A `type: subjourney` state; its `ref` is checked against `spec.subjourneys` by `parse_subjourneys`."""
    block.allow("type", "subjourney", "next")
    next_state = block.state_ref("next", required=True)
    inner = block.block("subjourney", required=True)
    if inner is None:
        return None
    inner.allow("ref", "input", "resultVar", "resultKind", "onFailure")
    ref = inner.string("ref", required=True)
    mapper = None
    input_block = inner.block("input")
    if input_block is not None:
        input_block.allow("mapper")
        mapper_block = input_block.block("mapper", required=True)
        mapper = None if mapper_block is None else compile_mapper(mapper_block)
    result_var = inner.identifier("resultVar")
    result_kind = inner.one_of("resultKind", RESULT_KINDS, default="output")
    behaviour = "propagate"
    failure = inner.block("onFailure")
    if failure is not None:
        failure.allow("behavior")
        behaviour = failure.one_of("behavior", FAILURE_BEHAVIOURS, default="propagate") or "propagate"
    if ref is None or next_state is None or result_kind is None:
        return None
    return SubjourneyState(
        id=state_id,
        ref=ref,
        next=next_state,
        input=mapper,
        result_var=result_var,
        result_kind="outcome" if result_kind == "outcome" else "output",
        on_failure="capture" if behaviour == "capture" else "propagate",
    )


def parse_subjourneys(spec: Block, top_states: Mapping[str, State], kind: str | None) -> Mapping[str, Subjourney]:
    """Parse `spec.subjourneys`, then check every subjourney state's `ref` (in the journey and in subjourneys) and
    that no subjourney calls itself."""
    from journeys.definitions.states import parse_state  # states imports this module for its parser

    graphs: dict[str, Subjourney] = {}
    block = spec.block("subjourneys")
    declared = [str(key) for key in block.data] if block is not None else []
    if COMPENSATION_GRAPH in declared and block is not None:
        block.report(COMPENSATION_GRAPH, f"'{COMPENSATION_GRAPH}' is reserved for spec.compensation's journeys")
    for graph_id in declared:
        graph = block.block(graph_id, required=True) if block is not None else None
        if graph is None:
            continue
        graph.allow("start", "states", "input", "output")
        for contract in ("input", "output"):  # contracts for tooling (ADR-0020): compiled, so a broken one is told
            schema_block = graph.block(contract)
            if schema_block is not None:
                schema_block.allow("schema")
                schema_block.schema("schema", required=True)
        start, states, _ = graph_states(spec.ctx, graph, parse_state)
        if start is not None:
            graphs[graph_id] = Subjourney(id=graph_id, start=start, states=MappingProxyType(states))
    check_refs(spec.ctx, ("spec", "states"), top_states, declared, kind)
    check_placement(spec.ctx, ("spec", "states"), top_states, in_graph=False)
    for graph_id, graph_def in graphs.items():
        location = ("spec", "subjourneys", graph_id, "states")
        check_refs(spec.ctx, location, graph_def.states, declared, kind)
        check_placement(spec.ctx, location, graph_def.states, in_graph=True)
    _check_cycles(spec.ctx, graphs)
    return MappingProxyType(graphs)


def check_refs(
    ctx: LoadContext,
    location: tuple[str | int, ...],
    states: Mapping[str, State],
    declared: list[str],
    kind: str | None,
) -> None:
    for state in states.values():
        if not isinstance(state, SubjourneyState):
            continue
        at = (*location, state.id, "subjourney", "ref")
        if kind == "Api":
            ctx.report(
                (*location, state.id, "type"),
                "a subjourney state cannot be used in kind: Api yet (its child is a stored journey); use kind: Journey",
                unsupported=True,
            )
        elif state.ref not in declared:
            known = ", ".join(declared) or "none declared"
            ctx.report(at, f"no subjourney '{state.ref}' in spec.subjourneys (known: {known})")


def check_placement(
    ctx: LoadContext,
    location: tuple[str | int, ...],
    states: Mapping[str, State],
    *,
    in_graph: bool,
    in_branch: bool = False,
) -> None:
    """What this engine cannot run yet: a `parallel` state inside a subjourney or `spec.compensation` (`in_graph`),
    a `subjourney` state inside a `parallel` branch (a branch cannot wait for a child journey), and a `schedule:v1`
    task in either (its scheduled runs start at a state of the journey's own)."""
    for state in states.values():
        if (in_graph or in_branch) and isinstance(state, TaskState) and isinstance(state.task, ScheduleTask):
            where = "a parallel branch" if in_branch else "a subjourney or spec.compensation"
            message = f"a schedule:v1 task inside {where} is not supported by this engine yet"
            ctx.report((*location, state.id, "task", "kind"), message, unsupported=True)
        if in_branch and isinstance(state, SubjourneyState):
            message = "a subjourney state inside a parallel branch is not supported by this engine yet"
            ctx.report((*location, state.id, "type"), message, unsupported=True)
        if not isinstance(state, ParallelState):
            continue
        if in_graph:
            message = "a parallel state inside a subjourney or spec.compensation is not supported by this engine yet"
            ctx.report((*location, state.id, "type"), message, unsupported=True)
        for index, branch in enumerate(state.branches):
            branch_location = (*location, state.id, "parallel", "branches", index, "states")
            check_placement(ctx, branch_location, branch.states, in_graph=in_graph, in_branch=True)


def _check_cycles(ctx: LoadContext, graphs: Mapping[str, Subjourney]) -> None:
    calls = {
        graph_id: sorted({s.ref for s in graph.states.values() if isinstance(s, SubjourneyState)})
        for graph_id, graph in graphs.items()
    }

    def reaches(origin: str, seen: set[str], current: str) -> bool:
        for callee in calls.get(current, []):
            if callee == origin:
                return True
            if callee not in seen:
                seen.add(callee)
                if reaches(origin, seen, callee):
                    return True
        return False

    for graph_id in graphs:
        if reaches(graph_id, set(), graph_id):
            ctx.report(
                ("spec", "subjourneys", graph_id),
                f"subjourney '{graph_id}' calls itself (directly or through other subjourneys): it would never end",
            )
