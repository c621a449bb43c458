"""The ordered states a journey went through, read back from its history: the path a state diagram draws.

Each history row is one committed advance (`snapshots.transition_of`): `from_state` is where the journey was,
`path` the states the advance entered, `to_state` where it stopped. How `path` starts depends on the event: an
advance on a submission or delivery starts with the step it was submitted to (the journey's `from_state`), a
resume with the state it resumes; a timeout starts at the `onTimeout` state, without the step it left; a
cancellation enters no state. Joining the rows therefore adds the `from_state` where the path does not start
with it, and drops the state an advance starts from when the previous one stopped there, so a journey waiting
at a step and then moved on by a submission shows the step once, not twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol


class Transition(Protocol):
    """What is read of a history row (`journeys.store.TransitionRecord` has it)."""

    @property
    def from_state(self) -> str | None: ...

    @property
    def to_state(self) -> str: ...

    @property
    def path(self) -> Sequence[str]: ...


def states_walked(transitions: Iterable[Transition]) -> list[str]:
    """The states in the order the journey went through them, from history rows in sequence order; a state the
    journey came back to (a step looping on status updates) appears each time."""
    walked: list[str] = []
    for transition in transitions:
        states = list(transition.path) or [transition.to_state]
        if transition.from_state is not None and states[0] != transition.from_state:
            states.insert(0, transition.from_state)
        if walked and walked[-1] == states[0]:
            states = states[1:]
        walked += states
    return walked
