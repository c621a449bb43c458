"""The text report: a line per scenario, and for a failure everything needed to see why without re-running it —
each expected-vs-actual difference, the path of states taken, where the journey stands and the calls it made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from journeys.scenarios.matching import show
from journeys.scenarios.runner import ScenarioResult


def failure_details(result: ScenarioResult) -> list[str]:
    """The lines that explain a failed scenario (also the text of its JUnit `<failure>`)."""
    observed = result.observed
    lines = list(result.failures)
    if observed.answer is None:
        lines.append(f"path taken: {' -> '.join(observed.path) or '(none)'}")
    status = observed.status or {}
    if observed.answer is not None:
        lines.append(f"answer: HTTP {observed.answer.status} {show(observed.answer.body)}")
    elif observed.journey_id is None:
        lines.append("journey: not started")
    else:
        where = f"phase {status.get('phase')} at {status.get('currentState')}"
        outcome = observed.outcome or {}
        if outcome.get("error") is not None:
            where += f", error {show(outcome['error'])}"
        if observed.outcome is not None:
            where += f", output {show(outcome.get('output'))}"
        lines.append(f"journey {observed.journey_id}: {where}")
    lines.append(f"downstream calls ({len(observed.calls)}):" if observed.calls else "downstream calls: none")
    lines += [f"  {call.summary()}" for call in observed.calls]
    return lines


def print_result(result: ScenarioResult, out: TextIO) -> None:
    mark = "PASS" if result.passed else "FAIL"
    print(f"{mark} {result.journey}: {result.scenario.name} ({result.seconds:.2f} s)", file=out)
    if not result.passed:
        for line in failure_details(result):
            print(f"     {line}", file=out)


def print_summary(results: Sequence[ScenarioResult], seconds: float, out: TextIO) -> None:
    failed = sum(not result.passed for result in results)
    passed = len(results) - failed
    print(f"{len(results)} scenarios: {passed} passed, {failed} failed ({seconds:.2f} s)", file=out)
