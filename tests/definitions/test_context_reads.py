"""`journeys validate` warns about reads of context names that nothing writes, and only when it is sure.

The case it exists for: a typo in a context name loads fine and makes a predicate always false. Each test loads a
real definition and checks the warnings a user would read (field, line, suggestion), or that a journey whose
writes cannot all be seen gets none.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from journeys.definitions import load_definition, load_definition_text
from journeys.definitions.context_reads import unwritten_reads
from journeys.definitions.errors import DefinitionWarning
from tests.support import ROOT

HEAD = """apiVersion: v1
kind: Journey
metadata: { name: reads, version: "1" }
spec:
  input:
    schema:
      type: object
      properties:
        orderId: { type: string }
        amount: { type: number }
  start: first
  states:
"""


def _warnings(states: str, head: str = HEAD) -> list[DefinitionWarning]:
    return unwritten_reads(load_definition_text(head + states, "reads.journey.yaml"))


def test_a_misspelt_name_in_a_predicate_is_reported_at_its_line_with_a_suggestion() -> None:
    [warning] = _warnings(
        """    first:
      type: choice
      choices:
        - when:
            predicate:
              lang: dataweave
              expr: |
                orderId != null
                  and context.amout > 100
          next: done
      default: done
    done: { type: succeed }
"""
    )

    assert warning.line == 21  # the expression's second line, where `amout` is
    assert warning.field == "spec.states.first.choices[0].when.predicate.expr"
    assert warning.message.startswith("reads context.amout, which nothing writes")
    assert warning.message.endswith("did you mean 'amount'?")
    assert str(warning).startswith(f"WARN reads.journey.yaml:21: {warning.field}: reads context.amout")


def test_every_kind_of_write_counts_as_written() -> None:
    context_schema = "  context:\n    schema: { type: object, properties: { note: {} } }\n"
    head = HEAD.replace("  start: first", context_schema + "  start: first")
    warnings = _warnings(
        """    first:
      type: task
      task: { kind: apiKeyValidate:v1, authVar: caller }
      next: call
    call:
      type: task
      task:
        kind: httpCall:v1
        method: GET
        url: "https://example.com/orders/${context.orderId}?by=${context.caller.apiKey.keyId}"
        resultVar: lookup
        errorMapping:
          mapper: { lang: dataweave, expr: "payload.status" }
          target: { kind: context, path: failure.status }
      next: step
    step:
      type: wait
      wait: { input: { schema: { type: object } } }
      next: keep
    keep:
      type: transform
      transform:
        mapper:
          lang: dataweave
          expr: "context ++ { seen: payload.seen, total: lookup.body.total, why: failure.status, note: note }"
      next: keepMore
    keepMore:
      type: transform
      transform:
        mapper: { lang: dataweave, expr: "if (seen) { flag: true } else { flag: false, total: total }" }
      next: shape
    shape:
      type: transform
      transform:
        mapper: { lang: dataweave, expr: "{ amount: amount, flag: flag, total: total, step: context.payload }" }
        target: { kind: var }
        resultVar: result
      next: done
    done: { type: succeed, outputVar: result }
""",
        head,
    )

    assert warnings == []


def test_names_bound_by_the_expression_itself_are_not_context_reads() -> None:
    warnings = _warnings(
        """    first:
      type: transform
      transform:
        mapper:
          lang: dataweave
          expr: |
            %dw 2.0
            var rate = 2
            ---
            do {
              var lines = [amount]
              ---
              { total: lines map (line, index) -> line * rate, picked: context[orderId], gone: missing }
            }
        target: { kind: var }
        resultVar: result
      next: done
    done: { type: succeed, outputVar: result }
"""
    )

    assert [(w.line, w.message.split(",")[0]) for w in warnings] == [(25, "reads context.missing")]


@pytest.mark.parametrize(
    ("field", "state"),
    [
        pytest.param(
            "spec.states.first.webhook.correlationKey",
            """    first:
      type: webhook
      webhook:
        source: acme
        correlationKey: "${context.ordrId}"
        input: { schema: { type: object } }
      next: done
    done: { type: succeed }
