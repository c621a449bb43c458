"""The published JSON Schemas (schemas/*.schema.json) accept what the loader accepts and refuse its shape errors.

Editors check journey YAML with these schemas while it is written, so a schema that refused a definition the engine
runs would put red lines under working files, and one that accepted a misspelt field would hide the mistake until
`journeys validate`. Documents are read as the loader reads them (YAML 1.2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from journeys.definitions import DefinitionErrors, load_definition, load_definition_text
from journeys.definitions.inbound_model import VERIFICATION_PRESETS
from journeys.definitions.inbound_sources import load_source
from journeys.definitions.source import parse_document
from journeys.definitions.spec_blocks import IMPLEMENTED_SPEC_BLOCKS
from journeys.definitions.states import supported_state_types
from journeys.definitions.tasks import supported_task_kinds
from journeys.expressions import SUPPORTED_LANGS
from tests.support import ROOT, loadable_examples, needs_shared_examples

SCHEMAS = ROOT / "schemas"
JOURNEY_SCHEMA = json.loads((SCHEMAS / "journey.schema.json").read_text(encoding="utf-8"))
SOURCE_SCHEMA = json.loads((SCHEMAS / "inbound-source.schema.json").read_text(encoding="utf-8"))
JOURNEYS = jsonschema_rs.Draft202012Validator(JOURNEY_SCHEMA, offline=True)
SOURCES = jsonschema_rs.Draft202012Validator(SOURCE_SCHEMA, offline=True)
FIXTURES = ROOT / "tests" / "fixtures" / "journeys"
BROKEN = Path(__file__).parent / "broken"
SHIPPED_JOURNEYS = sorted((ROOT / "definitions").glob("*.journey.yaml")) + sorted(FIXTURES.glob("*.journey.yaml"))
SHIPPED_SOURCES = sorted((ROOT / "definitions").glob("*.source.yaml")) + sorted(FIXTURES.glob("*.source.yaml"))
# Broken definitions whose one defect no schema can see: graph, expression syntax, references, duplicate keys.
BEYOND_A_SCHEMA = {
    "bad-expression",
    "dangling-choice-default",
    "dangling-next",
    "duplicate-key",
    "start-nowhere",
    "subjourney-unknown-ref",
    "unknown-mapper-ref",
    "unreachable-state",
    "yaml-syntax-error",
}

VALID = """
apiVersion: v1
kind: Journey
metadata: { name: sample, version: "1" }
spec:
  input: { schema: { type: object, properties: { id: { type: string } } } }
  start: review
  states:
    review:
      type: wait
      wait:
        input: { schema: { type: object } }
        timeoutSec: 60
        onTimeout: late
      next: keep
    keep:
      type: transform
      transform:
        mapper: { lang: dataweave, expr: "{ id: id }" }
        target: { kind: var }
        resultVar: result
      next: done
    done: { type: succeed, outputVar: result }
    late: { type: fail, errorCode: LATE }
"""

SOURCE = """
apiVersion: v1
kind: InboundSource
metadata: { name: acme }
spec:
  verify: { preset: hmac, header: X-Signature, signedContent: "{body}" }
  correlation:
    key: { lang: dataweave, expr: payload.orderId }
