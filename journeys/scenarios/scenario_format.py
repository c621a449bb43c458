"""Reading a scenario file (docs/scenarios.md, schemas/scenario.schema.json) into `scenario_model` dataclasses.

Everything a run needs is checked here, before any server starts: a scenario file with a typo must stop the run
with exit status 2 and a message naming the file and the field, not fail halfway as if the journey were wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from journeys.engine.auth_checks import CredentialProfiles
from journeys.scenarios.cache_events import read_expected_cache, read_expected_events, read_seeds
from journeys.scenarios.durations import parse_duration
from journeys.scenarios.matching import matcher_error, parse_path
from journeys.scenarios.scenario_model import (
    ADVANCE_EXPECT_KEYS,
    CALL_KEYS,
    DEFAULT_CLOCK,
    FILE_KEYS,
    FINAL_EXPECT_KEYS,
    REQUEST_KEYS,
    RESPONSE_KEYS,
    SCENARIO_KEYS,
    STEP_EXPECT_KEYS,
    Action,
    Advance,
    Expectation,
    Request,
    Scenario,
    ScenarioFile,
    ScenarioFormatError,
    ScriptedResponse,
    StepExpectation,
    Submit,
)
from journeys.server.credential_config import credential_changes


class _Reader:
    """Field access that reports the dotted location of whatever is wrong."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> ScenarioFormatError:
        return ScenarioFormatError(f"{self.source}: {where}: {message}")

    def mapping(self, value: Any, where: str, allowed: frozenset[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a mapping, got {type(value).__name__}")
        unknown = sorted(str(key) for key in value if key not in allowed)
        if unknown:
            raise self.fail(where, f"unknown field(s) {unknown}; allowed: {sorted(allowed)}")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, "must be a non-empty string")
        return value

    def status(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
            raise self.fail(where, f"must be an HTTP status code 100..599, got {value!r}")
        return value

    def headers(self, value: Any, where: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, "must map header names to values")
        return {str(name): str(text) for name, text in value.items()}


def load_scenario_file(path: str | Path) -> ScenarioFile:
    """Read and check one scenario file; ScenarioFormatError says what is wrong and where."""
    source = Path(path)
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioFormatError(f"{source}: cannot read: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise ScenarioFormatError(f"{source}: not valid YAML: {error}") from error
    read = _Reader(source)
    document = read.mapping(document, "document", FILE_KEYS)
    journey = source.parent / read.text(document.get("journey"), "journey")
    if not journey.is_file():
        raise read.fail("journey", f"'{document['journey']}' is not a file (resolved to {journey})")
    raw_scenarios = document.get("scenarios")
    if not isinstance(raw_scenarios, list) or not raw_scenarios:
        raise read.fail("scenarios", "must be a non-empty list of scenarios")
    clock = _clock(read, document.get("clock"), "clock")
    scenarios = [_scenario(read, raw, f"scenarios[{index}]", clock) for index, raw in enumerate(raw_scenarios)]
    names = [scenario.name for scenario in scenarios]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise read.fail("scenarios", f"names must be unique, repeated: {duplicates}")
    for key in ("apiKeys", "inboundSecrets"):
        if document.get(key) is not None and not isinstance(document[key], dict):
            raise read.fail(key, "must map profile names to keys, as in the server config")
    if document.get("platformConfig") is not None and not isinstance(document["platformConfig"], dict):
        raise read.fail("platformConfig", "must map the journey's spec.platform.config keys to values")
    return ScenarioFile(
        path=source,
        journey=journey.resolve(),
        clock=clock,
        environment=str(document.get("environment") or "local"),
        api_keys=document.get("apiKeys") or {},
        inbound_secrets=document.get("inboundSecrets") or {},
        platform_config=document.get("platformConfig") or {},
        scenarios=scenarios,
        **_credentials(read, document),
    )


def _credentials(read: _Reader, document: Mapping[str, Any]) -> dict[str, Any]:
    """`jwtProfiles`, `mtlsProfiles` and `clientCertHeader`, read as the server reads its config."""
    try:
        return credential_changes(CredentialProfiles(), document, read.source.parent)
    except ValueError as error:
        raise read.fail("document", str(error)) from error


def _clock(read: _Reader, value: Any, where: str) -> datetime:
    if value is None:
        return DEFAULT_CLOCK
    if isinstance(value, datetime):
        start = value
    else:
        try:
            start = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as error:
            raise read.fail(where, f"must be an RFC 3339 timestamp like 2026-01-05T09:00:00Z, got {value!r}") from error
    return start if start.tzinfo is not None else start.replace(tzinfo=UTC)


def _scenario(read: _Reader, raw: Any, where: str, file_clock: datetime) -> Scenario:
    data = read.mapping(raw, where, SCENARIO_KEYS)
    name = read.text(data.get("name"), f"{where}.name")
    where = f"{where} ({name})"
    responses = data.get("responses") or {}
    if not isinstance(responses, dict):
        raise read.fail(f"{where}.responses", "must map operations to responses")
    steps = data.get("steps") or []
    if not isinstance(steps, list):
        raise read.fail(f"{where}.steps", "must be a list of `submit` and `advance` steps")
    description = data.get("description")
    return Scenario(
        name=name,
        description=str(description) if description is not None else None,
        clock=file_clock if data.get("clock") is None else _clock(read, data["clock"], f"{where}.clock"),
        responses={str(key): _responses(read, value, f"{where}.responses.{key}") for key, value in responses.items()},
        start=_request(read, data.get("start") or {}, f"{where}.start"),
        steps=[_action(read, step, f"{where}.steps[{index}]") for index, step in enumerate(steps)],
        expect=_expectation(read, data.get("expect") or {}, f"{where}.expect"),
        cache=read_seeds(data.get("cache"), f"{read.source}: {where}.cache"),
    )


def _responses(read: _Reader, value: Any, where: str) -> list[ScriptedResponse]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise read.fail(where, "an empty list scripts nothing: give at least one response")
    return [
        _response(read, item, f"{where}[{index}]" if isinstance(value, list) else where)
        for index, item in enumerate(items)
    ]


def _response(read: _Reader, value: Any, where: str) -> ScriptedResponse:
    data = read.mapping(value, where, RESPONSE_KEYS)
    if "body" in data and "text" in data:
        raise read.fail(where, "give `body` (JSON) or `text` (raw), not both")
    delay = data.get("delayMs", 0)
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise read.fail(f"{where}.delayMs", f"must be a whole number of milliseconds, got {delay!r}")
    text = data.get("text")
    return ScriptedResponse(
        status=read.status(data.get("status", 200), f"{where}.status"),
        headers=_response_headers(read, data.get("headers"), f"{where}.headers"),
        body=data.get("body"),
        text=None if text is None else str(text),
        has_body="body" in data,
        delay_ms=delay,
    )


def _response_headers(read: _Reader, value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise read.fail(where, "must map header names to a value or a list of values")
    lines = []
    for name, given in value.items():
        lines += [(str(name), str(item)) for item in (given if isinstance(given, list) else [given])]
    return tuple(lines)


def _request(read: _Reader, value: Any, where: str) -> Request:
    data = read.mapping(value, where, REQUEST_KEYS)
    bearer = data.get("bearer")
    if bearer is not None and not isinstance(bearer, dict):
        raise read.fail(f"{where}.bearer", "must map claim names to values (null leaves a claim out)")
    certificate = None
    if data.get("clientCert") is not None:
        path = read.source.parent / read.text(data["clientCert"], f"{where}.clientCert")
        try:
            certificate = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise read.fail(f"{where}.clientCert", f"cannot read the PEM file {path}: {error}") from error
    return Request(
        body=data.get("body"),
        headers=read.headers(data.get("headers"), f"{where}.headers"),
        expect=_step_expectation(read, data.get("expect") or {}, f"{where}.expect"),
        bearer=bearer,
        client_cert=certificate,
    )


def _action(read: _Reader, value: Any, where: str) -> Action:
    if isinstance(value, dict) and "submit" in value:
        data = read.mapping(value, where, REQUEST_KEYS | {"submit"})
        request = _request(read, {k: v for k, v in data.items() if k != "submit"}, where)
        return Submit(read.text(data["submit"], f"{where}.submit"), request)
    if isinstance(value, dict) and "advance" in value:
        data = read.mapping(value, where, frozenset(("advance", "expect")))
        try:
            duration = parse_duration(data["advance"])
        except ValueError as error:
            raise read.fail(f"{where}.advance", str(error)) from error
        # An advance answers no request: only the journey's state can be checked after it.
        expect = read.mapping(data.get("expect") or {}, f"{where}.expect", ADVANCE_EXPECT_KEYS)
        return Advance(duration, str(data["advance"]), _step_expectation(read, expect, f"{where}.expect"))
    raise read.fail(where, "a step is `submit: <stepId>` (with body/headers) or `advance: <duration>`")


def _step_expectation(read: _Reader, value: Any, where: str) -> StepExpectation:
    data = read.mapping(value, where, STEP_EXPECT_KEYS)
    return StepExpectation(
        http_status=None if "httpStatus" not in data else read.status(data["httpStatus"], f"{where}.httpStatus"),
        body=_matchers(read, data.get("body"), f"{where}.body"),
        has_body="body" in data,
        headers=_matchers(read, _expected_headers(read, data.get("headers"), f"{where}.headers"), f"{where}.headers"),
        phase=_optional_text(read, data, "phase", where),
        current_state=_optional_text(read, data, "currentState", where),
    )


def _expected_headers(read: _Reader, value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise read.fail(where, "must map header names to expected values")
    return {str(name): expected for name, expected in value.items()}


def _matchers(read: _Reader, value: Any, where: str) -> Any:
    """`value` (an expected value) once every `$regex`/`$type` matcher in it is checked."""
    problem = matcher_error(value)
    if problem is not None:
        raise read.fail(where, problem)
    if isinstance(value, dict):
        for key, inner in value.items():
            _matchers(read, inner, f"{where}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _matchers(read, inner, f"{where}[{index}]")
    return value


def _document(read: _Reader, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        raise read.fail(f"{where}.{key}", "must be a mapping: the fields of the document to check")
    return value


def _optional_text(read: _Reader, data: Mapping[str, Any], key: str, where: str) -> str | None:
    return None if data.get(key) is None else read.text(data[key], f"{where}.{key}")


def _expectation(read: _Reader, value: Any, where: str) -> Expectation:
    data = _matchers(read, read.mapping(value, where, FINAL_EXPECT_KEYS), where)
    error = data.get("error")
    if error is not None and not isinstance(error, dict):
        raise read.fail(f"{where}.error", "must be a mapping, e.g. {code: PAYMENT_FAILED}")
    paths = data.get("outputPaths") or {}
    if not isinstance(paths, dict):
        raise read.fail(f"{where}.outputPaths", "must map paths (body.items[0].id) to expected values")
    for key in paths:
        try:
            parse_path(str(key))
        except ValueError as error:
            raise read.fail(f"{where}.outputPaths", str(error)) from error
    path = data.get("path")
    if path is not None and (not isinstance(path, list) or not all(isinstance(s, str) for s in path)):
        raise read.fail(f"{where}.path", "must be the list of state ids the journey walked through")
    calls = data.get("calls")
    if calls is not None:
        if not isinstance(calls, list):
            raise read.fail(f"{where}.calls", "must be the list of downstream calls expected, in order")
        calls = [read.mapping(call, f"{where}.calls[{index}]", CALL_KEYS) for index, call in enumerate(calls)]
    counts = data.get("callCounts") or {}
    if not isinstance(counts, dict) or not all(isinstance(n, int) and n >= 0 for n in counts.values()):
        raise read.fail(f"{where}.callCounts", "must map operations to how many calls each received")
    runs = data.get("scheduledRuns")
    if runs is not None and (not isinstance(runs, list) or not all(isinstance(run, dict) for run in runs)):
        raise read.fail(f"{where}.scheduledRuns", "must be the list of the runs expected (mappings), oldest first")
    return Expectation(
        phase=_optional_text(read, data, "phase", where),
        current_state=_optional_text(read, data, "currentState", where),
        status=data.get("status"),
        has_status="status" in data,
        error=error,
        output=data.get("output"),
        has_output="output" in data,
        output_paths={str(key): expected for key, expected in paths.items()},
        path=path,
        journey_status=_document(read, data, "journeyStatus", where),
        journey_outcome=_document(read, data, "journeyOutcome", where),
        calls=calls,
        call_counts={str(key): count for key, count in counts.items()},
        scheduled_runs=runs,
        events=read_expected_events(data.get("events"), f"{read.source}: {where}.events"),
        cache=read_expected_cache(data.get("cache"), f"{read.source}: {where}.cache"),
    )
