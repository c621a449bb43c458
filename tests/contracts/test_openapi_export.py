"""The generated OpenAPI documents: valid 3.1, the journey's own schemas, responses that follow the state graph,
the committed files in step with the generator, and `journeys export openapi` working on every example that loads.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from journeys.contracts.export_command import load_with_sources
from journeys.contracts.naming import camel_name, schema_name
from journeys.contracts.openapi_export import export_api_openapi, export_openapi
from journeys.definitions import load_catalog, load_definition, load_definitions
from journeys.definitions.model import JourneyDefinition
from tests.support import ROOT, SHIPPED_DEFINITIONS, TEST_DEFINITIONS, loadable_examples, needs_shared_examples

PAYMENT_CALLBACK = SHIPPED_DEFINITIONS / "payment-callback.journey.yaml"
SHIPPED_JOURNEYS = ("payment-callback", "midtrans-payment", "stripe-payment", "digiflazz-topup")


def _journey_document(name: str) -> Any:
    return lambda: export_openapi(*load_with_sources(SHIPPED_DEFINITIONS / f"{name}.journey.yaml"))


COMMITTED = {
    **{
        ROOT / "openapi" / f"{name}.openapi.yaml": (
            _journey_document(name),
            f"journeys export openapi definitions/{name}.journey.yaml -o openapi/{name}.openapi.yaml",
        )
        for name in SHIPPED_JOURNEYS
    },
    ROOT / "openapi" / "journeys-api.openapi.yaml": (
        lambda: export_api_openapi(*load_catalog([SHIPPED_DEFINITIONS])),
        "journeys export openapi definitions/ -o openapi/journeys-api.openapi.yaml",
    ),
}


def _operations(api: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """operationId -> (method, path)."""
    return {op["operationId"]: (method, path) for path, item in api["paths"].items() for method, op in item.items()}


def _operation(api: dict[str, Any], operation_id: str) -> dict[str, Any]:
    method, path = _operations(api)[operation_id]
    return api["paths"][path][method]


def _component(api: dict[str, Any], reference: dict[str, Any]) -> Any:
    return api["components"]["schemas"][reference["$ref"].removeprefix("#/components/schemas/")]


def _body_schema(api: dict[str, Any], operation_id: str) -> Any:
    return _component(api, _operation(api, operation_id)["requestBody"]["content"]["application/json"]["schema"])


def _ok_schema(api: dict[str, Any], operation_id: str, status: str = "200") -> Any:
    return _operation(api, operation_id)["responses"][status]["content"]["application/json"]["schema"]


def _parameters(operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["in"], p["name"]): p for p in operation.get("parameters", []) if "$ref" not in p}


def _journey(directory: Path, name: str, *states: str, start: str = "step") -> JourneyDefinition:
    """Write and load a small definition whose `spec.states` are the YAML fragments `states`."""
    body = "".join(textwrap.dedent(state).strip("\n") + "\n" for state in states)
    path = directory / f"{name}.journey.yaml"
    path.write_text(
        f"apiVersion: v1\nkind: Journey\nmetadata: {{ name: {name}, version: '1' }}\n"
        f"spec:\n  start: {start}\n  states:\n{textwrap.indent(body, '    ')}",
        encoding="utf-8",
    )
    return load_definition(path)


def _wait(next_state: str) -> str:
    return f"""
    step:
      type: wait
      wait: {{ channel: manual, input: {{ schema: {{ type: object }} }} }}
      next: {next_state}
    """


CHECK_KEY = """
check:
  type: task
  task: { kind: apiKeyValidate:v1, profile: p, source: { location: header, name: X-Key } }
  next: route
