"""Run Arazzo documents against a live Journeys server with arazzo-runner, and report per workflow and step.

arazzo-runner (0.9.6) executes the steps; this module feeds it and judges the result, working around
these gaps of the runner (each would otherwise hide a failure or break a run):

1. Relative server URLs (`servers: [{url: /api/v1}]`) are not resolved, and `RuntimeParams(servers=...)`
   only fills `{variables}` (a full URL given there doubles the path). The source descriptions are loaded
   with the runner's own `load_source_descriptions` and each server URL is resolved against `base_url`
   in memory (an absolute one keeps its path and takes `base_url`'s origin); the files stay as published.
2. A step that raises (unknown operation, connection refused) is marked failed but the run goes on and may
   report `workflow_complete`; `retryLimit` is not enforced. Workflows are driven step by step here, stop at
   the first step that raises, are capped at MAX_STEP_EXECUTIONS, and pass only when no step failed.
3. The 1.0.1 object form of a criterion's `type` (`{type: jsonpath, version: ...}`) is not recognised and
   the criterion passes without being evaluated: it is rewritten to the string form (`type: jsonpath`).
4. `$response.body#/a/b` in a condition: with `&&`/`||` the `#` turns the rest of the condition into a
   Python comment (it always passes), and `null`/`true`/`false` on the right are compared as strings. Such
   references are rewritten to the dot form `$response.body.a.b`, which the runner evaluates consistently.
5. The runner keeps neither a step's status code nor which criterion failed: its step executor is wrapped
   to record each response, and the criteria of a failed step are evaluated one by one.
6. Its CLI exits 0 when workflows fail: this library reports verdicts, `contract_test_command` exits 1.

Workarounds 1, 3 and 4 concern the document and are made before any request is sent (`contract_document`).

Not worked around: security-scheme secrets come only from environment variables and override a step's
own header; the exported workflows therefore send keys as plain header parameters, and the client
credential (`token`) is added to each request as it leaves the session (`runner_session`).

Added: a step carrying `x-journeys-verification` (a submission to a step fed by an inbound source) is signed
just before it is sent (`runner_session`). A workflow with such a step whose secret the caller did not give is
SKIPPED, with the input to give: a made-up secret could only prove that forgeries are refused.

A workflow is SKIPPED, not failed, when an operation it calls does not exist on the server: its operationId
(or operationPath) is not in the source descriptions; or the server publishes its operations (a Journeys
server serves `<server URL>/openapi.json` for the journeys it loaded) and this one is not among them; or the
server answers a step with a 404/405 problem saying it has no such journey or route.

Workflow inputs are the defaults (or first examples) of the workflow's `inputs` properties, overridden key
by key by the caller's inputs; when they do not match the `inputs` schema and the workflow fails, the
report says so.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import requests
from arazzo_runner import ArazzoRunner
from arazzo_runner.models import ExecutionState, StepStatus, WorkflowExecutionStatus

from journeys.contracts.contract_document import (
    ORIGINAL_CONDITION,
    ArazzoDocument,
    load_sources,
    path_template,
    prepared,
    served_operations,
)
from journeys.contracts.contract_report import StepReport, Verdict, WorkflowReport
from journeys.contracts.inbound_contract import VERIFICATION_EXTENSION
from journeys.contracts.runner_session import RunnerSession
from journeys.contracts.schema_examples import example_value, resolve

MAX_STEP_EXECUTIONS = 200  # per workflow: retries and gotos included
MAX_RETRY_DELAY_SECONDS = 5.0

# Problem types with which a Journeys server says an operation does not exist (no such journey or route).
MISSING_OPERATION_PROBLEMS = frozenset(
    f"urn:journeys:problem:{slug}" for slug in ("journey-definition-not-found", "not-found", "method-not-allowed")
)

_ENDED = {WorkflowExecutionStatus.WORKFLOW_COMPLETE, WorkflowExecutionStatus.ERROR, WorkflowExecutionStatus.STEP_ERROR}
_VERDICTS = {StepStatus.SUCCESS: Verdict.PASSED, StepStatus.FAILURE: Verdict.FAILED}


def run_document(
    document: ArazzoDocument,
    base_url: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    workflow_ids: Iterable[str] | None = None,
    http: requests.Session | None = None,
    token: str | None = None,
) -> list[WorkflowReport]:
    """Run the workflows of `document` (all, or `workflow_ids`) one after the other against `base_url`.

    Synchronous, like arazzo-runner: callers on an event loop run it in a thread. `http` lets callers watch
    the exchanges (response hooks) or configure proxies; by default a fresh session is used. `token` is the
    client credential (an API key or JWT) sent as `Authorization: Bearer` to a server that has clients.
    """
    wanted = set(workflow_ids) if workflow_ids is not None else None
    content = prepared(document.content)
    own_session = nullcontext(http) if http is not None else requests.Session()
    with own_session as session, RunnerSession(session, base_url, token) as signer:
        sources = load_sources(document, content, base_url, session)
        runner = ArazzoRunner(arazzo_doc=content, source_descriptions=sources, http_client=session)
        served = {name: served_operations(session, api["servers"][0]["url"]) for name, api in sources.items()}
        recorder = _StepRecorder(runner, signer)
        return [
            _run_workflow(runner, recorder, served, document, workflow, dict(inputs or {}))
            for workflow in content["workflows"]
            if wanted is None or workflow.get("workflowId") in wanted
        ]


# -- running (workarounds 2 and 5) ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _StepRecord:
    status_code: int | None
    body: Any
    failed_criteria: tuple[str, ...]
    error: str | None


class _StepRecorder:
    """Wraps the runner's step executor to keep what it drops: each step's response and failing criteria."""

    def __init__(self, runner: ArazzoRunner, signer: RunnerSession) -> None:
        self.records: dict[str, _StepRecord] = {}
        self._executor = runner.step_executor
        self._execute = runner.step_executor.execute_step
        self._signer = signer
        runner.step_executor.execute_step = self._record  # type: ignore[method-assign]

    def _record(self, step: dict[str, Any], state: ExecutionState) -> dict[str, Any]:
        self._signer.signing(step, state)
        try:
            result = self._execute(step, state)
        finally:
            self._signer.signing({}, state)
        response = result.get("response") or {}
        failed = () if result.get("success") else self._failed_criteria(step, response, state)
        self.records[str(step.get("stepId"))] = _StepRecord(
            response.get("status_code") or None, response.get("body"), failed, response.get("error")
        )
        return result

    def _failed_criteria(
        self, step: dict[str, Any], response: dict[str, Any], state: ExecutionState
    ) -> tuple[str, ...]:
        if "headers" not in response:  # no HTTP exchange happened (the error says why)
            return ()
        criteria = step.get("successCriteria") or []
        if not criteria:
            return ("$statusCode in 2xx (no successCriteria)",)
        checker = self._executor.success_checker
        return tuple(
            str(criterion.get(ORIGINAL_CONDITION, criterion["condition"]))
            for criterion in criteria
            if not checker.check_success_criteria({"successCriteria": [criterion]}, response, state)
        )


def _run_workflow(
    runner: ArazzoRunner,
    recorder: _StepRecorder,
    served: Mapping[str, set[tuple[str, str]] | None],
    document: ArazzoDocument,
    workflow: Mapping[str, Any],
    given_inputs: dict[str, Any],
) -> WorkflowReport:
    workflow_id = str(workflow.get("workflowId"))
    steps = [step for step in workflow.get("steps", []) if isinstance(step, Mapping)]
    not_run = tuple(StepReport(str(step.get("stepId")), _operation(step), Verdict.NOT_RUN) for step in steps)
    missing = _missing_operation(runner, served, steps) or _unsignable(steps, given_inputs)
    if missing is not None:
        return WorkflowReport(document.path, workflow_id, Verdict.SKIPPED, not_run, reason=missing)
    # Inputs that do not match the schema are reported, not refused: the run still tells whether the
    # server has the operations at all (a skip), and which step the bad input broke.
    inputs, problems = _inputs(document.content, workflow, given_inputs)
    recorder.records = {}
    try:
        execution_id = runner.start_workflow(workflow_id, inputs)
    except (ValueError, requests.RequestException) as error:
        return WorkflowReport(document.path, workflow_id, Verdict.FAILED, not_run, reason=str(error))
    state = runner.execution_states[execution_id]
    status, error, failed_step = _drive(runner, execution_id)

    reports = tuple(_step_report(step, state, recorder, failed_step, error) for step in steps)
    failed = [report for report in reports if report.verdict is Verdict.FAILED]
    skipped = _missing_on_server(recorder, failed)
    if skipped is not None:
        return WorkflowReport(document.path, workflow_id, Verdict.SKIPPED, reports, state.workflow_outputs, skipped)
    if status is WorkflowExecutionStatus.WORKFLOW_COMPLETE and not failed:
        return WorkflowReport(document.path, workflow_id, Verdict.PASSED, reports, state.workflow_outputs)
    reasons = [f"step {failed[0].step_id} failed" if failed else (error or f"the run ended with status {status}")]
    if problems:
        reasons.append("inputs do not match the workflow's inputs schema: " + "; ".join(problems))
    return WorkflowReport(
        document.path, workflow_id, Verdict.FAILED, reports, state.workflow_outputs, "; ".join(reasons)
    )


def _drive(runner: ArazzoRunner, execution_id: str) -> tuple[WorkflowExecutionStatus | None, str | None, str | None]:
    """Execute steps until the run ends or a step raises: (final status, error, id of the step that raised)."""
    for _ in range(MAX_STEP_EXECUTIONS):
        result = runner.execute_next_step(execution_id)
        status = result.get("status")
        if status is WorkflowExecutionStatus.STEP_ERROR:
            return status, str(result.get("error")), str(result.get("step_id"))
        if status in _ENDED:
            return status, result.get("error"), None
        if status is WorkflowExecutionStatus.RETRY:
            time.sleep(min(float(result.get("retry_after") or 0), MAX_RETRY_DELAY_SECONDS))
    return None, f"more than {MAX_STEP_EXECUTIONS} step executions (a retry or goto loop?)", None


def _step_report(
    step: Mapping[str, Any], state: ExecutionState, recorder: _StepRecorder, raised_in: str | None, error: str | None
) -> StepReport:
    step_id = str(step.get("stepId"))
    record = recorder.records.get(step_id)
    status = state.status.get(step_id)
    verdict = _VERDICTS.get(status, Verdict.NOT_RUN) if status is not None else Verdict.NOT_RUN
    step_error = error if step_id == raised_in else (record.error if record else None)
    if record is None:
        return StepReport(step_id, _operation(step), verdict, error=step_error)
    return StepReport(step_id, _operation(step), verdict, record.status_code, record.failed_criteria, step_error)


def _operation(step: Mapping[str, Any]) -> str:
    return str(step.get("operationId") or step.get("operationPath") or step.get("workflowId") or "?")


def _missing_operation(
    runner: ArazzoRunner, served: Mapping[str, set[tuple[str, str]] | None], steps: list[Mapping[str, Any]]
) -> str | None:
    """Why a step's operation cannot be called: not in the source descriptions, or not served by the server."""
    finder = runner.step_executor.operation_finder
    for step in steps:
        where = f"step {step.get('stepId')}"
        if "operationId" in step:
            operation = finder.find_by_id(str(step["operationId"]))
            what = f"operationId {step['operationId']}"
        elif isinstance(step.get("operationPath"), str) and "#" in step["operationPath"]:
            operation = finder.find_by_path(*str(step["operationPath"]).split("#", 1))
            what = f"operationPath {step['operationPath']}"
        else:  # a nested workflow, or a runtime expression: the runner resolves it when the step runs
            continue
        if operation is None:
            return f"{where}: {what} is not in the source descriptions"
        published = served.get(str(operation.get("source")))
        method, path = str(operation.get("method")).lower(), str(operation.get("path"))
        if published is not None and (method, path_template(path)) not in published:
            return f"{where}: the server does not serve {method.upper()} {path} ({what})"
    return None


