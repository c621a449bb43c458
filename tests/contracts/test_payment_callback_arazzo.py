"""The payment-callback contract: `openapi/payment-callback.openapi.yaml` is valid and matches the journey, and
every workflow of `arazzo/payment-callback.arazzo.yaml` passes when arazzo-runner plays it against a live server
(on SQLite and on PostgreSQL).

The workflows run through `journeys.contracts.contract_runner`, which points arazzo-runner at the live server
(the OpenAPI document's server is `/api/v1`, relative to the host that serves the API) and judges every step
itself, because arazzo-runner reports some broken runs as complete; its module docstring lists those gaps. Some
criteria forms pass whatever the response (object `type`, `&&` after a JSON pointer): the lint test keeps the
document to criteria the runner evaluates, and the broken-expectation tests prove the criteria can fail. Every
request the runner sends and every response it gets is also validated against the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from journeys.contracts.contract_report import Verdict, WorkflowReport
from journeys.contracts.contract_runner import ArazzoDocument, run_document
from tests.support import ROOT, SHARED, SHIPPED_DEFINITIONS, WEBHOOK_SECRET, LiveServer

OPENAPI_PATH = ROOT / "openapi" / "payment-callback.openapi.yaml"
ARAZZO_PATH = ROOT / "arazzo" / "payment-callback.arazzo.yaml"
JOURNEY_PATH = SHIPPED_DEFINITIONS / "payment-callback.journey.yaml"
ARAZZO_SCHEMA_PATH = SHARED / "reference" / "arazzo-1.0.schema.json"

# operationId -> (method, path) the server routes it to (paths relative to the /api/v1 server URL)
OPERATIONS = {
    "paymentCallback_start": ("post", "/journeys/payment-callback/start"),
    "paymentCallback_getStatus": ("get", "/journeys/{journeyId}"),
    "paymentCallback_waitForCallback": ("post", "/journeys/{journeyId}/steps/waitForCallback"),
    "paymentCallback_getResult": ("get", "/journeys/{journeyId}/result"),
    "paymentCallback_cancel": ("post", "/journeys/{journeyId}/steps/cancel"),
}
REQUIRED_WORKFLOWS = {"payment-succeeds", "payment-fails", "wrong-secret-then-good-callback"}

PAYMENT = {"paymentId": "pay-arazzo-7", "amount": 42.5, "currency": "EUR"}
INPUTS = {**PAYMENT, "webhookSecret": WEBHOOK_SECRET}
GATEWAY_KEY_ID = "current"  # the id of WEBHOOK_SECRET in tests.support.API_KEYS
PAID = {**PAYMENT, "status": "SUCCESS", "gatewayKeyId": GATEWAY_KEY_ID}


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


ARAZZO: dict[str, Any] = _load_yaml(ARAZZO_PATH)
WORKFLOW_IDS = [workflow["workflowId"] for workflow in ARAZZO["workflows"]]


def _operations(api: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        operation["operationId"]: (method, path)
        for path, item in api["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


def _declared_parameters(api: dict[str, Any], method: str, path: str) -> set[tuple[str, str]]:
    item = api["paths"][path]
    declared = set()
    for parameter in [*item.get("parameters", []), *item[method].get("parameters", [])]:
        if "$ref" in parameter:
            parameter = api["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        declared.add((parameter["in"], parameter["name"]))
    return declared


def _steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(workflow["workflowId"], step) for workflow in doc["workflows"] for step in workflow["steps"]]


_ANNOTATIONS = {"title", "description", "examples"}


def _bare(schema: Any) -> Any:
    """A JSON Schema without its annotations, to compare what two schemas accept."""
    if isinstance(schema, list):
        return [_bare(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bare = {}
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        bare[key] = {name: _bare(sub) for name, sub in value.items()} if key == "properties" else _bare(value)
    return bare


# -- the documents ---------------------------------------------------------------------------------------------


def test_openapi_document_is_valid_openapi_3_1() -> None:
    api = _load_yaml(OPENAPI_PATH)
    assert api["openapi"].startswith("3.1.")
    validate(api, cls=OpenAPIV31SpecValidator)


def test_openapi_document_describes_the_journey_operations() -> None:
    api = _load_yaml(OPENAPI_PATH)
    # Relative: the API is on the host that serves the document (the tests resolve it against the live server).
    assert [server["url"] for server in api["servers"]] == ["/api/v1"]
    operations = _operations(api)
    for operation_id, route in OPERATIONS.items():
        assert operations.get(operation_id) == route, operation_id
    callback = ("post", "/journeys/{journeyId}/steps/waitForCallback")
    assert ("header", "X-Webhook-Secret") in _declared_parameters(api, *callback)


def test_openapi_schemas_are_the_journey_definition_schemas() -> None:
    api, journey = _load_yaml(OPENAPI_PATH), _load_yaml(JOURNEY_PATH)
    schemas, webhook = api["components"]["schemas"], journey["spec"]["states"]["waitForCallback"]["webhook"]
    assert _bare(schemas["PaymentCallbackStartRequest"]) == _bare(journey["spec"]["input"]["schema"])
    assert _bare(schemas["PaymentCallbackWaitForCallbackRequest"]) == _bare(webhook["input"]["schema"])
    assert _bare(schemas["PaymentCallbackOutput"]) == _bare(journey["spec"]["output"]["schema"])
    step_fields = schemas["PaymentCallbackWaitForCallbackResponse"]["allOf"][1]
    assert _bare(step_fields) == _bare(webhook["response"]["schema"])


def test_arazzo_document_is_valid_arazzo_1_0() -> None:
    assert ARAZZO["arazzo"] == "1.0.1"
    if not ARAZZO_SCHEMA_PATH.exists():
        pytest.skip(f"the Arazzo 1.0 JSON Schema is not at {ARAZZO_SCHEMA_PATH}")
    schema = json.loads(ARAZZO_SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = [f"{error.json_path}: {error.message}" for error in Draft202012Validator(schema).iter_errors(ARAZZO)]
    assert errors == []


def test_arazzo_workflows_call_operations_of_the_openapi_document() -> None:
    api = _load_yaml(OPENAPI_PATH)
    operations = _operations(api)
    [source] = ARAZZO["sourceDescriptions"]
    assert source["type"] == "openapi"
    assert (ARAZZO_PATH.parent / source["url"]).resolve() == OPENAPI_PATH.resolve()
    assert set(WORKFLOW_IDS) >= REQUIRED_WORKFLOWS
    assert len(set(WORKFLOW_IDS)) == len(WORKFLOW_IDS)
    for workflow_id, step in _steps(ARAZZO):
        where = f"{workflow_id}/{step['stepId']}"
        assert step["operationId"] in operations, f"{where}: {step['operationId']} is not in the OpenAPI document"
        declared = _declared_parameters(api, *operations[step["operationId"]])
        for parameter in step.get("parameters", []):
            assert (parameter["in"], parameter["name"]) in declared, f"{where}: undeclared {parameter}"


# One comparison of the status code or a response-body value with a literal or an input: what arazzo-runner
# evaluates faithfully. It treats a criterion with the 1.0.1 object `type` as passed without evaluating it, and
# turns `a && b` into Python where the text after `#` is a comment, so both would pass whatever the response.
_EVALUATED_CONDITION = re.compile(
    r"\$(statusCode|response\.body(#/[\w/]+|\.\w+)) (==|!=) ('[^']*'|\d+|null|\$inputs\.\w+)"
)


def test_criteria_use_only_forms_the_runner_evaluates() -> None:
    for workflow_id, step in _steps(ARAZZO):
        for criterion in step.get("successCriteria", []):
            where = f"{workflow_id}/{step['stepId']}: {criterion}"
            assert criterion.get("type", "simple") == "simple" and "context" not in criterion, where
            assert _EVALUATED_CONDITION.fullmatch(criterion["condition"]), where


# -- the workflows, against a live server ----------------------------------------------------------------------


@dataclass
class Run:
    report: WorkflowReport
    exchanges: list[requests.Response]  # what the workflow's steps sent and got, in order

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.report.outputs)

    @property
    def steps(self) -> dict[str, Verdict]:
        return {step.step_id: step.verdict for step in self.report.steps}

    def assert_passed(self) -> None:
        assert self.report.verdict is Verdict.PASSED, self.report
        # The runner skips over a step that raised and may still report the run complete: check each step.
        assert all(verdict is Verdict.PASSED for verdict in self.steps.values()), self.report


def _is_step_exchange(response: requests.Response) -> bool:
    # Before the steps, the contract runner reads the server's own API document to tell missing operations.
    return not urlsplit(str(response.url)).path.endswith("/openapi.json")


async def _run(
    server: LiveServer, workflow_id: str, inputs: dict[str, Any], arazzo: dict[str, Any] | None = None
) -> Run:
    """Play one workflow with arazzo-runner, in a thread: it is synchronous, and the server shares this event loop."""
    exchanges: list[requests.Response] = []
    document = ArazzoDocument(ARAZZO_PATH, copy.deepcopy(arazzo or ARAZZO))
    with requests.Session() as http:
        http.trust_env = False  # no proxy between the runner and the loopback server
        http.hooks["response"].append(lambda response, *args, **kwargs: exchanges.append(response))
        [report] = await asyncio.to_thread(
            run_document, document, server.base_url, inputs, workflow_ids=[workflow_id], http=http
        )
    return Run(report, [response for response in exchanges if _is_step_exchange(response)])


API_URI = "urn:journeys:payment-callback-openapi"


def _pointer(*parts: str) -> str:
    return f"{API_URI}#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _match_operation(api: dict[str, Any], method: str, path: str) -> str:
    for template, item in api["paths"].items():
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
        if method in item and re.fullmatch(pattern, path):
            return template
    raise AssertionError(f"{method.upper()} {path} is not in the OpenAPI document")


def _assert_exchanges_follow_the_openapi_document(exchanges: list[requests.Response]) -> None:
    """Every request the runner sent and every response the server gave is what the OpenAPI document describes."""
    api = _load_yaml(OPENAPI_PATH)
    registry = Registry().with_resource(API_URI, Resource.from_contents(api, default_specification=DRAFT202012))

    def check(instance: Any, pointer: str, what: str) -> None:
        validator = Draft202012Validator(
            {"$ref": pointer}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        errors = [f"{error.json_path}: {error.message}" for error in validator.iter_errors(instance)]
        assert errors == [], f"{what}: {instance}"

    assert exchanges
    for response in exchanges:
        request = response.request
        method = str(request.method).lower()
        path = urlsplit(str(request.url)).path.removeprefix(urlsplit(api["servers"][0]["url"]).path)
        template = _match_operation(api, method, path)
        operation = api["paths"][template][method]
        what = f"{request.method} {path} -> {response.status_code}"
        if "requestBody" in operation:
            assert request.headers["Content-Type"] == "application/json", what
            check(
                json.loads(request.body or b"null"),
                _pointer("paths", template, method, "requestBody", "content", "application/json", "schema"),
                f"{what} request",
            )
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, f"{what}: status not documented"
        where = ("paths", template, method, "responses", str(response.status_code))
        if "$ref" in documented:
            name = documented["$ref"].rsplit("/", 1)[1]
            documented, where = api["components"]["responses"][name], ("components", "responses", name)
        content_type = response.headers["Content-Type"].split(";")[0]
        assert content_type in documented["content"], f"{what}: {content_type} not documented"
        check(response.json(), _pointer(*where, "content", content_type, "schema"), what)


async def _get(server: LiveServer, path: str) -> Any:
    async with server.http.get(server.url(f"/api/v1{path}")) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def _events(server: LiveServer, journey_id: str) -> list[str]:
    return [transition.event for transition in await server.engine.store.history(journey_id)]


async def _check_payment_succeeds(server: LiveServer, outputs: dict[str, Any]) -> None:
    assert outputs["paymentStatus"] == "SUCCESS"
    assert outputs["phase"] == "Succeeded" and outputs["status"] == "SUCCESS"
    assert outputs["output"] == PAID
    outcome = await _get(server, f"/journeys/{outputs['journeyId']}/result")
    assert outcome["phase"] == "Succeeded" and outcome["output"] == PAID


async def _check_payment_fails(server: LiveServer, outputs: dict[str, Any]) -> None:
    assert outputs["paymentStatus"] == "FAILED"
    assert outputs["phase"] == "Failed"
    assert outputs["status"] == outputs["errorCode"] == "PAYMENT_FAILED"
    assert outputs["errorReason"]
    outcome = outputs["outcome"]
    assert "output" in outcome and outcome["output"] is None
    assert outcome["error"] == {"code": "PAYMENT_FAILED", "reason": outputs["errorReason"]}
    assert outcome["journeyId"] == outputs["journeyId"] and outcome["journeyName"] == "payment-callback"


async def _check_wrong_secret_then_good_callback(server: LiveServer, outputs: dict[str, Any]) -> None:
    assert outputs["forgedProblemCode"] == "APIKEY_INVALID"
    assert (outputs["phaseAfterForgery"], outputs["stateAfterForgery"]) == ("Running", "waitForCallback")
    assert outputs["paymentStatus"] == "SUCCESS"
    assert outputs["phase"] == "Succeeded" and outputs["output"] == PAID
    # The forged callback left no trace: one start, one (genuine) step.
    assert await _events(server, outputs["journeyId"]) == ["start", "step"]


async def _check_duplicate_callback_is_conflict(server: LiveServer, outputs: dict[str, Any]) -> None:
    assert outputs["duplicateProblemType"] == "urn:journeys:problem:step-not-active"
    assert outputs["phase"] == "Succeeded"
    assert await _events(server, outputs["journeyId"]) == ["start", "step"]
    outcome = await _get(server, f"/journeys/{outputs['journeyId']}/result")
    assert outcome["output"] == PAID


async def _check_repeated_callback_gets_the_first_answer(server: LiveServer, outputs: dict[str, Any]) -> None:
    assert outputs["phase"] == "Succeeded"
    assert await _events(server, outputs["journeyId"]) == ["start", "step"]  # the repeat added nothing
    log = server.engine.inbound_log
    deliveries = await log.page(source=None, verdict=None, journey_id=outputs["journeyId"], limit=10, after=None)
    assert [delivery.verdict for delivery in deliveries] == ["duplicate", "applied"]


async def _check_cancel_while_waiting(server: LiveServer, outputs: dict[str, Any]) -> None:
    assert outputs["phase"] == "Failed" and outputs["errorCode"] == "JOURNEY_CANCELLED"
    outcome = await _get(server, f"/journeys/{outputs['journeyId']}/result")
    assert outcome["output"] is None and outcome["error"]["code"] == "JOURNEY_CANCELLED"


CHECKS: dict[str, Callable[[LiveServer, dict[str, Any]], Awaitable[None]]] = {
    "payment-succeeds": _check_payment_succeeds,
    "payment-fails": _check_payment_fails,
    "wrong-secret-then-good-callback": _check_wrong_secret_then_good_callback,
    "duplicate-callback-is-conflict": _check_duplicate_callback_is_conflict,
    "repeated-callback-gets-the-first-answer": _check_repeated_callback_gets_the_first_answer,
    "cancel-while-waiting": _check_cancel_while_waiting,
}


@pytest.mark.parametrize("workflow_id", WORKFLOW_IDS)
async def test_workflow_passes_against_the_live_server(server: LiveServer, workflow_id: str) -> None:
    assert workflow_id in CHECKS, f"add the expected outputs of workflow {workflow_id} to CHECKS"
    run = await _run(server, workflow_id, INPUTS)
    run.assert_passed()
    _assert_exchanges_follow_the_openapi_document(run.exchanges)
    assert run.outputs["journeyId"]
    await CHECKS[workflow_id](server, run.outputs)


async def test_a_wrong_webhook_secret_fails_the_workflow(server: LiveServer) -> None:
    run = await _run(server, "payment-succeeds", {**INPUTS, "webhookSecret": f"not-{WEBHOOK_SECRET}"})
    assert run.report.verdict is Verdict.FAILED
    assert run.steps == {
        "startJourney": Verdict.PASSED,
        "gatewayReportsSuccess": Verdict.FAILED,
        "readResult": Verdict.NOT_RUN,
    }
    callback = run.report.step("gatewayReportsSuccess")
    assert callback.status_code == 401
    # Reported as written in the document, though the runner was handed the rewritten dot form.
    assert callback.failed_criteria == (
        "$statusCode == 200",
        "$response.body#/phase == 'Succeeded'",
        "$response.body#/paymentStatus == 'SUCCESS'",
    )
    status = await _get(server, f"/journeys/{run.outputs['journeyId']}")
    assert (status["phase"], status["currentState"]) == ("Running", "waitForCallback")
    assert [response.status_code for response in run.exchanges] == [200, 401]
    _assert_exchanges_follow_the_openapi_document(run.exchanges)


@pytest.mark.parametrize(
    ("workflow_id", "step_id", "condition", "broken"),
    [
        ("payment-succeeds", "startJourney", "$statusCode == 200", "$statusCode == 201"),
        ("payment-succeeds", "readResult", "$response.body#/phase == 'Succeeded'", "$response.body#/phase == 'Failed'"),
        (
            "payment-succeeds",
            "readResult",
            "$response.body#/output/paymentId == $inputs.paymentId",
            "$response.body#/output/paymentId == $inputs.currency",
        ),
        ("payment-fails", "readResult", "$response.body.output == null", "$response.body.output != null"),
        ("wrong-secret-then-good-callback", "forgedCallback", "$statusCode == 401", "$statusCode == 200"),
        (
            "wrong-secret-then-good-callback",
            "forgedCallback",
            "$response.body#/status == 401",
            "$response.body#/status == 400",
        ),
    ],
)
async def test_a_broken_expectation_fails_the_workflow(
    start_server: Callable[..., Awaitable[LiveServer]],
    sqlite_url: str,
    workflow_id: str,
    step_id: str,
    condition: str,
    broken: str,
) -> None:
    """Each form of criterion the document uses really is evaluated: contradict one and its step fails."""
    arazzo = copy.deepcopy(ARAZZO)
    [workflow] = [workflow for workflow in arazzo["workflows"] if workflow["workflowId"] == workflow_id]
    step_ids = [step["stepId"] for step in workflow["steps"]]
    criteria = workflow["steps"][step_ids.index(step_id)]["successCriteria"]
    [criterion] = [criterion for criterion in criteria if criterion["condition"] == condition]
    criterion["condition"] = broken

    run = await _run(await start_server(sqlite_url), workflow_id, INPUTS, arazzo)
    assert run.report.verdict is Verdict.FAILED
    assert [run.steps[s] for s in step_ids[: step_ids.index(step_id) + 1]] == [
        *[Verdict.PASSED] * step_ids.index(step_id),
        Verdict.FAILED,
    ]
    assert run.report.step(step_id).failed_criteria == (broken,)