"""
DONE = "done: { type: succeed }"
REJECTED = "rejected: { type: fail, errorCode: REJECTED }"


def _routed_on_key(failure: str) -> str:
    """The key check, then a choice: a valid key ends the journey, a failed one goes to `failure`."""
    return f"""
    route:
      type: choice
      choices:
        - when: {{ predicate: {{ lang: dataweave, expr: context.auth.apiKey.problem == null }} }}
          next: done
      default: {failure}
    """


@pytest.fixture(scope="module")
def payment_api() -> dict[str, Any]:
    return export_openapi(load_definition(PAYMENT_CALLBACK))


# -- one journey's document -------------------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(payment_api: dict[str, Any]) -> None:
    assert payment_api["openapi"] == "3.1.0"
    validate(payment_api, cls=OpenAPIV31SpecValidator)
    assert payment_api["servers"] == [
        {"url": "/api/v1", "description": "The Journeys API, on the host that serves this document."}
    ]


def test_operation_ids_and_paths(payment_api: dict[str, Any]) -> None:
    assert _operations(payment_api) == {
        "paymentCallback_start": ("post", "/journeys/payment-callback/start"),
        "paymentCallback_getStatus": ("get", "/journeys/{journeyId}"),
        "paymentCallback_waitForCallback": ("post", "/journeys/{journeyId}/steps/waitForCallback"),
        "paymentCallback_getResult": ("get", "/journeys/{journeyId}/result"),
        "paymentCallback_cancel": ("post", "/journeys/{journeyId}/steps/cancel"),
        "paymentCallback_getHistory": ("get", "/journeys/{journeyId}/history"),
    }


def test_request_bodies_are_the_definition_schemas(payment_api: dict[str, Any]) -> None:
    definition = load_definition(PAYMENT_CALLBACK)
    step = definition.external_input("waitForCallback")
    assert step is not None and definition.input_schema is not None
    assert _body_schema(payment_api, "paymentCallback_waitForCallback") == step.input_schema.raw
    assert _body_schema(payment_api, "paymentCallback_start") == definition.input_schema.raw


def test_the_outcome_output_is_the_output_schema(payment_api: dict[str, Any]) -> None:
    definition = load_definition(PAYMENT_CALLBACK)
    assert definition.output_schema is not None
    envelope, specific = _component(payment_api, _ok_schema(payment_api, "paymentCallback_getResult"))["allOf"]
    assert envelope == {"$ref": "#/components/schemas/JourneyOutcome"}
    assert specific["properties"]["journeyName"] == {"const": "payment-callback"}
    output, null = specific["properties"]["output"]["anyOf"]
    assert _component(payment_api, output) == definition.output_schema.raw
    assert null == {"type": "null"}  # a failed journey has no output
    assert _ok_schema(payment_api, "paymentCallback_cancel") == _ok_schema(payment_api, "paymentCallback_getResult")


def test_the_step_answers_the_status_with_its_response_fields(payment_api: dict[str, Any]) -> None:
    step = load_definition(PAYMENT_CALLBACK).external_input("waitForCallback")
    assert step is not None and step.response_schema is not None
    status, fields = _component(payment_api, _ok_schema(payment_api, "paymentCallback_waitForCallback"))["allOf"]
    assert status == {"$ref": "#/components/schemas/JourneyStatus"}
    assert fields == step.response_schema.raw


def test_the_webhook_secret_is_a_required_header_and_401_is_documented(payment_api: dict[str, Any]) -> None:
    operation = _operation(payment_api, "paymentCallback_waitForCallback")
    secret = _parameters(operation)[("header", "X-Webhook-Secret")]
    assert secret["required"] is True and secret["schema"] == {"type": "string"}
    # The gateway's secret is the step's own header (arazzo-runner sends per-step headers only), not a client
    # credential: the step needs none, the only scheme is the clients' bearer.
    assert operation["security"] == []
    assert set(payment_api["components"]["securitySchemes"]) == {"clientAuth"}
    assert set(operation["responses"]) == {"200", "400", "401", "404", "408", "409", "413", "415", "503"}
    for status, response in operation["responses"].items():
        if status != "200":
            assert response["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }


def test_start_links_lead_to_every_operation_on_the_new_journey(payment_api: dict[str, Any]) -> None:
    links = _operation(payment_api, "paymentCallback_start")["responses"]["200"]["links"]
    others = set(_operations(payment_api)) - {"paymentCallback_start"}
    assert {link["operationId"] for link in links.values()} == others
    assert all(link["parameters"] == {"journeyId": "$response.body#/journeyId"} for link in links.values())
    step_links = _operation(payment_api, "paymentCallback_waitForCallback")["responses"]["200"]["links"]
    assert step_links == links


def test_a_start_that_only_pauses_answers_the_status(payment_api: dict[str, Any]) -> None:
    assert _ok_schema(payment_api, "paymentCallback_start") == {"$ref": "#/components/schemas/JourneyStatus"}


def test_a_start_that_only_ends_answers_the_outcome() -> None:
    api = export_openapi(load_definition(TEST_DEFINITIONS / "broken-arithmetic.journey.yaml"))
    assert _ok_schema(api, "brokenArithmetic_start") == {"$ref": "#/components/schemas/BrokenArithmeticOutcome"}
    assert [path for path in api["paths"] if "/steps/" in path] == ["/journeys/{journeyId}/steps/cancel"]


def test_a_start_that_may_pause_or_end_answers_either(tmp_path: Path) -> None:
    definition = _journey(
        tmp_path,
        "maybe-wait",
        """
        decide:
          type: choice
          choices:
            - when: { predicate: { lang: dataweave, expr: context.wait == true } }
              next: step
          default: done
        """,
        _wait("done"),
        DONE,
        start="decide",
    )
    assert _ok_schema(export_openapi(definition), "maybeWait_start") == {
        "oneOf": [
            {"$ref": "#/components/schemas/JourneyStatus"},
            {"$ref": "#/components/schemas/MaybeWaitOutcome"},
        ]
    }


def test_an_async_start_answers_202_with_a_location() -> None:
    api = export_openapi(load_definition(TEST_DEFINITIONS / "async-greeting.journey.yaml"))
    responses = _operation(api, "asyncGreeting_start")["responses"]
    assert set(responses) == {"202", "400", "401", "403", "404", "408", "413", "415", "422", "503"}
    assert responses["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JourneyStartResponse"
    }
    assert "Location" in responses["202"]["headers"]
    assert {link["operationId"] for link in responses["202"]["links"].values()} >= {"asyncGreeting_getStatus"}


def test_a_journey_that_cannot_be_cancelled_has_no_cancel_operation() -> None:
    api = export_openapi(load_definition(TEST_DEFINITIONS / "locked-approval.journey.yaml"))
    assert "lockedApproval_cancel" not in _operations(api)
    links = _operation(api, "lockedApproval_start")["responses"]["200"]["links"]
    assert "lockedApproval_cancel" not in links
    approve = _operation(api, "lockedApproval_approve")
    assert "401" not in approve["responses"] and set(_parameters(approve)) == {("header", "Idempotency-Key")}


def test_a_key_check_that_cannot_bring_the_journey_back_gives_no_401(tmp_path: Path) -> None:
    definition = _journey(
        tmp_path, "checked-once", _wait("check"), CHECK_KEY, _routed_on_key("rejected"), DONE, REJECTED
    )
    operation = _operation(export_openapi(definition), "checkedOnce_step")
    assert "401" not in operation["responses"]
    # The key is still read: documented, but a request without it runs (and fails the journey) instead of a 401.
    assert _parameters(operation)[("header", "X-Key")]["required"] is False


# -- the whole API ------------------------------------------------------------------------------------------------


def test_the_api_document_has_every_journey_and_the_shared_operations_once() -> None:
    definitions = load_definitions([SHIPPED_DEFINITIONS, TEST_DEFINITIONS])
    api = export_api_openapi(definitions)
    operations = _operations(api)
    assert {op for op in operations if op.endswith("_start")} == {f"{camel_name(name)}_start" for name in definitions}
    assert {"accountOpening_start", "paymentCallback_start", "midtransPayment_start"} <= set(operations)
    assert {"listJourneys", "getStatus", "getResult", "getHistory", "cancel"} <= set(operations)
    assert operations["lockedApproval_approve"] == ("post", "/journeys/{journeyId}/steps/approve")
    # payment-callback, digiflazz-topup and fixture journeys all wait at `waitForCallback`: one operation.
    assert operations["submitStep_waitForCallback"] == ("post", "/journeys/{journeyId}/steps/waitForCallback")
    result = _ok_schema(api, "getResult")
    assert result == {"oneOf": [
        {"$ref": f"#/components/schemas/{schema_name(name, 'Outcome')}"} for name in sorted(definitions)
    ]}  # fmt: skip
    page = _component(api, _ok_schema(api, "listJourneys"))
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/JourneyStatus"}


def test_the_phase_filter_accepts_what_the_server_accepts() -> None:
    [phase] = [p for p in _operation(export_api_openapi({}), "listJourneys")["parameters"] if p["name"] == "phase"]
    accepts = re.compile(phase["schema"]["pattern"]).search
    assert all(accepts(value) for value in ["Running", "running", "SUCCEEDED", "fAiLeD", ""])
    assert not any(accepts(value) for value in ["Sleeping", "Running ", "Run"])


def test_a_step_id_shared_by_two_journeys_is_one_operation_accepting_either_body(tmp_path: Path) -> None:
    guarded = _journey(tmp_path, "alpha", _wait("check"), CHECK_KEY, _routed_on_key("step"), DONE)
    unguarded = _journey(tmp_path, "beta", _wait("done"), DONE)
    api = export_api_openapi({"alpha": guarded, "beta": unguarded})
    operation = _operation(api, "submitStep_step")
    assert operation["tags"] == ["alpha", "beta"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "anyOf": [{"$ref": "#/components/schemas/AlphaStepRequest"}, {"$ref": "#/components/schemas/BetaStepRequest"}]
    }
    assert "401" in operation["responses"]  # alpha's check can refuse...
    assert _parameters(operation)[("header", "X-Key")]["required"] is False  # ...beta needs no key
    assert {link["operationId"] for link in operation["responses"]["200"]["links"].values()} == {
        "getStatus",
        "getResult",
        "getHistory",
        "cancel",
        "submitStep_step",
        "getInboundDelivery",  # every answer to a submission names its row in the inbound log
    }


# -- the committed documents ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(COMMITTED), ids=lambda path: path.name)
def test_the_committed_document_is_what_the_generator_writes(path: Path) -> None:
    generate, command = COMMITTED[path]
    committed = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert committed == generate(), f"{path.relative_to(ROOT)} is out of date; regenerate it with:\n  {command}"


# -- the command line ---------------------------------------------------------------------------------------------


def _journeys(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journeys.cli", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_the_cli_writes_a_journey_document_to_a_file(tmp_path: Path) -> None:
    output = tmp_path / "payment-callback.openapi.yaml"
    done = _journeys("export", "openapi", str(PAYMENT_CALLBACK), "-o", str(output))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    text = output.read_text(encoding="utf-8")
    assert text.startswith("# Generated by `journeys export openapi` from payment-callback.journey.yaml")
    assert yaml.safe_load(text) == export_openapi(load_definition(PAYMENT_CALLBACK))


def test_the_cli_writes_the_api_document_of_a_directory_to_stdout() -> None:
    done = _journeys("export", "openapi", str(SHIPPED_DEFINITIONS))
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout) == export_api_openapi(*load_catalog([SHIPPED_DEFINITIONS]))


def test_the_cli_reports_a_definition_that_does_not_load(tmp_path: Path) -> None:
    broken = tmp_path / "broken.journey.yaml"
    broken.write_text("apiVersion: v1\nkind: Journey\nmetadata: { name: broken }\nspec: { start: nowhere }\n")
    done = _journeys("export", "openapi", str(broken))
    assert done.returncode == 1 and done.stdout == ""
    assert str(broken) in done.stderr
    missing = _journeys("export", "openapi", str(tmp_path / "missing.journey.yaml"))
    assert missing.returncode == 1 and "no such file" in missing.stderr.lower()


@needs_shared_examples
@pytest.mark.parametrize("example", loadable_examples(), ids=lambda path: path.parent.name)
def test_every_loadable_journeyforge_example_exports_a_valid_document(example: Path, tmp_path: Path) -> None:
    from journeys.contracts.export_command import run_export

    output = tmp_path / "example.openapi.yaml"
    assert run_export("openapi", str(example), str(output), out=sys.stdout) == 0
    api = yaml.safe_load(output.read_text(encoding="utf-8"))
    validate(api, cls=OpenAPIV31SpecValidator)
    definition = load_definition(example)
    states = [*definition.states.values(), *(s for scope in definition.scopes.values() for s in scope.values())]
    assert len([path for path in api["paths"] if "/steps/" in path and not path.endswith("/cancel")]) == len(
        [state for state in states if state.type in ("wait", "webhook")]  # steps inside parallel branches too
    )