""",
            id="template",
        ),
        pytest.param(
            "spec.states.done.outputVar",
            """    first:
      type: transform
      transform:
        mapper: { lang: dataweave, expr: "{ orderId: orderId }" }
        target: { kind: var }
        resultVar: result
      next: done
    done: { type: succeed, outputVar: reslt }
""",
            id="outputVar",
        ),
    ],
)
def test_templates_and_output_vars_are_reads_too(field: str, state: str) -> None:
    [warning] = _warnings(state)

    assert warning.field == field
    assert "did you mean" in warning.message


def test_names_in_schema_branches_are_written_and_required_alone_adds_none() -> None:
    head = HEAD.replace(
        "        amount: { type: number }\n",
        "        amount: { type: number }\n"
        "      anyOf:\n"
        "        - { required: [orderId] }\n"
        "        - { properties: { card: { type: string } } }\n"
        "        - { properties: { iban: { type: string } }, required: [iban] }\n",
    )
    states = """    first:
      type: transform
      transform:
        mapper: { lang: dataweave, expr: "{ pay: card default iban default ibn }" }
        target: { kind: var }
        resultVar: result
      next: done
    done: { type: succeed, outputVar: result }
"""

    assert [w.message.split(",")[0] for w in _warnings(states, head)] == ["reads context.ibn"]


def _whole_context_transform(lang: str, expr: str) -> str:
    return f"""    first:
      type: transform
      transform:
        mapper: {{ lang: {lang}, expr: '{expr}' }}
      next: done
    done: {{ type: succeed, outputVar: nothingWritesThis }}
"""


@pytest.mark.parametrize(
    ("head", "states"),
    [
        pytest.param(
            HEAD.replace("      properties:\n", "      x-notes:\n"),
            _whole_context_transform("dataweave", "{ a: 1 }"),
            id="start-body-undescribed",
        ),
        pytest.param(
            HEAD.replace("      properties:\n", "      patternProperties: { '^x-': {} }\n      properties:\n"),
            _whole_context_transform("dataweave", "{ a: 1 }"),
            id="start-names-open-ended",
        ),
        pytest.param(
            HEAD.replace("      properties:\n", "      additionalProperties: { type: number }\n      properties:\n"),
            _whole_context_transform("dataweave", "{ a: 1 }"),
            id="start-body-is-a-map",
        ),
        pytest.param(HEAD, _whole_context_transform("dataweave", "context ++ payload"), id="keys-from-payload"),
        pytest.param(HEAD, _whole_context_transform("jsonata", '{ "a": 1 }'), id="keys-from-jsonata"),
    ],
)
def test_no_warning_when_the_writes_cannot_all_be_seen(head: str, states: str) -> None:
    # Where every write is seen, reading `nothingWritesThis` is reported...
    assert len(_warnings(_whole_context_transform("dataweave", "{ a: 1 }"), HEAD)) == 1
    # ...but not when the start body or a whole-context result may hold any name.
    assert _warnings(states, head) == []


def test_the_shipped_definitions_have_no_warnings() -> None:
    for path in sorted((ROOT / "definitions").glob("*.journey.yaml")):
        assert unwritten_reads(load_definition(path)) == [], path


def test_validate_prints_warnings_after_the_ok_line_and_still_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "reads.journey.yaml"
    path.write_text(
        HEAD
        + """    first:
      type: choice
      choices:
        - when: { predicate: { lang: dataweave, expr: "amout > 100" } }
          next: done
      default: done
    done: { type: succeed }
"""
    )

    result = subprocess.run(
        [sys.executable, "-m", "journeys.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    ok, warn = result.stdout.splitlines()
    assert ok == f"OK {path} (reads 1, 2 states)"
    assert warn.startswith(f"WARN {path}:16: spec.states.first.choices[0].when.predicate.expr: reads context.amout")
    assert warn.endswith("did you mean 'amount'?")


def test_a_misspelt_name_in_a_timer_duration_is_reported() -> None:
    states = """    first:
      type: timer
      timer:
        duration:
          mapper: { lang: dataweave, expr: '"PT" ++ (amont as String) ++ "S"' }
      next: done
    done: { type: succeed }
"""
    (warning,) = _warnings(states)
    assert warning.field == "spec.states.first.timer.duration.mapper.expr"
    assert "did you mean 'amount'" in warning.message
