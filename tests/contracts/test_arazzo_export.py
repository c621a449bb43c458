"""The Arazzo export: one workflow per client path through a journey, valid Arazzo 1.0.1, calling operations of the
journey's OpenAPI document, with request bodies that steer the journey along the path; and the committed
`arazzo/generated/` files are what the generator makes of the definitions today.

Run `python -m tests.contracts.test_arazzo_export` to refresh the committed files after changing a definition
or the generator.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from journeys.cli import main as journeys_cli
from journeys.contracts.arazzo_export import export_arazzo
from journeys.contracts.export_command import load_with_sources
from journeys.contracts.journey_paths import MAX_PATHS, journey_paths
from journeys.contracts.openapi_export import export_openapi
from journeys.contracts.schema_examples import example_value, pattern_example
from journeys.contracts.steering import WRONG_KEY
from journeys.definitions import load_definition
from journeys.definitions.model import JourneyDefinition, ParallelState
from tests.support import (
    ROOT,
    SHARED,
    SHARED_EXAMPLES,
    SHIPPED_DEFINITIONS,
    TEST_DEFINITIONS,
    loadable_examples,
    needs_shared_examples,
)

ARAZZO_SCHEMA_PATH = SHARED / "reference" / "arazzo-1.0.schema.json"
PAYMENT_CALLBACK = SHIPPED_DEFINITIONS / "payment-callback.journey.yaml"
HAND_WRITTEN_OPENAPI = ROOT / "openapi" / "payment-callback.openapi.yaml"

GATEWAY_JOURNEYS = ("midtrans-payment", "stripe-payment", "digiflazz-topup")
# committed file -> (definition, sourceDescription url relative to the file)
GENERATED = {
    ROOT / "arazzo" / "generated" / f"{name}.arazzo.yaml": (
        SHIPPED_DEFINITIONS / f"{name}.journey.yaml",
        f"../../openapi/{name}.openapi.yaml",
    )
    for name in ("payment-callback", *GATEWAY_JOURNEYS)
}
GENERATED_HEADER = """\
# Generated from {definition} by journeys.contracts.arazzo_export.export_arazzo
# (openapi_url {url}): edit the definition, not this file.
# tests/contracts/test_arazzo_export.py fails when this file drifts from the generator and says how to refresh it.
"""


LOADABLE_EXAMPLES = loadable_examples()
OUR_DEFINITIONS = sorted([*SHIPPED_DEFINITIONS.glob("*.journey.yaml"), *TEST_DEFINITIONS.glob("*.journey.yaml")])


def _arazzo_errors(document: dict[str, Any]) -> list[str]:
    if not ARAZZO_SCHEMA_PATH.exists():
        pytest.skip(f"the Arazzo 1.0 JSON Schema is not at {ARAZZO_SCHEMA_PATH}")
    schema = json.loads(ARAZZO_SCHEMA_PATH.read_text(encoding="utf-8"))
    return [f"{error.json_path}: {error.message}" for error in Draft202012Validator(schema).iter_errors(document)]


def _workflows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {workflow["workflowId"]: workflow for workflow in document["workflows"]}


def _steps(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["stepId"]: step for step in workflow["steps"]}


def _conditions(step: dict[str, Any]) -> list[str]:
    return [criterion["condition"] for criterion in step.get("successCriteria", [])]


def _defaults(workflow: dict[str, Any]) -> dict[str, Any]:
    return {name: spec["default"] for name, spec in workflow["inputs"]["properties"].items() if "default" in spec}


def _operations(api: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        operation["operationId"]: (method, path, operation)
        for path, item in api["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


def _parameters(api: dict[str, Any], path: str, operation: dict[str, Any]) -> set[tuple[str, str]]:
    declared = set()
    for parameter in [*api["paths"][path].get("parameters", []), *operation.get("parameters", [])]:
        if "$ref" in parameter:
            parameter = api["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        declared.add((parameter["in"], parameter["name"]))
    return declared


def _definition(tmp_path: Path, text: str) -> JourneyDefinition:
    path = tmp_path / "journey.journey.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_definition(path)


@pytest.fixture(scope="module")
def payment_callback() -> dict[str, Any]:
    return export_arazzo(load_definition(PAYMENT_CALLBACK))


# -- payment-callback -------------------------------------------------------------------------------------------


def test_payment_callback_has_a_workflow_for_the_success_and_the_failure_path(payment_callback: dict) -> None:
    workflows = _workflows(payment_callback)
    assert list(workflows) == ["payment-callback-happy-path", "payment-callback-declined"]
    for workflow in workflows.values():
        assert list(_steps(workflow)) == ["startJourney", "waitForCallback", "getResult"]

    happy = _steps(workflows["payment-callback-happy-path"])
    assert "$response.body.phase == 'Succeeded'" in _conditions(happy["waitForCallback"])
    assert _conditions(happy["getResult"]) == [
        "$statusCode == 200",
        "$response.body.phase == 'Succeeded'",
        "$response.body.status == 'SUCCESS'",
    ]
    declined = _steps(workflows["payment-callback-declined"])
    assert "$response.body.phase == 'Failed'" in _conditions(declined["waitForCallback"])
    assert _conditions(declined["getResult"]) == [
        "$statusCode == 200",
        "$response.body.phase == 'Failed'",
        "$response.body.error.code == 'PAYMENT_FAILED'",
    ]
    for steps in (happy, declined):
        assert _conditions(steps["startJourney"]) == [
            "$statusCode == 200",
            "$response.body.phase == 'Running'",
            "$response.body.currentState == 'waitForCallback'",
        ]


def test_timeouts_and_rejected_callbacks_are_not_workflows(payment_callback: dict) -> None:
    """`onTimeout` cannot be triggered over HTTP; a wrong secret or payment id loops back to the same step."""
    definition = load_definition(PAYMENT_CALLBACK)
    assert [path.terminal for path in journey_paths(definition)] == ["paid", "declined"]
    text = json.dumps(payment_callback)
    assert "callbackNeverArrived" not in text and "PAYMENT_CALLBACK_TIMEOUT" not in text


def test_payloads_steer_each_workflow_along_its_path(payment_callback: dict) -> None:
    definition = load_definition(PAYMENT_CALLBACK)
    callback_schema = definition.states["waitForCallback"].input_schema  # type: ignore[union-attr]
    statuses = {}
    for workflow_id, workflow in _workflows(payment_callback).items():
        defaults = _defaults(workflow)
        assert definition.input_schema is not None and definition.input_schema.errors(defaults["startRequest"]) == []
        assert callback_schema.errors(defaults["waitForCallbackPayload"]) == []
        # checkPaymentId routes a callback for another payment back to the step: the ids must match.
        assert defaults["waitForCallbackPayload"]["paymentId"] == defaults["startRequest"]["paymentId"]
        statuses[workflow_id] = defaults["waitForCallbackPayload"]["status"]
    assert statuses == {"payment-callback-happy-path": "SUCCESS", "payment-callback-declined": "FAILED"}


def test_the_webhook_secret_is_a_required_input_sent_in_the_step_header(payment_callback: dict) -> None:
    for workflow in payment_callback["workflows"]:
        inputs = workflow["inputs"]
        assert "webhookSecret" in inputs["required"] and "default" not in inputs["properties"]["webhookSecret"]
        step = _steps(workflow)["waitForCallback"]
        assert {"name": "X-Webhook-Secret", "in": "header", "value": "$inputs.webhookSecret"} in step["parameters"]
        assert "parameters" not in _steps(workflow)["startJourney"]


def test_payment_callback_document_is_valid_arazzo_1_0_1(payment_callback: dict) -> None:
    assert payment_callback["arazzo"] == "1.0.1"
    assert _arazzo_errors(payment_callback) == []
    assert payment_callback["sourceDescriptions"] == [
        {"name": "paymentCallback", "url": "../openapi/payment-callback.openapi.yaml", "type": "openapi"}
    ]


@pytest.mark.parametrize(
    "api",
    [
        pytest.param(lambda: yaml.safe_load(HAND_WRITTEN_OPENAPI.read_text(encoding="utf-8")), id="openapi-file"),
        pytest.param(lambda: export_openapi(load_definition(PAYMENT_CALLBACK)), id="openapi-export"),
    ],
)
def test_every_step_calls_an_operation_of_the_openapi_document(payment_callback: dict, api: Any) -> None:
    document = api()
    operations = _operations(document)
    for workflow in payment_callback["workflows"]:
        for step in workflow["steps"]:
            where = f"{workflow['workflowId']}/{step['stepId']}"
            assert step["operationId"] in operations, f"{where}: {step['operationId']} is not in the OpenAPI document"
            _method, path, operation = operations[step["operationId"]]
            declared = _parameters(document, path, operation)
            for parameter in step.get("parameters", []):
                assert (parameter["in"], parameter["name"]) in declared, f"{where}: undeclared {parameter}"


# -- committed files --------------------------------------------------------------------------------------------


def _render(definition_path: Path, url: str) -> str:
    definition, sources = load_with_sources(definition_path)
    document = export_arazzo(definition, openapi_url=url, sources=sources)
    header = GENERATED_HEADER.format(definition=definition_path.relative_to(ROOT), url=url)
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


@pytest.mark.parametrize("committed", list(GENERATED), ids=lambda path: path.name)
def test_committed_arazzo_files_match_the_generator(committed: Path) -> None:
    definition_path, url = GENERATED[committed]
    assert committed.exists(), "run `python -m tests.contracts.test_arazzo_export` to write it"
    assert yaml.safe_load(committed.read_text(encoding="utf-8")) == yaml.safe_load(_render(definition_path, url)), (
        f"{committed.relative_to(ROOT)} drifted from the generator: run `python -m tests.contracts.test_arazzo_export`"
    )
    [source] = yaml.safe_load(committed.read_text(encoding="utf-8"))["sourceDescriptions"]
    name = definition_path.name.removesuffix(".journey.yaml")
    assert (committed.parent / source["url"]).resolve() == (ROOT / "openapi" / f"{name}.openapi.yaml")


# -- steps fed by inbound sources ------------------------------------------------------------------------------


def _gateway_steps(definition_path: Path, *, with_sources: bool = True) -> list[dict[str, Any]]:
    definition, sources = load_with_sources(definition_path)
    document = export_arazzo(definition, sources=sources if with_sources else None)
    return [workflow["steps"][1] for workflow in document["workflows"]]


def test_a_signed_step_says_how_it_is_verified_and_which_input_holds_the_secret() -> None:
    for step in _gateway_steps(SHIPPED_DEFINITIONS / "digiflazz-topup.journey.yaml"):
        assert step["x-journeys-verification"] == {
            "source": "digiflazz",
            "secretInput": "digiflazzSecret",
            "preset": "hmac",
            "header": "X-Hub-Signature",
            "algorithm": "sha1",
            "encoding": "hex",
            "prefix": "sha1=",
        }
        assert [p["name"] for p in step["parameters"]] == ["journeyId"]  # the runner adds the signature
    definition, sources = load_with_sources(SHIPPED_DEFINITIONS / "digiflazz-topup.journey.yaml")
    workflow = export_arazzo(definition, sources=sources)["workflows"][0]
    assert "digiflazzSecret" in workflow["inputs"]["required"]
    assert "default" not in workflow["inputs"]["properties"]["digiflazzSecret"]


def test_a_shared_secret_step_sends_the_secret_as_its_header() -> None:
    [step, *_] = _gateway_steps(TEST_DEFINITIONS / "fixture-xendit-invoice.journey.yaml")
    assert {"name": "x-callback-token", "in": "header", "value": "$inputs.fixtureXenditSecret"} in step["parameters"]
    assert step["x-journeys-verification"]["preset"] == "token"


def test_a_step_exported_without_its_source_names_only_the_source() -> None:
    [step, *_] = _gateway_steps(SHIPPED_DEFINITIONS / "stripe-payment.journey.yaml", with_sources=False)
    assert step["x-journeys-verification"] == {"source": "stripe", "secretInput": "stripeSecret"}
    assert "a preset this document does not name" in step["description"]


def test_workflows_do_not_share_ids_that_dedupe_or_correlate_deliveries() -> None:
    definition, sources = load_with_sources(SHIPPED_DEFINITIONS / "stripe-payment.journey.yaml")
    workflows = export_arazzo(definition, sources=sources)["workflows"]
    events = [_defaults(w)["waitForEventPayload"]["id"] for w in workflows]
    orders = [_defaults(w)["startRequest"]["orderId"] for w in workflows]
    assert events == orders == [w["workflowId"] for w in workflows]


# -- every definition the engine loads --------------------------------------------------------------------------


@pytest.mark.parametrize("definition_path", LOADABLE_EXAMPLES, ids=lambda path: path.parent.name)
def test_journeys_export_arazzo_of_a_shared_example_is_valid_arazzo(
    definition_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out.arazzo.yaml"
    definition = load_definition(definition_path)
    if definition.kind == "Api" or all(
        any(definition.states[s].type == "timer" for s in path.states) for path in journey_paths(definition)
    ):
        # One request, or nothing but waits for time to pass: no HTTP workflow can exercise it, and the export says so.
        assert journeys_cli(["export", "arazzo", str(definition_path), "-o", str(output)]) == 1
        refusal = capsys.readouterr().err
        assert "OpenAPI document instead" in refusal or "journeys test" in refusal
        return
    assert journeys_cli(["export", "arazzo", str(definition_path), "-o", str(output)]) == 0
    document = yaml.safe_load(output.read_text(encoding="utf-8"))
    assert _arazzo_errors(document) == []
    # A journey that ends at a parallel's join shows the export no happy path: it walks the top-level states only.
    if not all(isinstance(definition.states[path.terminal], ParallelState) for path in journey_paths(definition)):
        assert any(workflow["workflowId"].endswith("-happy-path") for workflow in document["workflows"])


@needs_shared_examples
def test_the_shared_examples_that_load_are_exported() -> None:
    assert {path.parent.name for path in LOADABLE_EXAMPLES} >= {"sync-wrapper-wait", "transform-pipeline"}


@pytest.mark.parametrize("definition_path", OUR_DEFINITIONS, ids=lambda path: path.name.split(".")[0])
def test_our_definitions_export_valid_arazzo(definition_path: Path) -> None:
    assert _arazzo_errors(export_arazzo(load_definition(definition_path))) == []


# -- paths and steering -----------------------------------------------------------------------------------------


@needs_shared_examples
def test_a_predicate_literal_steers_a_free_string_field() -> None:
    """sync-wrapper-wait ends only when `context.payload.status == 'DONE'`: the schema says just `string`."""
    document = export_arazzo(load_definition(SHARED_EXAMPLES / "sync-wrapper-wait" / "sync-wrapper-wait.journey.yaml"))
    [workflow] = document["workflows"]
    assert _defaults(workflow)["waitStepPayload"] == {"status": "DONE"}
    assert "No generated" not in json.dumps(workflow)


def test_a_default_branch_gets_a_value_that_fails_the_other_branches() -> None:
    """locked-approval (JSONata): `approved = true` approves, the default rejects."""
    document = export_arazzo(load_definition(TEST_DEFINITIONS / "locked-approval.journey.yaml"))
    workflows = _workflows(document)
    assert {workflow_id: _defaults(w)["approvePayload"] for workflow_id, w in workflows.items()} == {
        "locked-approval-happy-path": {"approved": True},
        "locked-approval-rejected": {"approved": False},
    }


def test_an_async_start_long_polls_the_result() -> None:
    document = export_arazzo(load_definition(TEST_DEFINITIONS / "async-greeting.journey.yaml"))
    [workflow] = document["workflows"]
    steps = _steps(workflow)
    assert _conditions(steps["startJourney"]) == ["$statusCode == 202"]
    assert {"name": "waitSeconds", "in": "query", "value": 30} in steps["getResult"]["parameters"]


@needs_shared_examples
def test_a_path_no_generated_body_can_take_is_kept_and_says_so() -> None:
    """transform-pipeline's `enrich` reads `context.amount` after `normalise` replaced the whole context, so the
    journey always fails there (the example's defect, see test_arazzo_contract_runner); its one path stays."""
    document = export_arazzo(
        load_definition(SHARED_EXAMPLES / "transform-pipeline" / "transform-pipeline.journey.yaml")
    )
    [workflow] = document["workflows"]
    assert "No generated request body was found" in workflow["description"]
    assert "No generated body was found" in _steps(workflow)["startJourney"]["description"]


def test_a_path_that_needs_a_rejected_key_sends_a_wrong_one(tmp_path: Path) -> None:
    definition = _definition(
        tmp_path,
        """
        apiVersion: v1
        kind: Journey
        metadata: { name: guarded, version: "1" }
        spec:
          start: submit
          states:
            submit:
              type: wait
              wait:
                input: { schema: { type: object } }
              next: check
            check:
              type: task
              task: { kind: apiKeyValidate:v1, profile: p, source: { location: query, name: api_key } }
              next: route
            route:
              type: choice
              choices:
                - when: { predicate: { lang: dataweave, expr: context.auth.apiKey.problem == null } }
                  next: done
              default: refused
            done: { type: succeed }
            refused: { type: fail, errorCode: REFUSED }
        """,
    )
    workflows = _workflows(export_arazzo(definition))
    keys = {
        workflow_id: [p for p in _steps(workflow)["submit"]["parameters"] if p["in"] == "query"]
        for workflow_id, workflow in workflows.items()
    }
    assert keys == {
        "guarded-happy-path": [{"name": "api_key", "in": "query", "value": "$inputs.apiKey"}],
        "guarded-refused": [{"name": "api_key", "in": "query", "value": WRONG_KEY}],
    }
    assert "apiKey" not in workflows["guarded-refused"]["inputs"]["properties"]


def _fan_out(branches: int) -> str:
    choices = "\n".join(
        f"        - when: {{ predicate: {{ lang: dataweave, expr: payload.n == {n} }} }}\n          next: end{n}"
        for n in range(branches)
    )
    ends = "\n".join(f"    end{n}: {{ type: fail, errorCode: E{n} }}" for n in range(branches))
    return (
        "apiVersion: v1\nkind: Journey\nmetadata: { name: fan-out, version: '1' }\nspec:\n  start: ask\n  states:\n"
        "    ask:\n      type: wait\n      wait:\n        input: { schema: { type: object, required: [n],"
        " properties: { n: { type: integer } } } }\n      next: route\n"
        f"    route:\n      type: choice\n      choices:\n{choices}\n      default: ask\n{ends}\n"
    )


def test_the_number_of_workflows_is_capped(tmp_path: Path) -> None:
    definition = _definition(tmp_path, _fan_out(MAX_PATHS + 4))
    document = export_arazzo(definition)
    assert len(document["workflows"]) == MAX_PATHS
    # Each branch got the number its predicate compares with.
    assert [_defaults(w)["askPayload"]["n"] for w in document["workflows"]] == list(range(MAX_PATHS))


# -- example values ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "pattern": "^[A-Z]{3}$"}, "AAA"),
        ({"type": "string", "format": "date-time"}, "2026-01-01T00:00:00Z"),
        ({"type": "string", "minLength": 10}, "examplexxx"),
        ({"type": "number", "exclusiveMinimum": 0}, 1),
        ({"type": "integer", "minimum": 5, "multipleOf": 4}, 8),
        ({"enum": ["B", "A"]}, "B"),
        ({"type": "string", "examples": ["given"], "default": "fallback"}, "given"),
        ({"type": ["null", "boolean"]}, True),
        ({"type": "array", "items": {"const": 1}, "minItems": 2}, [1, 1]),
        (
            {
                "type": "object",
                "required": ["a"],
                "properties": {"a": {"$ref": "#/$defs/a"}, "b": {"type": "string"}},
                "$defs": {"a": {"type": "integer"}},
            },
            {"a": 1},
        ),
    ],
)
def test_example_values_follow_the_schema(schema: dict[str, Any], expected: Any) -> None:
    value = example_value(schema)
    assert value == expected
    assert list(Draft202012Validator(schema).iter_errors(value)) == []


def test_a_pattern_the_generator_cannot_model_yields_none() -> None:
    assert pattern_example(r"(a)\1") is None


def _refresh() -> Iterator[Path]:
    for committed, (definition_path, url) in GENERATED.items():
        committed.parent.mkdir(parents=True, exist_ok=True)
        committed.write_text(_render(definition_path, url), encoding="utf-8")
        yield committed


if __name__ == "__main__":
    for written in _refresh():
        print(f"wrote {written.relative_to(ROOT)}")
