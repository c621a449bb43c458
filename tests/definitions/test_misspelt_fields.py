"""A misspelt field is one error that names the field it should be, not a cascade.

Before, `nxt: done` gave three errors ("next: missing required field", "unknown field 'nxt'", and "state 'done' is
unreachable"), two of them about things the author never wrote; the first one printed sent them looking for a
missing field that is there, one letter off.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.definitions import DefinitionError, DefinitionErrors, load_definition_text
from journeys.definitions.inbound_sources import load_source

VALID = """apiVersion: v1
kind: Journey
metadata: { name: spelling, version: "1" }
spec:
  start: check
  states:
    check:
      type: task
      task: { kind: apiKeyValidate:v1 }
      next: review
    review:
      type: wait
      wait:
        input: { schema: { type: object } }
        timeoutSec: 60
        onTimeout: done
      next: keep
    keep:
      type: transform
      transform:
        mapper: { lang: dataweave, expr: "{ a: 1 }" }
        target: { kind: var }
        resultVar: result
      next: done
    done: { type: succeed }
"""


def _errors(old: str, new: str) -> list[DefinitionError]:
    assert old in VALID
    load_definition_text(VALID, "spelling.journey.yaml")  # the unedited document is valid
    with pytest.raises(DefinitionErrors) as raised:
        load_definition_text(VALID.replace(old, new, 1), "spelling.journey.yaml")
    return raised.value.errors


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        pytest.param(
            "      next: review", "      nxt: review", "spec.states.check.nxt", "did you mean 'next'?", id="state-next"
        ),
        pytest.param("  start: check", "  strat: check", "spec.strat", "did you mean 'start'?", id="spec-start"),
        pytest.param(
            "        input: {", "        inpt: {", "spec.states.review.wait.inpt", "did you mean 'input'?", id="input"
        ),
        pytest.param(
            "onTimeout: done", "onTimeot: done", "spec.states.review.wait.onTimeot", "did you mean 'onTimeout'?",
            id="onTimeout",
        ),
        pytest.param(
            "timeoutSec: 60", "timeoutSc: 60", "spec.states.review.wait.timeoutSc", "did you mean 'timeoutSec'?",
            id="timeoutSec",
        ),
        pytest.param(
            "        mapper: {", "        mappr: {", "spec.states.keep.transform.mappr", "did you mean 'mapper'?",
            id="mapper",
        ),
        pytest.param(
            "        resultVar: result", "        resultVr: result", "spec.states.keep.transform.resultVr",
            "did you mean 'resultVar'?", id="resultVar",
        ),
        pytest.param(
            "expr: \"{ a: 1 }\"", "exp: \"{ a: 1 }\"", "spec.states.keep.transform.mapper.exp",
            "did you mean 'expr'?", id="expr",
        ),
        pytest.param(
            "metadata: { name:", "metdata: { name:", "metdata", "did you mean 'metadata'?", id="metadata"
        ),
        # Where the block's fields depend on the misspelt one, the "missing" error itself names the suspect.
        pytest.param(
            "task: { kind:", "task: { knd:", "spec.states.check.task.kind",
            "missing required field (is 'knd' a misspelling of it?)", id="task-kind",
        ),
        pytest.param(
            "    done: { type: succeed }", "    done: { tpye: succeed }", "spec.states.done.type",
            "missing required field (is 'tpye' a misspelling of it?)", id="state-type",
        ),
    ],
)  # fmt: skip
def test_a_misspelt_field_is_one_error_that_suggests_the_right_name(
    old: str, new: str, field: str, message: str
) -> None:
    [error] = _errors(old, new)

    assert error.field == field
    assert message in error.message


def test_an_unknown_field_with_no_close_name_lists_the_allowed_ones() -> None:
    [error] = _errors("      next: review", "      next: review\n      retries: 3")

    assert error.message == "unknown field 'retries' (allowed here: next, task, type)"


def test_a_field_that_is_really_missing_is_reported_once() -> None:
    """The states after it are not also reported as unreachable: the author lost an edge, not three states."""
    [error] = _errors("      next: review\n", "")

    assert (error.field, error.message) == ("spec.states.check.next", "missing required field")


def test_a_misspelt_source_field_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "acme.source.yaml"
    path.write_text(
        """apiVersion: v1
kind: InboundSource
metadata: { name: acme }
spec:
  verify: { preset: shared-secret }
  corelation:
    key: { lang: dataweave, expr: payload.orderId }
"""
    )

    with pytest.raises(DefinitionErrors) as raised:
        load_source(path)

    [error] = raised.value.errors
    assert (error.field, error.line) == ("spec.corelation", 6)
    assert "did you mean 'correlation'?" in error.message
