"""What a definition with subjourneys or compensation may not say: each mistake is a load error naming its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.definitions import DefinitionErrors, load_definition

HEADER = """apiVersion: v1
kind: {kind}
metadata: {{ name: checks, version: 0.1.0 }}
spec:
"""


def _errors(tmp_path: Path, spec: str, kind: str = "Journey") -> list[tuple[str, str]]:
    path = tmp_path / "checks.journey.yaml"
    path.write_text(HEADER.format(kind=kind) + spec, encoding="utf-8")
    with pytest.raises(DefinitionErrors) as raised:
        load_definition(path)
    return [(error.field, error.message) for error in raised.value.errors]


CALL = """  start: call
  states:
    call:
      type: subjourney
      subjourney: {{ ref: {ref} }}
      next: done
    done: {{ type: succeed }}
"""


def test_a_subjourney_that_calls_itself_is_refused(tmp_path: Path) -> None:
    spec = """  subjourneys:
    loop:
      start: again
      states:
        again:
          type: subjourney
          subjourney: { ref: loop }
          next: done
        done: { type: succeed }
""" + CALL.format(ref="loop")
    [(field, message)] = _errors(tmp_path, spec)
    assert field == "spec.subjourneys.loop" and "calls itself" in message


def test_references_inside_a_subjourney_resolve_in_its_own_states(tmp_path: Path) -> None:
    spec = """  subjourneys:
    review:
      start: check
      states:
        check: { type: transform, transform: { mapper: { lang: dataweave, expr: '{}' } }, next: call }
        stray: { type: succeed }
""" + CALL.format(ref="review")
    errors = _errors(tmp_path, spec)
    assert ("spec.subjourneys.review.states.check.next", "no state 'call' in spec.subjourneys.review.states") in [
        (field, message.split(" (")[0]) for field, message in errors
    ]


def test_an_unreachable_state_of_a_subjourney_is_reported(tmp_path: Path) -> None:
    spec = """  subjourneys:
    review:
      start: done
      states:
        done: { type: succeed }
        stray: { type: succeed }
""" + CALL.format(ref="review")
    [(field, message)] = _errors(tmp_path, spec)
    assert field == "spec.subjourneys.review.states.stray" and "unreachable" in message


def test_an_api_cannot_call_a_subjourney(tmp_path: Path) -> None:
    spec = """  subjourneys:
    review:
      start: done
      states:
        done: { type: succeed }
""" + CALL.format(ref="review")
    [(field, message)] = _errors(tmp_path, spec, kind="Api")
    assert field == "spec.states.call.type" and "kind: Api" in message


def test_a_sync_compensation_is_refused_as_not_supported(tmp_path: Path) -> None:
    spec = """  compensation:
    mode: sync
    start: undo
    states:
      undo: { type: succeed }
  start: done
  states:
    done: { type: succeed }
"""
    [(field, message)] = _errors(tmp_path, spec)
    assert field == "spec.compensation.mode" and "not supported" in message


def test_a_subjourney_state_in_a_parallel_branch_is_refused_as_not_supported(tmp_path: Path) -> None:
    spec = """  subjourneys:
    review:
      start: done
      states:
        done: { type: succeed }
  start: both
  states:
    both:
      type: parallel
      parallel:
        branches:
          - name: left
            start: call
            states:
              call:
                type: subjourney
                subjourney: { ref: review }
                next: end
              end: { type: succeed }
          - name: right
            start: end
            states:
              end: { type: succeed }
      next: done
    done: { type: succeed }
"""
    [(field, message)] = _errors(tmp_path, spec)
    assert field == "spec.states.both.parallel.branches[0].states.call.type" and "not supported" in message
