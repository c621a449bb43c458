"""The journey lifecycle (Running -> Succeeded | Failed) as one `transitions` machine per definition.

Runs are attached to their definition's machine as models only while a phase change is fired, so
the machine holds no per-instance memory between requests. Cancellation exists as a trigger only
when the definition is cancellable, so an illegal cancel cannot slip through.
"""

from __future__ import annotations

from typing import Any, Literal

from transitions import Machine

RUNNING, SUCCEEDED, FAILED = "Running", "Succeeded", "Failed"
PHASES = (RUNNING, SUCCEEDED, FAILED)
TERMINAL_PHASES = frozenset({SUCCEEDED, FAILED})

Trigger = Literal["succeed", "fail", "cancel"]


class Lifecycle:
    def __init__(self, *, cancellable: bool) -> None:
        transitions: list[dict[str, Any]] = [
            {"trigger": "succeed", "source": RUNNING, "dest": SUCCEEDED},
            {"trigger": "fail", "source": RUNNING, "dest": FAILED},
        ]
        if cancellable:
            transitions.append({"trigger": "cancel", "source": RUNNING, "dest": FAILED})
        self.cancellable = cancellable
        self._machine = Machine(
            model=None,
            states=list(PHASES),
            transitions=transitions,
            initial=RUNNING,
            auto_transitions=False,
            model_attribute="phase",
        )

    def fire(self, model: Any, trigger: Trigger) -> None:
        """Move `model.phase` along `trigger`; raises transitions.MachineError for an illegal move."""
        self._machine.add_model(model, initial=model.phase)
        try:
            self._machine.events[trigger].trigger(model)
        finally:
            self._machine.remove_model(model)
