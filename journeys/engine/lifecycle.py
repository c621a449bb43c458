"""The journey lifecycle (Running -> Succeeded | Failed) as one `transitions` machine per definition.

A run is handed to its definition's machine as the model of the event being fired: the machine
reads and writes `run.phase` but never registers the run (registering binds convenience methods on
every model and cost more than the rest of an advance), so it holds no per-instance memory.
Cancellation exists as a trigger only when the definition is cancellable, so an illegal cancel
cannot slip through.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from transitions import Machine

# transitions logs every state change at INFO: per-journey noise in the server log, and measurable
# cost at a thousand journeys a second. Our own history table is the record of phase changes.
logging.getLogger("transitions").setLevel(logging.WARNING)

RUNNING, SUCCEEDED, FAILED = "Running", "Succeeded", "Failed"
PHASES = (RUNNING, SUCCEEDED, FAILED)
TERMINAL_PHASES = frozenset({SUCCEEDED, FAILED})

Trigger = Literal["succeed", "fail", "cancel", "retry"]


class Lifecycle:
    def __init__(self, *, cancellable: bool) -> None:
        transitions: list[dict[str, Any]] = [
            {"trigger": "succeed", "source": RUNNING, "dest": SUCCEEDED},
            {"trigger": "fail", "source": RUNNING, "dest": FAILED},
            # An operator runs a failed journey again from a state of its choice (journeys.engine.interventions).
            {"trigger": "retry", "source": FAILED, "dest": RUNNING},
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
        self._machine.events[trigger].trigger(model)
