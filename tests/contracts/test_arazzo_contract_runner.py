"""`journeys contract-test` and the contract runner against live servers: the generated payment-callback
workflows pass (on SQLite and PostgreSQL) and fail, naming the step, with a wrong secret; the hand-written
documents pass; the JourneyForge examples' own Arazzo files run where the server has their operations and are
skipped elsewhere; and each arazzo-runner workaround is shown to matter.

The fixture's server runs in the test's event loop, so the CLI runs as a subprocess awaited with asyncio and the
library (synchronous, like arazzo-runner) in a thread.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from journeys.cli import main as journeys_cli
from journeys.contracts.arazzo_export import export_arazzo
from journeys.contracts.contract_report import Verdict, WorkflowReport
from journeys.contracts.contract_runner import ArazzoDocument, run_document
from journeys.contracts.contract_test_command import run_contract_test
from journeys.contracts.openapi_export import export_openapi
from journeys.definitions import load_definition
from journeys.definitions.auth_tasks import JwtValidateTask, MtlsValidateTask
from journeys.definitions.model import HttpCallTask, JourneyDefinition, TaskState
from tests.support import (
    DIGIFLAZZ_SECRET,
    MIDTRANS_SERVER_KEY,
    ROOT,
    SHARED_EXAMPLES,
    STRIPE_ENDPOINT_SECRET,
    WEBHOOK_SECRET,
    LiveServer,
    loadable_examples,
    needs_shared_examples,
)

GENERATED = ROOT / "arazzo" / "generated" / "payment-callback.arazzo.yaml"
HAND_WRITTEN = ROOT / "arazzo" / "payment-callback.arazzo.yaml"
EXAMPLE_DOCUMENTS = sorted(SHARED_EXAMPLES.glob("*/*.arazzo.yaml"))
LOADABLE_EXAMPLES = loadable_examples()
# What two examples' workflows read: sync-wrapper-wait ends on a DONE event, transform-pipeline needs id and
# amount. The other examples run on the example values the runner derives from their inputs schemas.
EXAMPLE_INPUTS = {
    "startRequest": {"id": "order-7", "amount": 40, "currency": "EUR"},
    "completionEvent": {"status": "DONE"},
}
EXAMPLES_WITH_INPUTS = {"sync-wrapper-wait", "transform-pipeline"}
PAYMENT = {"paymentId": "pay-cli-1", "amount": 12.5, "currency": "EUR"}

StartServer = Callable[..., Awaitable[LiveServer]]


async def _contract_test(*args: str) -> tuple[int, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "journeys.cli",
        "contract-test",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode().splitlines()


async def _journeys(server: LiveServer, name: str) -> list[dict[str, Any]]:
    async with server.http.get(server.url(f"/api/v1/journeys?journeyName={name}")) as response:
        items = (await response.json())["items"]
    outcomes = []
    for item in items:
        async with server.http.get(server.url(f"/api/v1/journeys/{item['journeyId']}/result")) as response:
            outcomes.append(await response.json())
    return outcomes


def _calls_out(definition: JourneyDefinition) -> bool:
    states = [*definition.states.values(), *(s for scope in definition.scopes.values() for s in scope.values())]
    return any(isinstance(state, TaskState) and isinstance(state.task, HttpCallTask) for state in states)


def _drivable_offline(definition: JourneyDefinition) -> bool:
    credentials = (JwtValidateTask, MtlsValidateTask)
    checks = any(isinstance(s, TaskState) and isinstance(s.task, credentials) for s in definition.states.values())
    return not (_calls_out(definition) or definition.scopes or checks)


async def _run(path: Path, base_url: str, inputs: dict[str, Any], content: Any = None) -> list[WorkflowReport]:
    document = ArazzoDocument(path, content) if content is not None else ArazzoDocument.load(path)
    return await asyncio.to_thread(run_document, document, base_url, inputs)


# -- the CLI against the generated and the hand-written payment-callback workflows -----------------------------


async def test_the_generated_workflows_pass(server: LiveServer) -> None:
    code, lines = await _contract_test(
        str(GENERATED.relative_to(ROOT)),
        "--base-url",
        server.base_url,
        "--inputs",
        json.dumps({"webhookSecret": WEBHOOK_SECRET}),
    )
    assert code == 0, "\n".join(lines)
    assert lines == [
        "arazzo/generated/payment-callback.arazzo.yaml",
        "PASS payment-callback-happy-path",
        "  ok   startJourney     200",
        "  ok   waitForCallback  200",
        "  ok   getResult        200",
        "PASS payment-callback-declined",
        "  ok   startJourney     200",
        "  ok   waitForCallback  200",
        "  ok   getResult        200",
        "2 workflows: 2 passed, 0 failed, 0 skipped",
    ]
    outcomes = await _journeys(server, "payment-callback")
    assert sorted((o["phase"], o["status"]) for o in outcomes) == [
        ("Failed", "PAYMENT_FAILED"),
        ("Succeeded", "SUCCESS"),
    ]


async def test_a_wrong_secret_fails_and_names_the_step(start_server: StartServer, sqlite_url: str) -> None:
    server = await start_server(sqlite_url)
    code, lines = await _contract_test(
        str(GENERATED), "--base-url", server.base_url, "--inputs", '{"webhookSecret": "not-the-secret"}'
    )
    assert code == 1
    assert lines[1:5] == [
        "FAIL payment-callback-happy-path: step waitForCallback failed",
        "  ok   startJourney     200",
        "  FAIL waitForCallback  401  criterion $statusCode == 200  criterion $response.body.phase == 'Succeeded'",
        "  --   getResult        not run",
    ]
    assert lines[-1] == "2 workflows: 0 passed, 2 failed, 0 skipped"


async def test_the_hand_written_document_passes(start_server: StartServer, sqlite_url: str) -> None:
    server = await start_server(sqlite_url)
    inputs = json.dumps({**PAYMENT, "webhookSecret": WEBHOOK_SECRET})
    code, lines = await _contract_test(str(HAND_WRITTEN), "--base-url", server.base_url, "--inputs", inputs)
    assert code == 0, "\n".join(lines)
    assert lines[-1] == "6 workflows: 6 passed, 0 failed, 0 skipped"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such.arazzo.yaml"], "cannot read the Arazzo document"),
        ([str(GENERATED), "--inputs", "{not json"], "--inputs is not valid JSON"),
        ([str(GENERATED), "--inputs", "[1]"], "--inputs must be a JSON object"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert journeys_cli(["contract-test", *args, "--base-url", "http://127.0.0.1:9"]) == 2
    assert message in capsys.readouterr().out


def test_a_missing_source_description_is_a_usage_error(tmp_path: Path) -> None:
    document = tmp_path / "lost.arazzo.yaml"
    content = yaml.safe_load(GENERATED.read_text(encoding="utf-8"))
    document.write_text(yaml.safe_dump(content), encoding="utf-8")  # ../../openapi/ does not exist from tmp_path
    out = io.StringIO()
    assert run_contract_test([str(document)], "http://127.0.0.1:9", None, out) == 2
    assert "is not a readable file" in out.getvalue()


# -- the gateway journeys: deliveries signed by the contract runner ---------------------------------------------

GATEWAY_INPUTS = {
    "midtrans-payment": {"midtransSecret": MIDTRANS_SERVER_KEY},
    "stripe-payment": {"stripeSecret": STRIPE_ENDPOINT_SECRET},
    "digiflazz-topup": {"digiflazzSecret": DIGIFLAZZ_SECRET},
}
GATEWAY_OUTCOMES = {
    "midtrans-payment": [
        ("Failed", "PAYMENT_AMOUNT_MISMATCH"),
        ("Failed", "PAYMENT_CANCELLED"),
        ("Failed", "PAYMENT_DECLINED"),
        ("Failed", "PAYMENT_EXPIRED"),
        ("Succeeded", "PAID"),
    ],
    "stripe-payment": [("Failed", "PAYMENT_AMOUNT_MISMATCH"), ("Failed", "PAYMENT_FAILED"), ("Succeeded", "PAID")],
    "digiflazz-topup": [("Failed", "TOPUP_FAILED"), ("Succeeded", "DELIVERED")],
}


def _generated(journey: str) -> str:
    return f"arazzo/generated/{journey}.arazzo.yaml"


@pytest.mark.parametrize("journey", GATEWAY_INPUTS)
async def test_the_generated_gateway_workflows_pass_signed_by_the_runner(server: LiveServer, journey: str) -> None:
    server.clock.now = datetime.now(UTC)  # Stripe's signature carries the signer's time
    code, lines = await _contract_test(
        _generated(journey), "--base-url", server.base_url, "--inputs", json.dumps(GATEWAY_INPUTS[journey])
    )
    assert code == 0, "\n".join(lines)
    count = len(GATEWAY_OUTCOMES[journey])
    assert lines[-1] == f"{count} workflows: {count} passed, 0 failed, 0 skipped"
    outcomes = await _journeys(server, journey)
    assert sorted((o["phase"], o["status"]) for o in outcomes) == GATEWAY_OUTCOMES[journey]
    # The payloads carry what the journey copies into its output: the output its document promises.
    output_schema = server.engine.definitions[journey].output_schema
    assert output_schema is not None
    assert [output_schema.errors(o["output"]) for o in outcomes if o["phase"] == "Succeeded"] == [[]]
    # Each delivery was verified with the configured secret, and applied: not buffered, not a duplicate.
    deliveries = await server.engine.inbound_log.page(
        source=journey.split("-")[0], verdict=None, journey_id=None, limit=100, after=None
    )
    assert sorted((d.verdict, d.key_id) for d in deliveries) == [("applied", "current")] * count


async def test_without_the_sources_secret_the_workflows_are_skipped_saying_which_input(server: LiveServer) -> None:
    code, lines = await _contract_test(_generated("stripe-payment"), "--base-url", server.base_url)
    assert lines[1] == (
        "SKIP stripe-payment-happy-path: step waitForEvent: deliveries to it are verified by inbound source 'stripe'"
        " (preset stripe); give the source's secret as input 'stripeSecret' to sign them"
    )
    assert lines[-2:] == [
        "3 workflows: 0 passed, 0 failed, 3 skipped",
        "error: every workflow was skipped (the reasons are above), so nothing was verified",
    ]
    assert code == 1  # nothing verified is not a pass: a CI job missing the secret must not go green
    assert await _journeys(server, "stripe-payment") == []  # nothing was sent


async def test_skipped_workflows_beside_a_passing_one_still_pass(start_server: StartServer, sqlite_url: str) -> None:
    server = await start_server(sqlite_url)
    code, lines = await _contract_test(
        _generated("stripe-payment"),
        str(GENERATED.relative_to(ROOT)),
        "--base-url",
        server.base_url,
        "--inputs",
        json.dumps({"webhookSecret": WEBHOOK_SECRET}),
    )
    assert lines[-1] == "5 workflows: 2 passed, 0 failed, 3 skipped"
    assert code == 0, "\n".join(lines)


async def test_a_wrong_source_secret_fails_at_the_signed_step(start_server: StartServer, sqlite_url: str) -> None:
    server = await start_server(sqlite_url)
    code, lines = await _contract_test(
        _generated("digiflazz-topup"), "--base-url", server.base_url, "--inputs", '{"digiflazzSecret": "not-it"}'
    )
    assert code == 1
    assert lines[1:5] == [
        "FAIL digiflazz-topup-happy-path: step waitForCallback failed",
        "  ok   startJourney     200",
        "  FAIL waitForCallback  401  criterion $statusCode == 200  criterion $response.body.phase == 'Succeeded'",
        "  --   getResult        not run",
    ]


# -- the JourneyForge examples' own Arazzo files ----------------------------------------------------------------

# Examples whose workflows pass against a server loading the examples our engine runs. Every other example
# workflow calls an operation of a journey this engine cannot load (it is skipped, with the reason).
EXAMPLES_PASSING = {
    "business-hours-payment-after-hours",
    "business-hours-payment-immediate",
    "choice-multi-branch-happy-path",
    "http-204-no-content-happy-path",
    "http-failure-branch-happy-path",
    "http-header-interpolation-happy-path",
    "http-post-json-happy-path",
    "http-success-happy-path",
    "http-timeout-branch-happy-path",
    "metadata-from-payload-happy-path",
    "sync-wrapper-wait-happy-path",
    "transform-pipeline-happy-path",
    "document-signing-parallel-with-expiry",
    "onboarding-approved",
    "recurring-payment-configure-and-read",
    "cache-user-profile-happy-path",
}
# Workflows whose documents cannot pass as written, with (failing step, status) and why; none is the server's fault.
EXAMPLES_FAILING = {
    # The journey polls with a `timer` between attempts: time does not pass within a workflow, so it is Running.
    "async-fire-and-observe-basic": ("getResult", 409),
    # They need an SLA to run out first (the result; the fallback's step): time does not pass within a workflow.
    "async-callback-times-out": ("getResult", 409),
    "kyc-timeout-then-fallback": ("fallbackCallback", 409),
    # It posts the risk decision while the journey still waits for the KYC documents; a retry to that step must pass
    # its API-key check, whose profile the test server does not configure: a server configuration error (500).
    "customer-onboarding-kyc-rejected": ("submitRejectingRiskDecision", 500),
    # It posts its whole array of signatures to the step that takes one signature object.
    "document-signing-sequential": ("submitSignatures", 400),
    # Their `inputs` schema declares no start fields, so no valid start body can be derived (the journey needs some).
    "http-aggregate-errors-happy-path": ("startJourney", 400),
    "http-chained-calls-happy-path": ("startJourney", 400),
    "http-conditional-composition-happy-path": ("startJourney", 400),
    # The same for the auth examples (their `startRequest` input has no fields: the workflow sends no body); given one,
    # they would need the JWT/mTLS profiles and a token or client certificate, which a workflow cannot carry.
    "auth-jwt-mtls-happy-path": ("startJourney", 400),
    "auth-jwt-scopes-happy-path": ("startJourney", 400),
    "auth-mtls-only-happy-path": ("startJourney", 400),
    "auth-user-info-happy-path": ("startJourney", 400),
    # The payment provider's callback is not part of the workflow, so the journey is still waiting: 409.
    "payment-callback-happy-path": ("getResult", 409),
    "payment-callback-failed": ("getResult", 409),
    # The journey calls downstream services first; unreachable here, it never reaches the review steps.
    "privacy-erasure-approved-within-sla": ("privacyDeskReview", 409),
    "privacy-erasure-escalated-to-senior": ("seniorReview", 409),
}

# Async starts whose workflow posts the callback right after the 202: it passes when the background run has paused
# at the callback's step by then, and is answered 409 when it has not (the run first calls a service unreachable
# here). Either is right; neither can be relied on.
EXAMPLES_RACING = {"async-callback-within-sla", "kyc-primary-completes-within-sla"}


# The `spec.platform.config` values the examples declare as required (the server refuses to start without them).
EXAMPLE_PLATFORM_CONFIG = {"http-success": {"itemsApiBaseUrl": "http://127.0.0.1:9/items-api"}}
BUSINESS_HOURS = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, 10:00


@needs_shared_examples
async def test_the_examples_arazzo_files_run_where_the_server_has_their_operations(
    start_server: StartServer, sqlite_url: str
) -> None:
    examples = tuple(LOADABLE_EXAMPLES)
    # Business hours on the engine's clock (DataWeave's now() reads it): business-hours-payment-authorization
    # authorizes at once, so both its workflows (which only read the result) pass whatever the time of day.
    server = await start_server(
        sqlite_url, definitions=examples, platform_config=EXAMPLE_PLATFORM_CONFIG, now=BUSINESS_HOURS
    )
    reports = [
        report
        for path in EXAMPLE_DOCUMENTS
        for report in await _run(
            path, server.base_url, EXAMPLE_INPUTS if path.parent.name in EXAMPLES_WITH_INPUTS else {}
        )
    ]
    reports = [report for report in reports if report.workflow_id not in EXAMPLES_RACING]
    verdicts = {report.workflow_id: report.verdict for report in reports}
    assert {w for w, verdict in verdicts.items() if verdict is Verdict.PASSED} == EXAMPLES_PASSING
    failed = {
        report.workflow_id: next((s.step_id, s.status_code) for s in report.steps if s.verdict is Verdict.FAILED)
        for report in reports
        if report.verdict is Verdict.FAILED
    }
    assert failed == EXAMPLES_FAILING
    skipped = [report for report in reports if report.verdict is Verdict.SKIPPED]
    assert len(skipped) == len(reports) - len(EXAMPLES_PASSING) - len(EXAMPLES_FAILING)
    for report in skipped:
        assert "the server does not serve" in str(report.reason), report
        assert all(step.verdict is Verdict.NOT_RUN for step in report.steps), report  # nothing was sent

    [waited] = await _journeys(server, "sync-wrapper-wait")
    assert (waited["phase"], waited["output"]) == ("Succeeded", {"status": "DONE"})
    # The example's own defect, not the engine's: `normalise` replaces the whole context with {order}, then
    # `enrich` computes `context.amount * 0.25` from the amount it no longer has. The example's workflow has no
    # successCriteria, so the 200 of its result read passes; the generated workflow below does not.
    [piped] = await _journeys(server, "transform-pipeline")
    assert (piped["phase"], piped["error"]["code"]) == ("Failed", "EXPRESSION_ERROR:enrich")


@needs_shared_examples
async def test_generated_workflows_of_the_examples_judge_the_outcome(
    start_server: StartServer, sqlite_url: str, tmp_path: Path
) -> None:
    # Only journeys without outbound calls: the others' downstream services do not exist here, so their
    # outcomes would judge the network, not the workflows (tests/server/test_http_call.py covers httpCall). And only
    # those the generated workflows can drive to their end: not through steps inside a parallel (the export walks
    # the top-level states), not past a JWT or certificate check (no client here has either).
    offline = [path for path in LOADABLE_EXAMPLES if _drivable_offline(load_definition(path))]
    server = await start_server(sqlite_url, definitions=tuple(offline))
    (tmp_path / "arazzo").mkdir()
    (tmp_path / "openapi").mkdir()
    verdicts = {}
    for definition_path in offline:
        definition = load_definition(definition_path)
        (tmp_path / "openapi" / f"{definition.name}.openapi.yaml").write_text(
            yaml.safe_dump(export_openapi(definition))
        )
        document = tmp_path / "arazzo" / f"{definition.name}.arazzo.yaml"
        document.write_text(yaml.safe_dump(export_arazzo(definition)), encoding="utf-8")
        for report in await _run(document, server.base_url, {}):
            verdicts[report.workflow_id] = (report.verdict, report.steps[0].failed_criteria)
    assert verdicts == {
        "event-publish-kafka-happy-path": (Verdict.PASSED, ()),
        "metadata-from-payload-happy-path": (Verdict.PASSED, ()),
        "sync-wrapper-wait-happy-path": (Verdict.PASSED, ()),
        "transform-pipeline-happy-path": (Verdict.FAILED, ("$response.body.phase == 'Succeeded'",)),
    }


# -- the workarounds, each against the runner's own behaviour --------------------------------------------------


def _with_criterion(workflow_id: str, step_id: str, criterion: dict[str, Any]) -> dict[str, Any]:
    content = copy.deepcopy(yaml.safe_load(HAND_WRITTEN.read_text(encoding="utf-8")))
    [workflow] = [w for w in content["workflows"] if w["workflowId"] == workflow_id]
    [step] = [s for s in workflow["steps"] if s["stepId"] == step_id]
    step["successCriteria"].append(criterion)
    content["workflows"] = [workflow]
    return content


JSONPATH = {"type": "jsonpath", "version": "draft-goessner-dispatch-jsonpath-00"}


@pytest.mark.parametrize(
    ("workflow_id", "criterion", "passes"),
    [
        # arazzo-runner skips criteria whose `type` is the 1.0.1 object: it would pass whatever the response.
        ("payment-succeeds", {"context": "$response.body", "condition": "$.phase", "type": JSONPATH}, True),
        ("payment-succeeds", {"context": "$response.body", "condition": "$.noSuchField", "type": JSONPATH}, False),
        # After a JSON pointer, `&&` and the rest of the condition were compared as a string (always false) ...
        ("payment-succeeds", {"condition": "$response.body#/phase == 'Succeeded' && $statusCode == 200"}, True),
        ("payment-succeeds", {"condition": "$response.body#/phase == 'Failed' && $statusCode == 200"}, False),
        # ... and before one, the `#` made the rest a Python comment (always true).
        ("payment-succeeds", {"condition": "$statusCode == 200 && $response.body#/output/status == 'FAILED'"}, False),
        ("payment-succeeds", {"condition": "$statusCode == 200 || $response.body#/output/status == 'FAILED'"}, True),
        # `null` on the right of a JSON pointer comparison was the string 'null'.
        ("payment-fails", {"condition": "$response.body#/output == null"}, True),
        ("payment-fails", {"condition": "$response.body#/error == null"}, False),
    ],
)
async def test_criteria_are_evaluated_as_written(
    start_server: StartServer, sqlite_url: str, workflow_id: str, criterion: dict[str, Any], passes: bool
) -> None:
    server = await start_server(sqlite_url)
    content = _with_criterion(workflow_id, "readResult", criterion)
    [report] = await _run(HAND_WRITTEN, server.base_url, {**PAYMENT, "webhookSecret": WEBHOOK_SECRET}, content)
    assert report.verdict is (Verdict.PASSED if passes else Verdict.FAILED), report
    assert report.step("readResult").failed_criteria == (() if passes else (criterion["condition"],))


async def test_an_operation_missing_from_the_source_descriptions_is_skipped(
    start_server: StartServer, sqlite_url: str
) -> None:
    server = await start_server(sqlite_url)
    content = yaml.safe_load(HAND_WRITTEN.read_text(encoding="utf-8"))
    content["workflows"][0]["steps"][1]["operationId"] = "paymentCallback_noSuchStep"
    reports = await _run(HAND_WRITTEN, server.base_url, {**PAYMENT, "webhookSecret": WEBHOOK_SECRET}, content)
    assert reports[0].verdict is Verdict.SKIPPED
    assert "operationId paymentCallback_noSuchStep is not in the source descriptions" in str(reports[0].reason)
    assert await _journeys(server, "payment-callback") != []  # the other workflows ran
    assert all(report.verdict is Verdict.PASSED for report in reports[1:])


async def test_a_step_that_raises_ends_the_workflow_failed() -> None:
    """Nothing listens on port 9: arazzo-runner would go on to the next steps and could report completion."""
    [report, *_] = await _run(HAND_WRITTEN, "http://127.0.0.1:9", {**PAYMENT, "webhookSecret": WEBHOOK_SECRET})
    assert report.verdict is Verdict.FAILED
    start, *rest = report.steps
    assert start.verdict is Verdict.FAILED and start.status_code is None and "Connection refused" in str(start.error)
    assert all(step.verdict is Verdict.NOT_RUN for step in rest)
