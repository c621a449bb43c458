"""Parsing `parallel` states: branches with state maps of their own, and the join that ends them.

A branch's states are parsed like the journey's (same parsers, errors located under the branch), but its references
are its own: a `next` must name a state of the same branch (a branch cannot jump out of its parallel; the parallel's
`next` is where the journey goes on), and every branch state must be reachable from the branch's `start`. Step ids
(wait/webhook) are their URLs (`/steps/{id}`), so they must be unique across the journey, branches included;
other state ids (a `done: succeed` in every branch) may repeat from branch to branch.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, cast

from journeys.definitions.fields import Block, LoadContext
from journeys.definitions.local_graphs import graph_states
from journeys.definitions.mappers import compile_mapper
from journeys.definitions.model import (
    ExternalInputState,
    ParallelBranch,
    ParallelJoin,
    ParallelState,
    State,
)

STRATEGIES = ("allOf", "anyOf", "firstCompleted")
ERROR_POLICIES = ("collectAll", "failFast", "ignoreErrors")


def parse_parallel(block: Block, state_id: str) -> ParallelState | None:
    from journeys.definitions.states import STATE_ID

    block.allow("type", "parallel", "next")
    next_state = block.state_ref("next")  # none: the join ends the journey (docs/dsl.md)
    inner = block.block("parallel", required=True)
    if inner is None:
        return None
    inner.allow("branches", "join")
    branch_blocks = inner.blocks("branches", required=True) or []
    if inner.has("branches") and len(branch_blocks) < 2:
        inner.report("branches", "a parallel needs at least two branches")
    branches: list[ParallelBranch] = []
    names: set[str] = set()
    for branch_block in branch_blocks:
        branch = _parse_branch(branch_block)
        if branch is None:
            continue
        if branch.name in names:
            branch_block.report("name", f"branch name '{branch.name}' is used twice in this parallel")
        elif not STATE_ID.fullmatch(branch.name):
            branch_block.report("name", f"branch name '{branch.name}' must match [A-Za-z_][A-Za-z0-9_-]*")
        names.add(branch.name)
        branches.append(branch)
    join = _parse_join(inner.block("join")) if inner.has("join") else ParallelJoin()
    if join is None or len(branches) != len(branch_blocks) or len(branches) < 2:
        return None
    return ParallelState(id=state_id, branches=tuple(branches), join=join, next=next_state)


def _parse_branch(block: Block) -> ParallelBranch | None:
    from journeys.definitions.states import parse_state  # states imports this module's parser

    block.allow("name", "start", "states")
    name = block.string("name", required=True)
    confined = "a branch's states lead only to states of the same branch"
    start, states, declared = graph_states(block.ctx, block, parse_state, confined=confined)
    if name is None or start is None or not declared or len(states) != len(declared):
        return None
    return ParallelBranch(name=name, start=start, states=MappingProxyType(states))


def _parse_join(block: Block | None) -> ParallelJoin | None:
    if block is None:
        return None
    block.allow("strategy", "errorPolicy", "mapper", "resultVar")
    strategy = block.one_of("strategy", STRATEGIES, default="allOf")
    policy = block.one_of("errorPolicy", ERROR_POLICIES, default="collectAll")
    mapper = None
    mapper_block = block.block("mapper")
    if mapper_block is not None:
        mapper = compile_mapper(mapper_block)
        if mapper is None:
            return None
    result_var = block.identifier("resultVar")
    if strategy is None or policy is None:
        return None
    return ParallelJoin(
        strategy=cast(Literal["allOf", "anyOf", "firstCompleted"], strategy),
        error_policy=cast(Literal["collectAll", "failFast", "ignoreErrors"], policy),
        mapper=mapper,
        result_var=result_var,
    )


def branch_scopes(states: Mapping[str, State], scope: str = "") -> dict[str, Mapping[str, State]]:
    """Every branch's state map by scope path (`<parallel>/<branch>`, nested parallels below their branch)."""
    scopes: dict[str, Mapping[str, State]] = {}
    for state in states.values():
        if isinstance(state, ParallelState):
            for branch in state.branches:
                path = f"{scope}/{state.id}/{branch.name}" if scope else f"{state.id}/{branch.name}"
                scopes[path] = branch.states
                scopes.update(branch_scopes(branch.states, path))
    return scopes


def step_scopes(
    ctx: LoadContext, states: Mapping[str, State], scopes: Mapping[str, Mapping[str, State]]
) -> dict[str, str]:
    """The scope of every step inside a branch; reports a step id used twice in the journey, and a sourced webhook
    in a branch (one journey waits for at most one inbound correlation key)."""
    found: dict[str, str] = {}
    for scope, branch_states in scopes.items():
        for state in branch_states.values():
            if not isinstance(state, ExternalInputState):
                continue
            where = ("spec", "states", scope.split("/")[0])
            if state.id in states or state.id in found:
                ctx.report(
                    where, f"step id '{state.id}' is used twice: step ids are URLs and must be unique in a journey"
                )
            if state.source is not None:
                ctx.report(
                    where,
                    f"step '{state.id}': a webhook with an inbound source inside a parallel branch is "
                    "not supported by this engine",
                    unsupported=True,
                )
            found[state.id] = scope
    return found