def _unsignable(steps: list[Mapping[str, Any]], given: Mapping[str, Any]) -> str | None:
    """Why a step fed by an inbound source cannot be sent as the source verifies it: no secret was given."""
    for step in steps:
        verification = step.get(VERIFICATION_EXTENSION)
        if not isinstance(verification, Mapping):
            continue
        source, preset, secret = verification.get("source"), verification.get("preset"), verification.get("secretInput")
        where = f"step {step.get('stepId')}: deliveries to it are verified by inbound source '{source}'"
        if preset is None:
            return f"{where}, and the document does not say how (it was exported without the source)"
        if not isinstance(given.get(str(secret)), str):
            return f"{where} (preset {preset}); give the source's secret as input '{secret}' to sign them"
    return None


def _missing_on_server(recorder: _StepRecorder, failed: list[StepReport]) -> str | None:
    """Why the first failed step's operation does not exist on the server, if that is why it failed."""
    record = recorder.records.get(failed[0].step_id) if failed else None
    body = record.body if record is not None else None
    if record is None or record.status_code not in (404, 405) or not isinstance(body, Mapping):
        return None
    if body.get("type") not in MISSING_OPERATION_PROBLEMS:
        return None
    return f"step {failed[0].step_id}: {body.get('instance', '')} answered {record.status_code}: {body.get('detail')}"


