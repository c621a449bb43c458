"""The paths a client can drive a journey along: from `spec.start` to an end state, through its steps.

A workflow is what a client does, so paths are told apart by what the client sees: the external-input steps
it submits to, in order, and the state the journey ends in. Paths are simple (no state twice): a branch that
leads back to a step already on the path is a rejected submission (a wrong secret, a mismatched id), not a new
client scenario. `onTimeout` edges are left out: a timeout cannot be triggered over HTTP. The enumeration is
depth-first in definition order (choice branches, then the default), so the first branch comes first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from journeys.definitions.model import (
    ChoiceState,
    CompiledExpression,
    ExternalInputState,
    FailState,
    JourneyDefinition,
    ParallelState,
    State,
    SucceedState,
)

MAX_PATHS = 16
MAX_VISITS = 100_000  # states entered during the walk: a bound for graphs with very many simple paths


@dataclass(frozen=True, slots=True)
class JourneyPath:
    """Every state from `spec.start` to an end state, in order."""

    states: tuple[str, ...]
    steps: tuple[str, ...]

    @property
    def terminal(self) -> str:
        return self.states[-1]

    def segment_targets(self) -> tuple[str, ...]:
        """Where the journey stops after the start and after each step: the next step, then the end state."""
        return (*self.steps, self.terminal)


@dataclass(frozen=True, slots=True)
class Exit:
    """One way out of a state: the state it leads to and what takes it there (a choice branch keeps its
    predicate, to be shown or evaluated)."""

    target: str
    on: Literal["next", "choice", "default", "timeout"]
    predicate: CompiledExpression | None = None


def exits(state: State) -> tuple[Exit, ...]:
    """Every way out of `state`, in definition order: choice branches then the default; `next` then `onTimeout`."""
    if isinstance(state, ChoiceState):
        branches = tuple(Exit(branch.next, "choice", branch.predicate) for branch in state.branches)
        return (*branches, *((Exit(state.default, "default"),) if state.default else ()))
    if isinstance(state, SucceedState | FailState):
        return ()
    if isinstance(state, ParallelState):  # its branches are walked by nobody here: a parallel is one stop
        return (Exit(state.next, "next"),) if state.next else ()
    timeout = state.on_timeout if isinstance(state, ExternalInputState) else None
    return (Exit(state.next, "next"), *((Exit(timeout, "timeout"),) if timeout else ()))


def successors(state: State) -> tuple[str, ...]:
    """The states a run can move to from `state`, without timeouts."""
    return tuple(exit.target for exit in exits(state) if exit.on != "timeout")


def journey_paths(definition: JourneyDefinition, limit: int = MAX_PATHS) -> list[JourneyPath]:
    """Up to `limit` paths with distinct (steps, end state), in depth-first order."""
    found: dict[tuple[tuple[str, ...], str], JourneyPath] = {}
    for states in _simple_paths(definition):
        steps = tuple(s for s in states if isinstance(definition.states[s], ExternalInputState))
        found.setdefault((steps, states[-1]), JourneyPath(states, steps))
        if len(found) == limit:
            break
    return list(found.values())


def _simple_paths(definition: JourneyDefinition) -> Iterator[tuple[str, ...]]:
    """Depth-first, iteratively (a long chain of states must not hit the recursion limit)."""
    visits = 0
    stack: list[tuple[str, ...]] = [(definition.start,)]
    while stack and visits < MAX_VISITS:
        path = stack.pop()
        visits += 1
        following = successors(definition.states[path[-1]])
        if not following:
            yield path
            continue
        # Pushed in reverse so that the first branch is explored first.
        stack.extend((*path, target) for target in reversed(following) if target not in path)
