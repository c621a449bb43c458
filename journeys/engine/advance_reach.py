"""What one advance can run from a state before the journey pauses again: the task states it may execute.

The interpreter asks it once per definition. A step whose submission can reach an outbound call must have a retry
looked up in the delivery log before the advance (so a retry never repeats the calls), and a retry answered from
the log must pass the auth checks the submission would meet. Inside a parallel branch the walk follows the branch
to its end and, since that may complete the join, on from the parallel's `next`; entering a parallel walks each
branch to its first pause; a subjourney that ends at once runs its whole graph, and those of the subjourneys it calls,
in the same advance.
"""

from __future__ import annotations

from journeys.definitions.model import (
    ChoiceState,
    ExternalInputState,
    FailState,
    JourneyDefinition,
    ParallelState,
    SucceedState,
    TaskState,
)
from journeys.definitions.subjourney_model import SubjourneyState
from journeys.engine.parallel_runs import parent_of


def tasks_before_pause(definition: JourneyDefinition, start: str, scope: str = "") -> list[TaskState]:
    """The task states running from `start` (in the branch at `scope`, if any) can execute before a pause."""
    seen: set[tuple[str, str]] = set()
    tasks: list[TaskState] = []
    pending = [(scope, start)]
    while pending:
        where, state_id = pending.pop()
        if (where, state_id) in seen:
            continue
        seen.add((where, state_id))
        state = definition.states_in(where)[state_id]
        if isinstance(state, ExternalInputState):
            continue
        if isinstance(state, SucceedState | FailState):
            if where:  # the branch ends, which may join its parallel: the journey goes on after it
                outer, parallel_id = parent_of(where)
                parallel = definition.states_in(outer)[parallel_id]
                if isinstance(parallel, ParallelState) and parallel.next:
                    pending.append((outer, parallel.next))
            continue
        if isinstance(state, TaskState):
            tasks.append(state)
            pending.append((where, state.next))
        elif isinstance(state, ChoiceState):
            pending += [(where, branch.next) for branch in state.branches]
            pending += [(where, state.default)] if state.default else []
        elif isinstance(state, ParallelState):
            prefix = f"{where}/{state.id}" if where else state.id
            pending += [(f"{prefix}/{branch.name}", branch.start) for branch in state.branches]
            pending += [(where, state.next)] if state.next else []
        elif isinstance(state, SubjourneyState):
            tasks += _graph_tasks(definition, state.ref, set())
            pending.append((where, state.next))
        else:
            pending.append((where, state.next))
    return tasks


def _graph_tasks(definition: JourneyDefinition, ref: str, entered: set[str]) -> list[TaskState]:
    """Every task of the subjourney `ref` and of those it calls in turn (a child may end at once, and so may its own
    children: all of them run in the parent's advance)."""
    entered.add(ref)
    tasks: list[TaskState] = []
    for state in definition.subjourneys[ref].states.values():
        if isinstance(state, TaskState):
            tasks.append(state)
        elif isinstance(state, SubjourneyState) and state.ref not in entered:
            tasks += _graph_tasks(definition, state.ref, entered)
    return tasks