def _inputs(
    content: Mapping[str, Any], workflow: Mapping[str, Any], given: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The workflow's inputs: defaults (or first examples), example values for required inputs that have
    neither, all overridden by `given`; and what makes them invalid for the inputs schema."""
    schema = resolve(workflow.get("inputs") or {}, content)
    if not isinstance(schema, Mapping):
        return dict(given), []
    inputs: dict[str, Any] = {}
    properties = schema.get("properties")
    required = set(schema.get("required") or ())
    for name, property_schema in properties.items() if isinstance(properties, Mapping) else ():
        property_schema = resolve(property_schema, content)
        if isinstance(property_schema, Mapping) and "default" in property_schema:
            inputs[name] = copy.deepcopy(property_schema["default"])
        elif isinstance(property_schema, Mapping) and property_schema.get("examples"):
            inputs[name] = copy.deepcopy(property_schema["examples"][0])
        elif isinstance(property_schema, Mapping) and (name in required or property_schema.get("required")):
            # No value given anywhere: a schema-valid example keeps the workflow runnable as written.
            inputs[name] = example_value(property_schema, content)
    inputs.update(given)
    try:
        validator = jsonschema_rs.validator_for(dict(schema))
    except ValueError:  # a schema the validator cannot compile (a reference into the document): not ours to judge
        return inputs, []
    return inputs, [f"{'/'.join(map(str, e.instance_path)) or '/'}: {e.message}" for e in validator.iter_errors(inputs)]
