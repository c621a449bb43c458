"""The DSL reference (docs/dsl-reference.md) shows only journeys the engine really loads.

Each YAML example that is a whole definition is marked in the document with the comment line before its fence:
`<!-- example: loads -->`, `<!-- example: rejected "<message>" -->` (exactly one error, with that message) or
`<!-- example: warns "<message>" -->` (loads, and `journeys validate` warns so). Every other YAML block must at
least be YAML. The reference must also cover every state type and task kind with an example, and list everything
the loader refuses as unsupported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema_rs
import pytest
import yaml

from journeys.definitions import DefinitionErrors, load_definition_text
from journeys.definitions.context_reads import unwritten_reads
from journeys.definitions.http_call_task import UNSUPPORTED_FIELDS
from journeys.definitions.model import JourneyDefinition, TaskState
from journeys.definitions.spec_blocks import IMPLEMENTED_SPEC_BLOCKS, UNSUPPORTED_SPEC_BLOCKS
from journeys.definitions.states import DSL_ONLY_STATE_TYPES, supported_state_types
from journeys.definitions.tasks import supported_task_kinds
from tests.support import ROOT

REFERENCE = ROOT / "docs" / "dsl-reference.md"
SCHEMA = ROOT / "schemas" / "journey.schema.json"
MARKER = re.compile(r'<!-- example: (loads|rejected|warns)(?: "(.+)")? -->')
FENCE = re.compile(r"^```(\w*)\s*$")
# Spec blocks whose example cannot be a whole definition: `apis` needs an OpenAPI document on disk; `resources` is
# accepted without effect (named caches from before ADR-0028) and not worth showing.
SPEC_BLOCKS_SHOWN_AS_FRAGMENTS = {"apis", "resources"}


@dataclass(frozen=True)
class Example:
    line: int
    verdict: str | None  # None: a fragment
    message: str | None
    text: str

    @property
    def id(self) -> str:
        return f"line-{self.line}"


def _yaml_blocks(path: Path) -> list[Example]:
    lines = path.read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        if fence.group(1) == "yaml":
            marker = MARKER.fullmatch(lines[index - 1].strip()) if index else None
            verdict, message = (marker.group(1), marker.group(2)) if marker else (None, None)
            examples.append(Example(index + 1, verdict, message, "\n".join(lines[index + 1 : end]) + "\n"))
        index = end + 1
    return examples


EXAMPLES = _yaml_blocks(REFERENCE)
DEFINITIONS = [example for example in EXAMPLES if example.verdict is not None]
LOADING = [example for example in DEFINITIONS if example.verdict != "rejected"]


def _load(example: Example) -> JourneyDefinition:
    name = yaml.safe_load(example.text)["metadata"]["name"]
    return load_definition_text(example.text, f"docs/{name}.journey.yaml")


def _section(title: str) -> str:
    text = REFERENCE.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_the_reference_has_whole_definitions_of_each_verdict() -> None:
    assert {example.verdict for example in DEFINITIONS} == {"loads", "rejected", "warns"}
    assert len(LOADING) >= 8


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.id)
def test_every_yaml_block_is_yaml_and_every_whole_definition_is_marked(example: Example) -> None:
    document = yaml.safe_load(example.text)
    is_definition = isinstance(document, dict) and document.get("kind") in ("Journey", "Api") and "spec" in document
    assert is_definition == (example.verdict is not None), (
        "a whole definition must be marked <!-- example: ... --> (and a fragment must not be)"
    )


@pytest.mark.parametrize("example", LOADING, ids=lambda example: example.id)
def test_a_loading_example_loads_matches_the_schema_and_warns_as_marked(example: Example) -> None:
    definition = _load(example)

    warnings = [warning.message for warning in unwritten_reads(definition)]
    if example.verdict == "loads":
        assert warnings == []  # the reference's own examples read nothing they do not write
    else:
        assert len(warnings) == 1 and str(example.message) in warnings[0], warnings
    validator = jsonschema_rs.Draft202012Validator(json.loads(SCHEMA.read_text()), offline=True)
    assert [error.message for error in validator.iter_errors(dict(definition.raw))] == []


@pytest.mark.parametrize("example", [e for e in DEFINITIONS if e.verdict == "rejected"], ids=lambda example: example.id)
def test_a_rejected_example_fails_with_exactly_its_error(example: Example) -> None:
    with pytest.raises(DefinitionErrors) as raised:
        _load(example)

    assert [str(example.message) in error.message for error in raised.value.errors] == [True], str(raised.value)


def test_every_state_type_task_kind_and_spec_block_has_a_loading_example() -> None:
    definitions = [_load(example) for example in LOADING]
    states = [state for definition in definitions for state in definition.states.values()]
    spec_blocks = {key for definition in definitions for key in definition.raw["spec"]}

    assert {state.type for state in states} == set(supported_state_types())
    assert {state.task.kind for state in states if isinstance(state, TaskState)} == set(supported_task_kinds())
    assert spec_blocks | SPEC_BLOCKS_SHOWN_AS_FRAGMENTS == set(IMPLEMENTED_SPEC_BLOCKS)
    for heading in [*supported_state_types(), *supported_task_kinds()]:
        assert f"\n### {heading}\n" in REFERENCE.read_text(encoding="utf-8")


def test_everything_the_loader_refuses_as_unsupported_is_listed() -> None:
    listed = _section("Not supported yet")

    for name in [*DSL_ONLY_STATE_TYPES, *UNSUPPORTED_SPEC_BLOCKS, *UNSUPPORTED_FIELDS, "attributes"]:
        assert f"`{name}`" in listed, name
