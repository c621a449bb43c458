"""`journeys contract-test ARAZZO... --base-url URL [--inputs JSON] [--token KEY]`: run Arazzo workflows.

A server with clients configured needs a credential: `--token` (or JOURNEYS_TOKEN, which other users cannot
read off the command line) is sent as `Authorization: Bearer` with every request.

Prints one line per workflow (`PASS`, `FAIL` or `SKIP`) and one per step (`ok`, `FAIL`, `--` for steps not
run) with the status code and what failed, then a count. Exit status: 0 when no workflow failed and at least one
passed, 1 when one failed or none ran (every workflow skipped verifies nothing, which must not pass a CI job), 2
when the command cannot run (unreadable document or source description, `--inputs` not a JSON
object, arazzo-runner missing): every document is checked before any request is sent.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from journeys.contracts.contract_report import StepReport, Verdict, WorkflowReport

_WORKFLOW_MARKS = {Verdict.PASSED: "PASS", Verdict.FAILED: "FAIL", Verdict.SKIPPED: "SKIP"}
_STEP_MARKS = {Verdict.PASSED: "ok  ", Verdict.FAILED: "FAIL", Verdict.NOT_RUN: "--  "}


def run_contract_test(
    paths: Sequence[str], base_url: str, inputs: str | None, out: TextIO, token: str | None = None
) -> int:
    try:
        from journeys.contracts import contract_runner as runner
        from journeys.contracts.contract_document import ArazzoDocument, ContractDocumentError
    except ImportError as error:  # arazzo-runner is an optional dependency
        print(f"error: the contract runner needs arazzo-runner ({error}); pip install arazzo-runner", file=out)
        return 2
    try:
        given = _parse_inputs(inputs)
        documents = [ArazzoDocument.load(path) for path in paths]
    except (ValueError, ContractDocumentError) as error:
        print(f"error: {error}", file=out)
        return 2
    # The runner logs every failed criterion and request at ERROR; the report below says it once, in context.
    # Its credential module warns about security schemes it holds no value for: the token is sent by our session.
    for logger in ("arazzo-runner", "arazzo_runner"):
        logging.getLogger(logger).setLevel(logging.CRITICAL)
    reports = []
    for document in documents:
        print(str(document.path), file=out)
        try:
            document_reports = runner.run_document(document, base_url, given, token=token)
        except ContractDocumentError as error:
            print(f"error: {error}", file=out)
            return 2
        for report in document_reports:
            _print_workflow(report, out)
        reports.extend(document_reports)
    counts = Counter(report.verdict for report in reports)
    summary = ", ".join(f"{counts[verdict]} {verdict}" for verdict in (Verdict.PASSED, Verdict.FAILED, Verdict.SKIPPED))
    print(f"{len(reports)} workflows: {summary}", file=out)
    if counts[Verdict.FAILED]:
        return 1
    if not counts[Verdict.PASSED]:
        what = "every workflow was skipped (the reasons are above)" if reports else "the documents hold no workflow"
        print(f"error: {what}, so nothing was verified", file=out)
        return 1
    return 0


def _parse_inputs(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--inputs is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise ValueError('--inputs must be a JSON object, e.g. {"webhookSecret": "..."}')
    return value


def _print_workflow(report: WorkflowReport, out: TextIO) -> None:
    headline = f"{_WORKFLOW_MARKS[report.verdict]} {report.workflow_id}"
    print(f"{headline}: {report.reason}" if report.reason else headline, file=out)
    if report.verdict is Verdict.SKIPPED:
        return
    width = max((len(step.step_id) for step in report.steps), default=0)
    for step in report.steps:
        print(f"  {_STEP_MARKS[step.verdict]} {step.step_id.ljust(width)}  {_step_details(step)}".rstrip(), file=out)


def _step_details(step: StepReport) -> str:
    """`401  criterion $statusCode == 200`: the status code, then whatever failed."""
    if step.verdict is Verdict.NOT_RUN:
        return "not run"
    details = [str(step.status_code) if step.status_code is not None else "no response"]
    details.extend(f"criterion {criterion}" for criterion in step.failed_criteria)
    if step.error:
        details.append(f"error: {step.error}")
    return "  ".join(details)
