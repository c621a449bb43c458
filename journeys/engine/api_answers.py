"""The HTTP answer of a `kind: Api` invocation (DSL 2.2.2, ADR-0016): status, body and cookies.

Success answers with the output (`succeed.outputVar`, else the whole context); failure with an RFC 9457 problem
built from the `fail` state (`type` = errorCode, `title`/`detail` = reason). The status is the first matching
`spec.bindings.http.apiResponses` rule's, else the phase default: 200, or the problem's status (500 without one).
A rule whose predicate or status expression fails is skipped and logged: the author's mapping must not turn a
finished invocation into an engine error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from journeys.definitions.http_bindings import ApiResponses, StatusRule
from journeys.engine.lifecycle import SUCCEEDED
from journeys.engine.runs import Run
from journeys.expressions import ExpressionEvaluationError

log = logging.getLogger("journeys.engine")


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    status: int
    body: Any
    problem: bool = False
    """The body is a problem document (`application/problem+json`)."""
    set_cookies: tuple[str, ...] = ()
    """`Set-Cookie` values from the run's jar (`spec.cookies.returnToClient`, on success only)."""


def _valid_status(value: Any) -> int | None:
    """A final status (an informational 1xx cannot end an exchange)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 200 <= value <= 599 else None


def _rule_status(rule: StatusRule, context: Any, problem: dict[str, Any] | None, api: str) -> int | None:
    """The rule's status when it matches, else None."""
    if rule.error_type is not None and (problem is None or problem.get("type") != rule.error_type):
        return None
    payload = {"error": problem}
    try:
        if rule.predicate is not None and rule.predicate.evaluate(context, payload, None) is not True:
            return None
        if rule.status_expr is None:
            return rule.status
        status = _valid_status(rule.status_expr.evaluate(context, payload, None))
    except ExpressionEvaluationError as error:
        log.warning("api '%s': an apiResponses rule failed and was skipped: %s", api, error)
        return None
    if status is None:
        log.warning("api '%s': an apiResponses statusExpr gave no final HTTP status (200-599); rule skipped", api)
    return status


def _status(mapping: ApiResponses, phase: str, context: Any, problem: dict[str, Any] | None, api: str) -> int:
    for rule in mapping.rules:
        if rule.phase == phase:
            status = _rule_status(rule, context, problem, api)
            if status is not None:
                return status
    if phase == "SUCCEEDED":
        return mapping.succeeded
    return mapping.failed or _valid_status((problem or {}).get("status")) or 500


def api_answer(api: str, run: Run, mapping: ApiResponses) -> ApiAnswer:
    """The answer to the request that ran `run` to its end."""
    outcome = run.outcome or {}
    if run.phase == SUCCEEDED:
        status = _status(mapping, "SUCCEEDED", run.context, None, api)
        cookies = tuple(run.jar.returned()) if run.jar is not None else ()
        return ApiAnswer(status, outcome.get("output"), set_cookies=cookies)
    error = outcome.get("error") or {}
    reason = str(error.get("reason") or error.get("code") or "failed")
    problem: dict[str, Any] = {"type": str(error.get("code") or "about:blank"), "title": reason, "detail": reason}
    status = _status(mapping, "FAILED", run.context, problem, api)
    return ApiAnswer(status, {**problem, "status": status}, problem=True)
