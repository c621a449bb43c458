"""State graphs inside a journey: a `parallel` branch, a subjourney, the compensation. Each has its own namespace of
state ids (`done` may exist in the journey and in each of them), is parsed with the journey's state parsers, and is
checked as a graph of its own: its `start` names one of its states, every reference resolves inside it (a `next`
cannot leave it), and every state is reachable from its `start`.
"""

from __future__ import annotations

from collections.abc import Callable

from journeys.definitions.fields import Block, LoadContext
from journeys.definitions.graph import unknown_state_message
from journeys.definitions.model import State
from journeys.definitions.source import Location, dotted

StateParser = Callable[..., State | None]


def graph_states(
    ctx: LoadContext, graph: Block, parse_state: StateParser, *, confined: str = ""
) -> tuple[str | None, dict[str, State], list[str]]:
    """(start, parsed states, every declared id) of the graph `graph` (a block with `start` and `states`), with its
    references and unparsed states kept apart from the journey's. `confined` is added to a dangling reference's
    message (why a state outside the graph cannot be named)."""
    start = graph.string("start", required=True)
    states_block = graph.block("states", required=True)
    if states_block is None:
        return start, {}, []
    if not states_block.data:
        graph.report("states", "must declare at least one state")
    location = states_block.location
    references, opaque = ctx.references, ctx.opaque_states
    ctx.references, ctx.opaque_states = [], []
    states: dict[str, State] = {}
    try:
        for state_id, value in states_block.data.items():
            state = parse_state(ctx, state_id, value, within=location)
            if state is not None:
                states[state.id] = state
        state_ids = [str(state_id) for state_id in states_block.data]
        if start is not None and state_ids and start not in state_ids:
            graph.report("start", _unknown(start, state_ids, location))
        _check_graph(ctx, location, start, state_ids, confined)
    finally:
        ctx.references, ctx.opaque_states = references, opaque
    return start, states, state_ids


def _unknown(target: str, state_ids: list[str], location: Location) -> str:
    return unknown_state_message(target, state_ids).replace("spec.states", dotted(location))


def _check_graph(ctx: LoadContext, location: Location, start: str | None, state_ids: list[str], confined: str) -> None:
    edges: dict[str, list[str]] = {}
    complete = start in state_ids and not ctx.opaque_states
    depth = len(location)
    for reference in ctx.references:
        if reference.target in state_ids:
            owner = str(reference.location[depth]) if len(reference.location) > depth else ""
            edges.setdefault(owner, []).append(reference.target)
        else:
            message = _unknown(reference.target, state_ids, location)
            ctx.report(reference.location, f"{message}: {confined}" if confined else message)
            complete = False
    if not complete:
        return
    reached, pending = {str(start)}, [str(start)]
    while pending:
        for target in edges.get(pending.pop(), []):
            if target not in reached:
                reached.add(target)
                pending.append(target)
    for state_id in state_ids:
        if state_id not in reached:
            ctx.report((*location, state_id), f"state is unreachable from {dotted(location[:-1])}.start '{start}'")
