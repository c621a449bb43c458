"""`spec.platform.config` and `spec.outcomes` at load: what is declared, refused, and what `validate` warns about."""

from __future__ import annotations

import pytest

from journeys.definitions import DefinitionErrors, load_definition_text
from journeys.definitions.context_reads import unwritten_reads
from journeys.definitions.model import JourneyDefinition

BASE = """\
apiVersion: v1
kind: Journey
metadata: { name: blocks, version: "1" }
spec:
  input: { schema: { type: object, properties: { amount: { type: number } } } }
BLOCK
  start: done
  states:
    done: { type: succeed }
"""


def _load(block: str) -> JourneyDefinition:
    return load_definition_text(BASE.replace("BLOCK", block), "blocks.journey.yaml")


def test_platform_config_keys_are_declared_with_type_required_and_description() -> None:
    definition = _load(
        "  platform:\n    config:\n"
        "      baseUrl: { type: string, required: true, description: Links }\n"
        "      limits: { type: object }\n"
    )
    base, limits = definition.platform_config["baseUrl"], definition.platform_config["limits"]
    assert (base.type, base.required, base.description) == ("string", True, "Links")
    assert (limits.type, limits.required) == ("object", False)
    assert limits.accepts({"max": 3}) and not limits.accepts("3")


@pytest.mark.parametrize(
    ("block", "field", "fragment"),
    [
        ("  platform: { config: { baseUrl: { type: url } } }", "spec.platform.config.baseUrl.type", "must be one of"),
        ("  platform: { config: { baseUrl: { required: true } } }", "spec.platform.config.baseUrl.type", "missing"),
        (
            "  platform: { config: { baseUrl: { type: string, default: x } } }",
            "spec.platform.config.baseUrl.default",
            "unknown field",
        ),
        ("  platform: { config: { base-url: { type: string } } }", "spec.platform.config.base-url", "identifier"),
        ("  platform: { settings: {} }", "spec.platform.settings", "unknown field"),
    ],
)
def test_malformed_platform_config_is_refused(block: str, field: str, fragment: str) -> None:
    with pytest.raises(DefinitionErrors) as refused:
        _load(block)
    assert any(e.field == field and fragment in e.message for e in refused.value.errors), str(refused.value)


def test_an_outcome_predicate_reading_an_unwritten_name_is_a_validate_warning() -> None:
    definition = _load(
        "  outcomes:\n    Big:\n      when:\n        phase: SUCCEEDED\n"
        "        predicate: { lang: dataweave, expr: 'amout > 10' }\n"
    )
    (warning,) = unwritten_reads(definition)
    assert warning.field == "spec.outcomes.Big.when.predicate.expr" and "did you mean 'amount'" in warning.message
