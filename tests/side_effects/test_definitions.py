"""Loading `cache:v1` and `kafkaPublish:v1` tasks: what the DSL allows loads, and every mistake is reported at the
field that holds it (so an author can find it), never at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.definitions import DefinitionErrors, load_definition
from journeys.definitions.context_reads import unwritten_reads
from tests.side_effects.conftest import JOURNEYS


def _load(tmp_path: Path, task: str, spec_extra: str = "") -> None:
    """Load a one-task journey whose task block is `task` (YAML lines indented under `task:`)."""
    body = "\n".join("        " + line for line in task.strip().splitlines())
    text = f"""\
apiVersion: v1
kind: Journey
metadata: {{ name: probe, version: "1" }}
spec:
{spec_extra}  start: work
  states:
    work:
      type: task
      task:
{body}
      next: done
    done: {{ type: succeed }}
"""
    path = tmp_path / "probe.journey.yaml"
    path.write_text(text, encoding="utf-8")
    load_definition(path)


def _errors(tmp_path: Path, task: str, spec_extra: str = "") -> dict[str, str]:
    with pytest.raises(DefinitionErrors) as failure:
        _load(tmp_path, task, spec_extra)
    return {error.field: error.message for error in failure.value.errors}


KEY = "key: { mapper: { lang: dataweave, expr: context.id } }"
VALUE = "value: { mapper: { lang: dataweave, expr: context } }"


def test_the_fixture_journeys_load() -> None:
    for path in sorted(JOURNEYS.glob("*.journey.yaml")):
        load_definition(path)


@pytest.mark.parametrize(
    ("task", "field", "message"),
    [
        (f"kind: cache:v1\noperation: get\n{KEY}", "resultVar", "required"),
        (f"kind: cache:v1\noperation: put\n{KEY}", "value", "required"),
        (f"kind: cache:v1\noperation: put\n{KEY}\n{VALUE}\nresultVar: x", "resultVar", "writes nothing"),
        (f"kind: cache:v1\noperation: put\n{KEY}\n{VALUE}\nttlSeconds: 0", "ttlSeconds", "positive integer"),
        (f"kind: cache:v1\noperation: delete\n{KEY}", "operation", "get"),
        ("kind: cache:v1\noperation: get\nresultVar: x", "key", "required"),
        (f"kind: cache:v1\noperation: get\n{KEY}\nresultVar: x\ncacheRef: hot", "cacheRef", "unknown field"),
        ("kind: kafkaPublish:v1\ntopic: orders", "value", "required"),
        (f"kind: kafkaPublish:v1\ntopic: 'orders events'\n{VALUE}", "topic", "Kafka topic name"),
        (f"kind: kafkaPublish:v1\ntopic: orders\n{VALUE}\nresultVar: sent", "resultVar", "no result"),
        (
            f"kind: kafkaPublish:v1\ntopic: orders\n{VALUE}\nconnectionSecretRef: kafka-prod",
            "connectionSecretRef",
            "secret://",
        ),
        (
            f"kind: kafkaPublish:v1\ntopic: orders\n{VALUE}\nvalueSchemaRef: nowhere.json",
            "valueSchemaRef",
            "cannot read",
        ),
        (f"kind: kafkaPublish:v1\ntopic: orders\n{VALUE}\nheaders: {{ trace: [a] }}", "headers.trace", "string"),
    ],
)
def test_a_mistake_is_reported_at_its_field(tmp_path: Path, task: str, field: str, message: str) -> None:
    errors = _errors(tmp_path, task)
    where = f"spec.states.work.task.{field}"
    assert where in errors, errors
    assert message in errors[where]


def test_a_key_may_be_an_interpolated_string_and_schemas_are_read_beside_the_definition(tmp_path: Path) -> None:
    (tmp_path / "event.schema.yaml").write_text("type: object\nrequired: [id]\n", encoding="utf-8")
    _load(
        tmp_path,
        f"kind: kafkaPublish:v1\ntopic: orders\nkey: 'order-${{context.id}}'\n{VALUE}"
        "\nvalueSchemaRef: event.schema.yaml\nkeySchemaRef: event.schema.yaml",
    )
    errors = _errors(
        tmp_path, f"kind: kafkaPublish:v1\ntopic: orders\n{VALUE}\nkeySchemaRef: event.schema.yaml\nvalueSchemaRef: ''"
    )
    assert list(errors) == ["spec.states.work.task.valueSchemaRef"]


def test_legacy_cache_declarations_are_accepted_but_nothing_else_under_resources(tmp_path: Path) -> None:
    legacy = "  resources:\n    caches:\n      defaultCache: { kind: inMemory, ttlSeconds: 300 }\n"
    _load(tmp_path, f"kind: cache:v1\noperation: get\n{KEY}\nresultVar: x", legacy)
    queues = "  resources:\n    queues: { q: {} }\n"
    errors = _errors(tmp_path, f"kind: cache:v1\noperation: get\n{KEY}\nresultVar: x", queues)
    assert "unknown field 'queues'" in errors["spec.resources.queues"]


def test_validate_warns_of_a_read_of_a_name_no_cache_get_or_state_writes(tmp_path: Path) -> None:
    path = tmp_path / "typo.journey.yaml"
    path.write_text(
        """\
apiVersion: v1
kind: Journey
metadata: { name: typo, version: "1" }
spec:
  input: { schema: { type: object, properties: { userId: { type: string } } } }
  start: read
  states:
    read:
      type: task
      task:
        kind: cache:v1
        operation: get
        key: { mapper: { lang: dataweave, expr: "context.userId" } }
        resultVar: cachedUser
      next: announce
    announce:
      type: task
      task:
        kind: kafkaPublish:v1
        topic: users.seen
        key: "${context.userID}"
        value: { mapper: { lang: dataweave, expr: "context.cachedUsr" } }
      next: done
    done: { type: succeed }
""",
        encoding="utf-8",
    )
    warnings = {warning.field: warning.message for warning in unwritten_reads(load_definition(path))}
    assert set(warnings) == {"spec.states.announce.task.key", "spec.states.announce.task.value.mapper.expr"}
    assert "cachedUser" in warnings["spec.states.announce.task.value.mapper.expr"]
