"""The checks of a scenario: each returns the differences between what was expected and what happened, as lines
of the failure report (empty: it passed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from journeys.scenarios.harness import Answer
from journeys.scenarios.matching import path_mismatches, show, subset_mismatches
from journeys.scenarios.scenario_model import Expectation, StepExpectation
from journeys.scenarios.stubs import ReceivedCall


@dataclass(slots=True)
class Observed:
    """What a scenario saw: the journey's status and outcome documents, its path of states, the downstream calls."""

    journey_id: str | None = None
    answer: Answer | None = None
    """The answer of a `kind: Api` call (a journey's start answer is not kept: its status document is)."""
    status: Mapping[str, Any] | None = None
    outcome: Mapping[str, Any] | None = None
    path: list[str] = field(default_factory=list)
    calls: list[ReceivedCall] = field(default_factory=list)
    scheduled_runs: list[Mapping[str, Any]] = field(default_factory=list)
    """The other journeys of its name (what its schedules started), oldest first: outcome, or status while running."""
    events: list[dict[str, Any]] = field(default_factory=list)
    """The Kafka records the journey published (journeys.scenarios.cache_events)."""
    cache: dict[str, Any] = field(default_factory=dict)
    """The entries under the keys `expect.cache` names, when the scenario ended."""


def check_answer(expect: StepExpectation, answer: Answer, what: str) -> list[str]:
    """The HTTP answer of a start or submission; without an `httpStatus` any 2xx passes."""
    if expect.http_status is None and not 200 <= answer.status < 300:
        return [f"{what}: expected a 2xx answer, got {answer.status}: {show(answer.body)}"]
    if expect.http_status is not None and answer.status != expect.http_status:
        return [f"{what}: expected HTTP {expect.http_status}, got {answer.status}: {show(answer.body)}"]
    found = []
    if expect.has_body:
        found += [f"{what}: {m}" for m in subset_mismatches(expect.body, answer.body, "body")]
    if expect.headers:
        wanted = _header_subset(expect.headers, answer.headers)
        found += [f"{what}: {m}" for m in subset_mismatches(wanted, dict(answer.headers), "headers")]
    return found


def check_journey_state(phase: str | None, current_state: str | None, status: Mapping[str, Any] | None) -> list[str]:
    """`phase` and `currentState` against the journey's status document (None: not checked)."""
    found = []
    actual = status or {}
    if phase is not None and actual.get("phase") != phase:
        found.append(f"phase: expected {phase!r}, got {show(actual.get('phase'))}")
    if current_state is not None and actual.get("currentState") != current_state:
        found.append(f"currentState: expected {current_state!r}, got {show(actual.get('currentState'))}")
    return found


def check_outcome(expect: Expectation, observed: Observed) -> list[str]:
    """The final expectations: phase, state, outcome status, error, output, path of states and calls."""
    found = check_journey_state(expect.phase, expect.current_state, observed.status)
    outcome = observed.outcome or {}
    if expect.journey_status is not None:
        found += [str(m) for m in subset_mismatches(expect.journey_status, observed.status, "journeyStatus")]
    wants_outcome = expect.has_status or expect.error is not None or expect.has_output or expect.output_paths
    wants_outcome = wants_outcome or expect.journey_outcome is not None
    if wants_outcome and observed.outcome is None:
        phase = (observed.status or {}).get("phase")
        return [*found, f"outcome: the journey has not ended (phase {show(phase)}), so it has no status/output/error"]
    if expect.journey_outcome is not None:
        found += [str(m) for m in subset_mismatches(expect.journey_outcome, outcome, "journeyOutcome")]
    if expect.has_status:
        found += [str(m) for m in subset_mismatches(expect.status, outcome.get("status"), "status")]
    if expect.error is not None:
        found += [str(m) for m in subset_mismatches(expect.error, outcome.get("error"), "error")]
    if expect.has_output:
        found += [str(m) for m in subset_mismatches(expect.output, outcome.get("output"), "output")]
    if expect.output_paths:
        found += [str(m) for m in path_mismatches(dict(expect.output_paths), outcome.get("output"), "output")]
    if expect.path is not None and expect.path != observed.path:
        found.append(f"path: expected {' -> '.join(expect.path)}, got {' -> '.join(observed.path) or '(none)'}")
    return found + check_calls(expect, observed.calls) + check_scheduled_runs(expect, observed.scheduled_runs)


def check_scheduled_runs(expect: Expectation, runs: list[Mapping[str, Any]]) -> list[str]:
    if expect.scheduled_runs is None:
        return []
    found = []
    if len(expect.scheduled_runs) != len(runs):
        found.append(f"scheduledRuns: expected {len(expect.scheduled_runs)} runs, got {len(runs)}")
    for index, (wanted, run) in enumerate(zip(expect.scheduled_runs, runs, strict=False)):
        found += [str(m) for m in subset_mismatches(wanted, run, f"scheduledRuns[{index}]")]
    return found


def _call_view(call: ReceivedCall) -> dict[str, Any]:
    return {
        "operation": call.operation,
        "method": call.method,
        "url": call.url,
        "path": call.path,
        "query": dict(call.query),
        "headers": dict(call.headers),
        "body": call.body,
    }


def _header_subset(expected: Mapping[str, Any], actual: Mapping[str, str]) -> dict[str, Any]:
    """Header names compare case-insensitively: the expectation is rewritten to the names as received."""
    names = {name.lower(): name for name in actual}
    return {names.get(name.lower(), name): value for name, value in expected.items()}


def check_calls(expect: Expectation, calls: list[ReceivedCall]) -> list[str]:
    found = []
    if expect.calls is not None:
        if len(expect.calls) != len(calls):
            found.append(f"calls: expected {len(expect.calls)} downstream calls, got {len(calls)}")
        for index, (wanted, call) in enumerate(zip(expect.calls, calls, strict=False)):
            wanted = dict(wanted)
            if isinstance(wanted.get("headers"), dict):
                wanted["headers"] = _header_subset(wanted["headers"], call.headers)
            if "method" in wanted:
                wanted["method"] = str(wanted["method"]).upper()
            found += [str(m) for m in subset_mismatches(wanted, _call_view(call), f"calls[{index}]")]
    if expect.call_counts:
        counted = Counter(call.operation for call in calls)
        for operation, count in expect.call_counts.items():
            if counted[operation] != count:
                found.append(f"callCounts.{operation}: expected {count} calls, got {counted[operation]}")
    return found
