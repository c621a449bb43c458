"""What a contract run found, per workflow and per step: kept apart from the runner so that reading a
report does not need arazzo-runner installed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # an operation the workflow calls does not exist on the server
    NOT_RUN = "not run"  # steps only: an earlier step failed, or the workflow was skipped


@dataclass(frozen=True, slots=True)
class StepReport:
    step_id: str
    operation: str  # operationId, operationPath or workflowId
    verdict: Verdict
    status_code: int | None = None
    failed_criteria: tuple[str, ...] = ()  # as written in the document
    error: str | None = None  # a request that could not be made, or an exception in the runner


@dataclass(frozen=True, slots=True)
class WorkflowReport:
    document: Path
    workflow_id: str
    verdict: Verdict
    steps: tuple[StepReport, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None  # why the workflow failed or was skipped

    def step(self, step_id: str) -> StepReport:
        return next(step for step in self.steps if step.step_id == step_id)