"""


def _document(path: Path) -> Any:
    return parse_document(path.read_text(encoding="utf-8"), str(path)).data


def _errors(validator: jsonschema_rs.Validator, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, error.instance_path))}: {error.message}" for error in validator.iter_errors(document)]


def _edited(text: str, old: str, new: str) -> Any:
    assert old in text
    return parse_document(text.replace(old, new), "edited.journey.yaml").data


def _loads(document_text: str) -> bool:
    try:
        load_definition_text(document_text, "edited.journey.yaml")
    except DefinitionErrors:
        return False
    return True


@pytest.mark.parametrize("path", SHIPPED_JOURNEYS, ids=lambda path: path.name)
def test_every_shipped_journey_and_fixture_matches_the_schema(path: Path) -> None:
    load_definition(path)  # it loads, so the schema must accept it
    assert _errors(JOURNEYS, _document(path)) == []


@pytest.mark.parametrize("path", SHIPPED_SOURCES, ids=lambda path: path.name)
def test_every_shipped_source_matches_the_source_schema(path: Path) -> None:
    assert _errors(SOURCES, _document(path)) == []


@needs_shared_examples
def test_every_journeyforge_example_the_engine_loads_matches_the_schema() -> None:
    examples = loadable_examples()
    assert examples
    assert {path.name: _errors(JOURNEYS, _document(path)) for path in examples} == {p.name: [] for p in examples}


SHAPE_BROKEN = [p for p in sorted(BROKEN.glob("*.journey.yaml")) if p.name.split(".")[0] not in BEYOND_A_SCHEMA]


@pytest.mark.parametrize("path", SHAPE_BROKEN, ids=lambda path: path.name)
def test_a_broken_definition_with_a_shape_defect_is_refused_by_the_schema_too(path: Path) -> None:
    with pytest.raises(DefinitionErrors):
        load_definition(path)
    assert _errors(JOURNEYS, _document(path)) != []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("next: keep", "nxt: keep", id="misspelt-field"),
        pytest.param("timeoutSec: 60", "timeoutSec: soon", id="wrong-type"),
        pytest.param('version: "1"', "version: 1", id="numeric-version"),
        pytest.param("        onTimeout: late\n", "", id="timeout-without-onTimeout"),
        pytest.param("      next: keep", "      next: keep\n      default: keep", id="next-and-default"),
        pytest.param("target: { kind: var }", "target: { kind: context }", id="resultVar-with-context-target"),
        pytest.param("type: wait", "type: subjourney", id="unsupported-state-type"),
        pytest.param("lang: dataweave", "lang: python", id="unknown-language"),
        pytest.param(
            "start: review\n  states:\n    review:", "start: cancel\n  states:\n    cancel:", id="reserved-id"
        ),
    ],
)
def test_the_schema_refuses_what_the_loader_refuses_for_shape(old: str, new: str) -> None:
    assert _errors(JOURNEYS, parse_document(VALID, "valid.journey.yaml").data) == []
    assert _loads(VALID)

    assert not _loads(VALID.replace(old, new))
    assert _errors(JOURNEYS, _edited(VALID, old, new)) != []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("preset: hmac, header: X-Signature,", "preset: token,", id="token-without-header"),
        pytest.param("preset: hmac", "preset: stripe", id="hmac-fields-on-a-preset"),
        pytest.param("correlation:", "corelation:", id="misspelt-field"),
        pytest.param('signedContent: "{body}"', 'signedContent: "{header:X-Time}"', id="signature-not-over-body"),
        pytest.param("name: acme", "name: deliveries", id="reserved-name"),
    ],
)
def test_the_source_schema_refuses_what_the_loader_refuses_for_shape(old: str, new: str, tmp_path: Path) -> None:
    valid, broken = tmp_path / "valid.source.yaml", tmp_path / "broken.source.yaml"
    valid.write_text(SOURCE)
    broken.write_text(SOURCE.replace(old, new))
    load_source(valid)
    assert _errors(SOURCES, _document(valid)) == []

    with pytest.raises(DefinitionErrors):
        load_source(broken)
    assert _errors(SOURCES, _document(broken)) != []


def test_the_schemas_name_exactly_what_the_loader_supports() -> None:
    """A state type, task kind, spec block or language added to (or dropped from) the loader must reach the schema."""
    definitions = JOURNEY_SCHEMA["$defs"]
    assert sorted(definitions["state"]["properties"]["type"]["enum"]) == supported_state_types()
    assert sorted(definitions["task"]["properties"]["kind"]["enum"]) == supported_task_kinds()
    assert sorted(definitions["spec"]["properties"]) == sorted(IMPLEMENTED_SPEC_BLOCKS)
    assert sorted(definitions["expression"]["properties"]["lang"]["enum"]) == sorted(SUPPORTED_LANGS)
    assert SOURCE_SCHEMA["$defs"]["verify"]["properties"]["preset"]["enum"] == list(VERIFICATION_PRESETS)
    assert SOURCE_SCHEMA["$defs"]["expression"] == definitions["expression"]
    for schema in (JOURNEY_SCHEMA, SOURCE_SCHEMA):
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema_rs.Draft202012Validator({"$ref": schema["$schema"]}, offline=True).validate(schema)
