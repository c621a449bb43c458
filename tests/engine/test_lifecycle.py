"""The lifecycle machine: legal phase changes happen, illegal ones are refused."""

from __future__ import annotations

import pytest
from transitions import MachineError

from journeys.engine.lifecycle import Lifecycle


class _Run:
    def __init__(self, phase: str = "Running") -> None:
        self.phase = phase


@pytest.mark.parametrize(("trigger", "phase"), [("succeed", "Succeeded"), ("fail", "Failed"), ("cancel", "Failed")])
def test_running_journeys_can_end(trigger: str, phase: str) -> None:
    run = _Run()
    Lifecycle(cancellable=True).fire(run, trigger)  # type: ignore[arg-type]
    assert run.phase == phase


@pytest.mark.parametrize("trigger", ["succeed", "fail", "cancel"])
def test_ended_journeys_cannot_change_phase(trigger: str) -> None:
    run = _Run("Succeeded")
    with pytest.raises(MachineError):
        Lifecycle(cancellable=True).fire(run, trigger)  # type: ignore[arg-type]
    assert run.phase == "Succeeded"


def test_cancel_does_not_exist_when_not_cancellable() -> None:
    run = _Run()
    with pytest.raises(KeyError):
        Lifecycle(cancellable=False).fire(run, "cancel")
    assert run.phase == "Running"
