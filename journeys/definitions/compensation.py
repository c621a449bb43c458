"""`spec.compensation` (DSL 2.5, ADR-0008): the graph run as a journey of its own after the journey ended badly.

Its states are parsed and checked like a subjourney's (their own namespace of ids, every reference resolved inside,
every state reachable from `start`). `mode: sync` (the end of the journey waits for its compensation) is refused as
not supported: this engine runs compensation in the background only.
"""

from __future__ import annotations

from collections.abc import Collection
from types import MappingProxyType

from journeys.definitions.fields import Block
from journeys.definitions.local_graphs import graph_states
from journeys.definitions.mappers import compile_mapper
from journeys.definitions.model import CompiledExpression
from journeys.definitions.subjourney_model import Compensation
from journeys.definitions.subjourneys import check_placement, check_refs


def parse_compensation(spec: Block, subjourneys: Collection[str], kind: str | None) -> Compensation | None:
    from journeys.definitions.states import parse_state  # states imports the subjourney parser, which this uses

    block = spec.block("compensation")
    if block is None:
        return None
    block.allow("mode", "start", "alsoFor", "states")
    if kind == "Api":
        block.report(
            None, "spec.compensation is not supported in kind: Api yet (it runs as a stored journey)", unsupported=True
        )
    if block.one_of("mode", ("async", "sync"), default="async") == "sync":
        block.report(
            "mode", "mode 'sync' is not supported by this engine yet (compensation runs async)", unsupported=True
        )
    also_for = _also_for(block)
    location = (*block.location, "states")
    start, states, _ = graph_states(spec.ctx, block, parse_state)
    check_refs(spec.ctx, location, states, list(subjourneys), kind)
    check_placement(spec.ctx, location, states, in_graph=True)
    if start is None or also_for is None:
        return None
    return Compensation(start=start, states=MappingProxyType(states), also_for=also_for)


def _also_for(block: Block) -> tuple[CompiledExpression | None, ...] | None:
    """The success triggers: each rule's predicate, or None for a rule without one (it always matches)."""
    if not block.has("alsoFor"):
        return ()
    rules: list[CompiledExpression | None] = []
    for rule in block.blocks("alsoFor") or ():
        rule.allow("when")
        when = rule.block("when", required=True)
        if when is None:
            return None
        when.allow("predicate")
        predicate = when.block("predicate")
        compiled = None if predicate is None else compile_mapper(predicate)
        if predicate is not None and compiled is None:
            return None
        rules.append(compiled)
    return tuple(rules)
