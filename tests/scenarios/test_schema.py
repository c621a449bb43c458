"""schemas/scenario.schema.json, the editor schema of scenario files, agrees with the runner's reader."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from journeys.scenarios import scenario_format, scenario_model
from tests.support import SHARED_EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "scenario.schema.json").read_text(encoding="utf-8"))
SCENARIO_FILES = sorted((ROOT / "tests").rglob("*.scenario.yaml"))


def _keys(definition: dict[str, Any]) -> frozenset[str]:
    return frozenset(definition["properties"])


@pytest.mark.parametrize(
    ("schema_keys", "reader_keys"),
    [
        (_keys(SCHEMA), scenario_model.FILE_KEYS),
        (_keys(SCHEMA["$defs"]["scenario"]), scenario_model.SCENARIO_KEYS),
        (_keys(SCHEMA["$defs"]["response"]), scenario_model.RESPONSE_KEYS),
        (_keys(SCHEMA["$defs"]["request"]), scenario_model.REQUEST_KEYS),
        (_keys(SCHEMA["$defs"]["submit"]), scenario_model.REQUEST_KEYS | {"submit"}),
        (_keys(SCHEMA["$defs"]["stepExpectation"]), scenario_model.STEP_EXPECT_KEYS),
        (_keys(SCHEMA["$defs"]["advance"]["properties"]["expect"]), scenario_model.ADVANCE_EXPECT_KEYS),
        (_keys(SCHEMA["$defs"]["expectation"]), scenario_model.FINAL_EXPECT_KEYS),
        (_keys(SCHEMA["$defs"]["expectation"]["properties"]["calls"]["items"]), scenario_model.CALL_KEYS),
    ],
)
def test_the_schema_names_the_fields_the_reader_accepts(
    schema_keys: frozenset[str], reader_keys: frozenset[str]
) -> None:
    assert schema_keys == reader_keys


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda path: path.name)
def test_every_scenario_file_in_the_repository_is_valid(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML reads an unquoted timestamp as a datetime; the schema (like JSON) sees the text.
    for holder in [document, *document["scenarios"]]:
        if isinstance(holder.get("clock"), datetime):
            holder["clock"] = holder["clock"].isoformat().replace("+00:00", "Z")
    errors = [error.message for error in jsonschema_rs.validator_for(SCHEMA).iter_errors(document)]
    assert not errors, errors
    if path.parent.name == "compat" and not SHARED_EXAMPLES.is_dir():
        pytest.skip(f"the journeys of tests/compat are in {SHARED_EXAMPLES}, which is absent")
    scenario_format.load_scenario_file(path)
