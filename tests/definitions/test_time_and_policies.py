"""Timers, deadlines and resilience policies are checked at load: a typo names its file, state and field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from journeys.definitions import DefinitionErrors, load_definition_text
from journeys.definitions.durations import TimeFormatError, parse_duration, parse_instant
from journeys.definitions.model import HttpCallTask, RetryPolicy, TaskState
from journeys.engine.outbound import OutboundError, OutboundResponse
from journeys.engine.retries import retry_after, retry_delay, retryable


def _journey(spec_extra: dict, states: dict) -> str:
    document = {
        "apiVersion": "v1",
        "kind": "Journey",
        "metadata": {"name": "t", "version": "1"},
        "spec": {**spec_extra, "start": next(iter(states)), "states": {**states, "end": {"type": "succeed"}}},
    }
    return yaml.safe_dump(document, sort_keys=False)


def _errors(text: str) -> dict[str, str]:
    with pytest.raises(DefinitionErrors) as failure:
        load_definition_text(text, Path("t.journey.yaml"))
    return {error.field: error.message for error in failure.value.errors}


def test_a_timer_needs_exactly_one_of_duration_and_until() -> None:
    both = {"pause": {"type": "timer", "timer": {"duration": "PT1M", "until": "2026-01-01T00:00:00Z"}, "next": "end"}}
    assert "exactly one" in _errors(_journey({}, both))["spec.states.pause.timer"]


def test_a_literal_duration_that_does_not_parse_is_reported_at_its_field() -> None:
    typo = {"pause": {"type": "timer", "timer": {"duration": "PT5"}, "next": "end"}}
    assert "ISO-8601" in _errors(_journey({}, typo))["spec.states.pause.timer.duration"]


def test_execution_needs_what_happens_when_time_runs_out() -> None:
    wait = {"pause": {"type": "timer", "timer": {"duration": "PT1M"}, "next": "end"}}
    errors = _errors(_journey({"execution": {"maxDurationSec": 60}}, wait))
    assert "spec.execution.onTimeout" in errors


def test_a_task_naming_an_unknown_policy_lists_the_known_ones() -> None:
    policies = {"httpResilience": {"definitions": {"standard": {"maxAttempts": 2}}}}
    task = {"kind": "httpCall:v1", "method": "GET", "url": "https://x.test/", "resiliencePolicyRef": "standrd"}
    errors = _errors(_journey({"policies": policies}, {"call": {"type": "task", "task": task, "next": "end"}}))
    assert "known: standard" in errors["spec.states.call.task.resiliencePolicyRef"]


def test_a_circuit_breaker_is_rejected_as_unsupported_not_ignored() -> None:
    policies = {"httpResilience": {"definitions": {"guarded": {"circuitBreaker": {"enabled": True}}}}}
    task = {"kind": "httpCall:v1", "method": "GET", "url": "https://x.test/"}
    errors = _errors(_journey({"policies": policies}, {"call": {"type": "task", "task": task, "next": "end"}}))
    assert "not supported" in errors["spec.policies.httpResilience.definitions.guarded.circuitBreaker"]


def test_durations_use_calendar_months_and_exact_days() -> None:
    end_of_january = datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert parse_duration("P1M").after(end_of_january) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert parse_duration("P1DT12H").after(end_of_january) == end_of_january + timedelta(days=1, hours=12)
    assert parse_instant("2026-12-31T23:59:00+02:00") == datetime(2026, 12, 31, 21, 59, tzinfo=UTC)
    for bad in ("P", "PT", "5M", "PT1D", "tomorrow"):
        with pytest.raises(TimeFormatError):
            parse_duration(bad)
    with pytest.raises(TimeFormatError):
        parse_instant("2026-12-31 23:59")  # no offset: ambiguous


def test_backoff_grows_to_its_ceiling_and_full_jitter_stays_below_it() -> None:
    policy = RetryPolicy("p", max_attempts=5, base_delay_ms=100, max_delay_ms=1000, factor=2.0, jitter="none")
    assert [retry_delay(policy, n).total_seconds() for n in (1, 2, 3, 4, 5)] == [0.1, 0.2, 0.4, 0.8, 1.0]
    jittered = RetryPolicy("p", base_delay_ms=100, max_delay_ms=1000, jitter="full")
    assert retry_delay(jittered, 3, lambda: 0.5).total_seconds() == 0.2


def test_which_outcomes_are_retried() -> None:
    policy = RetryPolicy("p", max_attempts=2, retry_on=frozenset({"HTTP_5XX", "TIMEOUT"}), statuses=frozenset({409}))
    assert retryable(policy, OutboundResponse(503, {}, b""))
    assert retryable(policy, OutboundResponse(409, {}, b""))
    assert not retryable(policy, OutboundResponse(404, {}, b""))
    assert retryable(policy, OutboundError("TIMEOUT", "slow"))
    assert not retryable(policy, OutboundError("NETWORK", "refused"))
    assert retry_after(policy, OutboundResponse(503, {}, b""), retries_done=1) is None  # attempts used up


def _task_of(text: str) -> HttpCallTask:
    state = load_definition_text(text, Path("t.journey.yaml")).states["call"]
    assert isinstance(state, TaskState) and isinstance(state.task, HttpCallTask)
    return state.task


def test_defaults_fill_what_a_task_leaves_out_and_never_override_it() -> None:
    policies = {"httpResilience": {"default": "quick", "definitions": {"quick": {}, "patient": {"maxAttempts": 9}}}}
    defaults = {
        "http": {"timeoutMs": 2500, "headers": {"Accept": "application/xml", "X-Tenant": "${context.tenant}"}},
        "tasks": {"resiliencePolicyRef": "patient"},
    }
    task = {"kind": "httpCall:v1", "method": "GET", "url": "https://x.test/", "headers": {"accept": "text/plain"}}
    compiled = _task_of(
        _journey({"policies": policies, "defaults": defaults}, {"call": {"type": "task", "task": task, "next": "end"}})
    )
    assert compiled.timeout_ms == 2500
    assert {name: t.source for name, t in compiled.headers.items()} == {
        "accept": "text/plain",
        "X-Tenant": "${context.tenant}",
    }
    assert (
        compiled.retry is not None and compiled.retry.name == "patient"
    )  # defaults.tasks wins over the policies' default
    own = {**task, "timeoutMs": 100, "resiliencePolicyRef": "quick"}
    compiled = _task_of(
        _journey({"policies": policies, "defaults": defaults}, {"call": {"type": "task", "task": own, "next": "end"}})
    )
    assert compiled.timeout_ms == 100 and compiled.retry is not None and compiled.retry.name == "quick"


def test_a_default_policy_naming_nothing_is_an_error() -> None:
    task = {"kind": "httpCall:v1", "method": "GET", "url": "https://x.test/"}
    errors = _errors(
        _journey(
            {"defaults": {"tasks": {"resiliencePolicyRef": "standard"}}},
            {"call": {"type": "task", "task": task, "next": "end"}},
        )
    )
    assert "no policy 'standard'" in errors["spec.defaults.tasks.resiliencePolicyRef"]
