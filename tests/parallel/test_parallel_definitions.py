"""What the loader says about a `parallel` state's shape: each mistake named at its field, the branch included."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.definitions import DefinitionErrors, load_definition

TEMPLATE = """
apiVersion: v1
kind: Journey
metadata: {{ name: shapes, version: 0.1.0 }}
spec:
  start: both
  states:
    both:
      type: parallel
      parallel:
        branches:
          - name: left
            start: leftStep
            states:
              leftStep:
                type: wait
                wait: {{ input: {{ schema: {{ type: object }} }} }}
                next: {left_next}
              leftDone: {{ type: succeed }}
          - name: right
            start: rightStep
            states:
              rightStep:
                type: wait
                wait: {{ input: {{ schema: {{ type: object }} }} }}
                next: rightDone
              rightDone: {{ type: succeed }}
{extra_branch}        join: {{ strategy: {strategy} }}
      next: done
    done: {{ type: succeed }}
"""
BRANCH = "states.both.parallel.branches"


def _errors(tmp_path: Path, **changes: str) -> list[tuple[str, str, bool]]:
    values = {"left_next": "leftDone", "extra_branch": "", "strategy": "allOf", **changes}
    path = tmp_path / "shapes.journey.yaml"
    path.write_text(TEMPLATE.format(**values))
    with pytest.raises(DefinitionErrors) as raised:
        load_definition(path)
    return [(error.field, error.message, error.unsupported) for error in raised.value.errors]


def test_a_well_formed_parallel_loads_with_its_branch_steps_routed(tmp_path: Path) -> None:
    path = tmp_path / "shapes.journey.yaml"
    path.write_text(TEMPLATE.format(left_next="leftDone", extra_branch="", strategy="anyOf"))
    definition = load_definition(path)
    assert dict(definition.step_scopes) == {"leftStep": "both/left", "rightStep": "both/right"}
    assert definition.external_input("rightStep") is definition.scopes["both/right"]["rightStep"]


def test_a_branch_cannot_lead_out_of_its_parallel(tmp_path: Path) -> None:
    [(field, message, unsupported)] = _errors(tmp_path, left_next="done")
    assert field == f"spec.{BRANCH}[0].states.leftStep.next" and not unsupported
    assert "no state 'done'" in message and "lead only to states of the same branch" in message


def test_step_ids_are_unique_in_the_journey(tmp_path: Path) -> None:
    twin = (
        "          - name: twin\n            start: leftStep\n            states:\n              leftStep:\n"
        "                type: wait\n                wait: { input: { schema: { type: object } } }\n"
        "                next: end\n              end: { type: succeed }\n"
    )
    [(field, message, _)] = _errors(tmp_path, extra_branch=twin)
    assert field == "spec.states.both" and "step id 'leftStep' is used twice" in message


def test_an_unknown_join_strategy_is_named(tmp_path: Path) -> None:
    [(field, message, _)] = _errors(tmp_path, strategy="someOf")
    assert field == "spec.states.both.parallel.join.strategy" and "allOf" in message


def test_a_branch_state_nobody_reaches_is_reported_in_its_branch(tmp_path: Path) -> None:
    [(field, message, _)] = _errors(tmp_path, left_next="leftStep")
    assert field == f"spec.{BRANCH}[0].states.leftDone" and "unreachable" in message and "start 'leftStep'" in message


def test_a_schedule_inside_a_branch_is_refused_as_not_supported(tmp_path: Path) -> None:
    path = tmp_path / "ticking.journey.yaml"
    path.write_text(
        """
apiVersion: v1
kind: Journey
metadata: { name: ticking, version: 0.1.0 }
spec:
  start: both
  states:
    both:
      type: parallel
      parallel:
        branches:
          - name: binder
            start: bind
            states:
              bind:
                type: task
                task: { kind: "schedule:v1", start: tick, interval: PT1H, maxRuns: 2 }
                next: tick
              tick: { type: succeed }
          - name: other
            start: done
            states:
              done: { type: succeed }
      next: done
    done: { type: succeed }
"""
    )
    with pytest.raises(DefinitionErrors) as raised:
        load_definition(path)
    [error] = raised.value.errors
    assert error.unsupported and error.field == f"spec.{BRANCH}[0].states.bind.task.kind"
    assert "schedule:v1 task inside a parallel branch" in error.message
