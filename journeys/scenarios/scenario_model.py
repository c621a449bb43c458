"""What a scenario file says, as plain dataclasses (read by `scenario_format`, run by `runner`).

The field names of the file are kept as the `*_KEYS` sets here: the reader allows exactly these, and the editor
schema (schemas/scenario.schema.json) is checked against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journeys.definitions.durations import Duration
from journeys.engine.auth_checks import CredentialProfiles

DEFAULT_CLOCK = datetime(2026, 1, 1, tzinfo=UTC)
FILE_KEYS = frozenset(
    (
        "journey",
        "clock",
        "environment",
        "apiKeys",
        "inboundSecrets",
        "platformConfig",
        "scenarios",
        *("jwtProfiles", "mtlsProfiles", "clientCertHeader"),  # as in the server config
    )
)
SCENARIO_KEYS = frozenset(("name", "description", "clock", "responses", "cache", "start", "steps", "expect"))
RESPONSE_KEYS = frozenset(("status", "headers", "body", "text", "delayMs"))
REQUEST_KEYS = frozenset(("body", "headers", "bearer", "clientCert", "expect"))
STEP_EXPECT_KEYS = frozenset(("httpStatus", "body", "headers", "phase", "currentState"))
ADVANCE_EXPECT_KEYS = frozenset(("phase", "currentState"))
FINAL_EXPECT_KEYS = frozenset(
    (
        "phase",
        "currentState",
        "status",
        "error",
        "output",
        "outputPaths",
        "path",
        "calls",
        "callCounts",
        "journeyStatus",
        "journeyOutcome",
        "scheduledRuns",
        "events",
        "cache",
    )
)
CALL_KEYS = frozenset(("operation", "method", "url", "path", "query", "headers", "body"))


class ScenarioFormatError(ValueError):
    """The scenario file cannot be run; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class ScriptedResponse:
    """One answer of a stubbed operation: JSON `body` or raw `text`, after `delay_ms`."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    """Name and value of each header line: a list value in the file repeats the header (several Set-Cookie)."""
    body: Any = None
    text: str | None = None
    has_body: bool = False
    delay_ms: int = 0


@dataclass(frozen=True, slots=True)
class StepExpectation:
    """What the HTTP answer of a start or submission, and the journey right after it, must show."""

    http_status: int | None = None
    body: Any = None
    has_body: bool = False
    headers: Mapping[str, Any] = field(default_factory=dict)
    phase: str | None = None
    current_state: str | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """A start or a step submission: a JSON body and optional headers."""

    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    expect: StepExpectation = field(default_factory=StepExpectation)
    bearer: Mapping[str, Any] | None = None
    """Claims of a JWT the runner signs (HS256, the `default` JWT profile's first secret) and sends as Bearer."""
    client_cert: str | None = None
    """A PEM client certificate the runner sends in the file's `clientCertHeader` (URL-encoded, as a proxy would)."""


@dataclass(frozen=True, slots=True)
class Submit:
    step: str
    request: Request


@dataclass(frozen=True, slots=True)
class Advance:
    """Move the clock forward by `delta`, then fire the timers that are due."""

    duration: Duration
    """Calendar months are counted from the clock's time when the step runs (`Duration.after`)."""
    text: str
    """The duration as the file wrote it, for the report."""
    expect: StepExpectation = field(default_factory=StepExpectation)


Action = Submit | Advance


@dataclass(frozen=True, slots=True)
class Expectation:
    """The final checks; None (or empty) means not checked. `output` and `error` are subset matches."""

    phase: str | None = None
    current_state: str | None = None
    status: Any = None
    has_status: bool = False
    error: Mapping[str, Any] | None = None
    output: Any = None
    has_output: bool = False
    output_paths: Mapping[str, Any] = field(default_factory=dict)
    path: list[str] | None = None
    journey_status: Mapping[str, Any] | None = None
    """Subset of the JourneyStatus document (GET /journeys/{id}): tags, attributes, step fields, links."""
    journey_outcome: Mapping[str, Any] | None = None
    """Subset of the JourneyOutcome document (GET /journeys/{id}/result)."""
    calls: list[Mapping[str, Any]] | None = None
    call_counts: Mapping[str, int] = field(default_factory=dict)
    scheduled_runs: list[Mapping[str, Any]] | None = None
    """The runs its `schedule:v1` bindings started, oldest first: each a subset of the run's JourneyOutcome (its
    JourneyStatus while it runs)."""
    events: list[Mapping[str, Any]] | None = None
    """The Kafka records the journey published, in order (journeys.scenarios.cache_events)."""
    cache: Mapping[str, Any] | None = None
    """Cache key -> the value expected under it when the scenario ends."""


@dataclass(frozen=True, slots=True)
class CacheSeed:
    """An entry put in the cache before the scenario starts (`cache`); `ttl_seconds` None: the default TTL."""

    key: str
    value: Any
    ttl_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str | None
    clock: datetime
    """Where the engine's clock stands at the start: the scenario's `clock`, else the file's."""
    responses: Mapping[str, list[ScriptedResponse]]
    start: Request
    steps: list[Action]
    expect: Expectation
    cache: tuple[CacheSeed, ...] = ()


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    path: Path
    journey: Path
    clock: datetime
    environment: str
    api_keys: Mapping[str, Any]
    inbound_secrets: Mapping[str, Any]
    platform_config: Mapping[str, Any]
    """Values of the journey's `spec.platform.config` keys (the server config's `platformConfig.<journey>`)."""
    scenarios: list[Scenario]
    credentials: CredentialProfiles = field(default_factory=CredentialProfiles)
    """`jwtProfiles` and `mtlsProfiles`, as in the server config (paths relative to the scenario file)."""
    client_cert_header: str | None = None
    """`clientCertHeader`, as in the server config: where `clientCert` requests carry their certificate."""
