"""What one advance of a journey can do, read from its state graph: the facts an HTTP contract depends on.

An advance enters a state and runs until the journey pauses at a `wait`/`webhook` step or ends (see
`journeys.engine.interpreter`). Which responses an operation can give follows from the states that advance can
walk through: a start that can only pause answers a status, one that can end answers an outcome; a step whose
advance runs an `apiKeyValidate` task and can come back to the same step can be refused with 401.
"""

from __future__ import annotations

from dataclasses import dataclass

from journeys.contracts.journey_paths import successors
from journeys.definitions.model import (
    ApiKeyValidateTask,
    ChoiceState,
    ExternalInputState,
    FailState,
    JourneyDefinition,
    State,
    SucceedState,
    TaskState,
    TransformState,
)


@dataclass(frozen=True, slots=True)
class Advance:
    """The states one advance may walk through from its entry state, pauses and ends included."""

    states: tuple[State, ...]

    @property
    def pauses(self) -> tuple[ExternalInputState, ...]:
        """The steps the journey may be waiting at when the advance stops."""
        return tuple(state for state in self.states if isinstance(state, ExternalInputState))

    @property
    def can_end(self) -> bool:
        """Whether the advance may end the journey: at a succeed/fail state, or by an expression failing (a keyed
        pause evaluates its correlation key, and a key it cannot wait for fails the journey)."""
        return any(
            isinstance(state, SucceedState | FailState | ChoiceState | TransformState)
            or (isinstance(state, ExternalInputState) and state.correlation_key is not None)
            for state in self.states
        )

    def can_refuse(self, step: ExternalInputState) -> bool:
        """Whether a submission to `step` that starts this advance can be refused with 401.

        The engine refuses (and persists nothing) when an API-key check failed and the advance came back to the
        same step; a check whose failure can only lead elsewhere never produces a 401.
        """
        return bool(self.api_key_tasks) and any(pause.id == step.id for pause in self.pauses)

    @property
    def api_key_tasks(self) -> tuple[ApiKeyValidateTask, ...]:
        """The API-key checks the advance may run, each once (several states may share one configuration)."""
        tasks = (state.task for state in self.states if isinstance(state, TaskState))
        return tuple(dict.fromkeys(task for task in tasks if isinstance(task, ApiKeyValidateTask)))


def advance_from(definition: JourneyDefinition, entry: str, scope: str = "") -> Advance:
    """Every state reachable from `entry` (in the parallel branch at `scope`, if any) without passing a pause or an
    end (breadth first, each state once). A branch's advance may run on past its branch, into the rest of the
    parallel and beyond: that part is not followed."""
    states = definition.states_in(scope)
    seen = {entry}
    order = [entry]
    for state_id in order:
        state = states[state_id]
        for target in () if isinstance(state, ExternalInputState) else successors(state):
            if target not in seen:
                seen.add(target)
                order.append(target)
    return Advance(tuple(states[state_id] for state_id in order))
