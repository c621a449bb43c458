"""What an advance can run before the journey pauses again, read from the definition: it decides which step retries
are looked up before an advance (so they never repeat its outbound calls) and which auth checks a retry answered
from the log must pass."""

from __future__ import annotations

from journeys.definitions import load_definition_text
from journeys.definitions.model import ExternalInputState, JourneyDefinition
from journeys.engine.advance_reach import tasks_before_pause

NESTED_CHILDREN = """
apiVersion: v1
kind: Journey
metadata: { name: nested-lookup, version: 0.1.0 }
spec:
  subjourneys:
    outer:
      start: callInner
      states:
        callInner:
          type: subjourney
          subjourney: { ref: inner }
          next: done
        done: { type: succeed }
    inner:
      start: fetch
      states:
        fetch:
          type: task
          task: { kind: "httpCall:v1", method: GET, url: "https://rates.example.test/today", resultVar: rates }
          next: done
        done: { type: succeed }
  start: lookup
  states:
    lookup:
      type: subjourney
      subjourney: { ref: outer }
      next: done
    done: { type: succeed }
"""

BRANCH_CHECKS = """
apiVersion: v1
kind: Journey
metadata: { name: branch-checks, version: 0.1.0 }
spec:
  start: both
  states:
    both:
      type: parallel
      parallel:
        branches:
          - name: open
            start: note
            states:
              note:
                type: wait
                wait: { input: { schema: { type: object } } }
                next: noted
              noted: { type: succeed }
          - name: guarded
            start: sign
            states:
              sign:
                type: wait
                wait: { input: { schema: { type: object } } }
                next: checkKey
              checkKey:
                type: task
                task: { kind: "apiKeyValidate:v1", profile: partners }
                next: signed
              signed: { type: succeed }
      next: audit
    audit:
      type: task
      task: { kind: "httpCall:v1", method: POST, url: "https://audit.example.test/events", mode: notify }
      next: done
    done: { type: succeed }
"""


def _reach(definition: JourneyDefinition, step: str) -> list[str]:
    state = definition.external_input(step)
    assert isinstance(state, ExternalInputState)
    return sorted(task.id for task in tasks_before_pause(definition, state.next, definition.step_scopes[step]))


def test_a_start_reaches_the_calls_of_a_grandchild_that_ends_at_once() -> None:
    definition = load_definition_text(NESTED_CHILDREN, "nested-lookup.journey.yaml")
    assert [task.id for task in tasks_before_pause(definition, definition.start)] == ["fetch"]


def test_a_branch_step_reaches_its_own_branch_and_what_follows_the_join_not_the_other_branch() -> None:
    definition = load_definition_text(BRANCH_CHECKS, "branch-checks.journey.yaml")
    assert _reach(definition, "note") == ["audit"]  # its branch ends, which may join: the audit call follows
    assert _reach(definition, "sign") == ["audit", "checkKey"]
