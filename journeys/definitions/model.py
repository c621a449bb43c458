"""The compiled, immutable journey model shared by every instance of a definition.

Everything here is built once at load time by `journeys.definitions.loader`: schemas are compiled
validators, expressions are compiled callables, and references between states are checked. The engine
reads this model and never parses YAML or compiles anything on the request path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, Union

from journeys.definitions.durations import Duration
from journeys.definitions.subjourney_model import Compensation, Subjourney, SubjourneyState

if TYPE_CHECKING:
    from journeys.definitions.auth_tasks import JwtValidateTask, MtlsValidateTask
    from journeys.definitions.cache_task import CacheTask
    from journeys.definitions.cookie_spec import CookieSpec
    from journeys.definitions.http_bindings import HttpBindings
    from journeys.definitions.kafka_publish_task import KafkaPublishTask
    from journeys.definitions.metadata_bindings import MetadataBindings
    from journeys.definitions.named_outcomes import NamedOutcome
    from journeys.definitions.platform_config import PlatformConfigKey
    from journeys.definitions.schedule_task import ScheduleTask


class CompiledExpression(Protocol):
    """An expression compiled once at load; `evaluate` is pure and may raise ExpressionEvaluationError."""

    lang: str
    source: str

    def evaluate(self, context: Any, payload: Any = None, platform: Any = None) -> Any: ...


class CompiledTemplate(Protocol):
    """A string with `${...}` placeholders, compiled once; `render` substitutes values from the bindings."""

    source: str

    def render(self, context: Any, payload: Any = None, platform: Any = None) -> str: ...


class CompiledSchema(Protocol):
    """A JSON Schema 2020-12 compiled into a validator; `raw` keeps the document for exports."""

    raw: Mapping[str, Any]

    def errors(self, instance: Any) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class ApiKeyValidateTask:
    """`apiKeyValidate:v1`: compare a header/query key with the configured profile's keys."""

    profile: str = "default"
    source_location: Literal["header", "query"] | None = None
    source_name: str | None = None
    auth_var: str = "auth"
    kind: str = "apiKeyValidate:v1"


@dataclass(frozen=True, slots=True)
class ErrorMapping:
    """`errorMapping` of an HTTP task: a transform applied only when the call's result is not ok."""

    mapper: CompiledExpression
    target_kind: Literal["context", "var"]
    path: tuple[str, ...]
    result_var: str | None


@dataclass(frozen=True, slots=True)
class HttpDefaults:
    """`spec.defaults.http`: the timeout and baseline headers of HTTP tasks that do not set their own."""

    timeout_ms: int | None
    headers: Mapping[str, CompiledTemplate]


DEFAULT_RETRY_ON = frozenset(("NETWORK_ERROR", "TIMEOUT", "HTTP_5XX", "HTTP_429"))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """One policy of `spec.policies.httpResilience.definitions`: `max_attempts` includes the first attempt."""

    name: str
    max_attempts: int = 3
    retry_on: frozenset[str] = DEFAULT_RETRY_ON
    statuses: frozenset[int] = frozenset()
    """Individual statuses that are retried besides the classes in `retry_on` (e.g. 409 for a busy resource)."""
    base_delay_ms: int = 100
    max_delay_ms: int = 10_000
    factor: float = 2.0
    jitter: Literal["none", "full"] = "full"


@dataclass(frozen=True, slots=True)
class HttpCallTask:
    """`httpCall:v1`: one outbound HTTP request, its structured result stored at `context.<result_var>`.

    `url` is the raw URL, or the OpenAPI operation's server URL plus path; `{name}` segments in it are
    filled from `path_params` (percent-encoded) after interpolation. `body` is a literal JSON value,
    a template (a string body, sent as-is) or a mapper whose result is sent as JSON.
    """

    method: str
    url: CompiledTemplate
    path_params: Mapping[str, CompiledTemplate]
    query: Mapping[str, CompiledTemplate]
    headers: Mapping[str, CompiledTemplate]
    body: Any = None
    body_kind: Literal["none", "json", "template", "mapper"] = "none"
    accept: str = "application/json"
    timeout_ms: int = 10_000
    result_var: str | None = None
    mode: Literal["requestResponse", "notify"] = "requestResponse"
    error_mapping: ErrorMapping | None = None
    operation: str | None = None
    retry: RetryPolicy | None = None
    """The resilience policy: failed attempts it deems retryable are tried again after a durable backoff."""
    use_jar: bool = True
    """`cookies.useJar`: attach the run's jar cookies (when `spec.cookies.jar` exists and no Cookie header is set)."""
    kind: str = "httpCall:v1"


# strings: own modules
TaskSpec = Union[
    ApiKeyValidateTask,
    HttpCallTask,
    "CacheTask",
    "KafkaPublishTask",
    "ScheduleTask",
    "JwtValidateTask",
    "MtlsValidateTask",
]


@dataclass(frozen=True, slots=True)
class TaskState:
    id: str
    task: TaskSpec
    next: str
    type: Literal["task"] = "task"


@dataclass(frozen=True, slots=True)
class ChoiceBranch:
    predicate: CompiledExpression
    next: str


@dataclass(frozen=True, slots=True)
class ChoiceState:
    id: str
    branches: tuple[ChoiceBranch, ...]
    default: str | None
    type: Literal["choice"] = "choice"


@dataclass(frozen=True, slots=True)
class TransformState:
    """Writes the mapper result to the whole context, to `context.<path>`, or to `context.<result_var>`."""

    id: str
    mapper: CompiledExpression
    target_kind: Literal["context", "var"]
    path: tuple[str, ...]
    result_var: str | None
    next: str
    type: Literal["transform"] = "transform"


@dataclass(frozen=True, slots=True)
class SucceedState:
    id: str
    output_var: str | None = None
    type: Literal["succeed"] = "succeed"


@dataclass(frozen=True, slots=True)
class FailState:
    id: str
    error_code: str
    reason: str | None = None
    type: Literal["fail"] = "fail"


@dataclass(frozen=True, slots=True)
class ExternalInputState:
    """A `wait` or `webhook` state: the journey pauses here until a step submission arrives."""

    id: str
    type: Literal["wait", "webhook"]
    input_schema: CompiledSchema
    next: str
    response_output_var: str | None = None
    response_schema: CompiledSchema | None = None
    timeout_sec: int | None = None
    on_timeout: str | None = None
    source: str | None = None
    """`webhook.source`: the inbound source whose deliveries feed this step (verified by its preset)."""
    correlation_key: CompiledTemplate | None = None
    """`webhook.correlationKey`: rendered when the journey starts waiting here; a delivery to the source whose
    correlation expression yields the same key is applied to this journey."""


@dataclass(frozen=True, slots=True)
class TimerState:
    """`timer`: the journey pauses (no step URL) until a due time computed on entry, then goes on to `next`.

    Exactly one of `duration` (a parsed literal, or a mapper yielding an ISO-8601 duration) and `until` (a parsed
    RFC 3339 instant, or a mapper yielding one) is set.
    """

    id: str
    next: str
    duration: Duration | CompiledExpression | None = None
    until: datetime | CompiledExpression | None = None
    type: Literal["timer"] = "timer"


@dataclass(frozen=True, slots=True)
class ExecutionDeadline:
    """`spec.execution`: the journey's whole-run budget from its start; when it runs out the journey fails with
    `error_code`/`reason`, or (this engine's extension, `onTimeout.next`) is routed to `next` instead."""

    max_duration_sec: int
    error_code: str | None = None
    reason: str | None = None
    next: str | None = None


@dataclass(frozen=True, slots=True)
class ParallelJoin:
    """`parallel.join`: when the branches are joined (`strategy`), what a branch failure does (`error_policy`), and
    the optional mapper (bound to `branches`) whose result goes to `context.<result_var>`."""

    strategy: Literal["allOf", "anyOf", "firstCompleted"] = "allOf"
    error_policy: Literal["collectAll", "failFast", "ignoreErrors"] = "collectAll"
    mapper: CompiledExpression | None = None
    result_var: str | None = None


@dataclass(frozen=True, slots=True)
class ParallelBranch:
    """One branch of a `parallel` state: its own state map, entered at `start`; its state ids are its own."""

    name: str
    start: str
    states: Mapping[str, State]


@dataclass(frozen=True, slots=True)
class ParallelState:
    """`parallel`: the branches run side by side on the journey's one context and are joined before `next`
    (docs/dsl.md, "parallel")."""

    id: str
    branches: tuple[ParallelBranch, ...]
    join: ParallelJoin
    next: str | None
    """None: the join ends the journey, with the winning branch's output (docs/dsl.md)."""
    type: Literal["parallel"] = "parallel"


State = (
    TaskState
    | ChoiceState
    | TransformState
    | SucceedState
    | FailState
    | ExternalInputState
    | TimerState
    | ParallelState
    | SubjourneyState
)


@dataclass(frozen=True, slots=True)
class JourneyDefinition:
    name: str
    version: str
    source: Path
    start: str
    states: Mapping[str, State]
    input_schema: CompiledSchema | None
    output_schema: CompiledSchema | None
    description: str | None = None
    start_mode: Literal["sync", "async"] = "sync"
    cancellable: bool = True
    links_enabled: bool = True
    raw: Mapping[str, Any] = field(default_factory=dict)
    idempotency_key: CompiledTemplate | None = None
    """`spec.lifecycle.idempotencyKey`: derives a start's idempotency key from its body (e.g. a payment id)."""
    callback_url: str | None = None
    """`spec.lifecycle.callbackUrl`: where the outcome is POSTed when a journey ends, unless its start names one."""
    source_text: str = ""
    """The file's text as loaded: stored with the version, so an instance can be run by it after the file changed."""
    digest: str = ""
    """SHA-256 of the normalised document (`content_digest`): the identity of this version of the journey."""
    search_keys: Mapping[str, CompiledTemplate] = field(default_factory=dict)
    """`spec.metadata.searchKeys`: business keys rendered from the context after every advance and indexed."""
    redact: tuple[str, ...] = ()
    """`spec.metadata.redact`: dotted paths hidden in the history's request bodies and contexts."""
    execution: ExecutionDeadline | None = None
    """`spec.execution`: the deadline armed at the start (a `deadline` timer)."""
    kind: Literal["Journey", "Api"] = "Journey"
    """`Api`: a synchronous endpoint run in memory per request (`journeys.engine.api_endpoints`), never stored."""
    http_bindings: HttpBindings | None = None
    """`spec.bindings.http`: the Api route, request headers/query copied into the context, status mapping."""
    cookies: CookieSpec | None = None
    """`spec.cookies`: the per-run cookie jar and what of it goes back to the client."""
    platform_config: Mapping[str, PlatformConfigKey] = field(default_factory=dict)
    """`spec.platform.config`: the keys bound at `platform.config.*`, their values from the server config."""
    outcomes: tuple[NamedOutcome, ...] = ()
    """`spec.outcomes`: named classifications of how a journey ended (the JourneyOutcome's `outcomeId`)."""
    tags: tuple[str, ...] = ()
    """`metadata.tags`: the definition's tags, which every instance carries too."""
    metadata_bindings: MetadataBindings | None = None
    """`spec.metadata.bindings`: instance tags and attributes taken from the start request."""
    scopes: Mapping[str, Mapping[str, State]] = field(default_factory=dict)
    """The state maps of every `parallel` branch by scope path (`<parallel>/<branch>`, nested ones joined by `/`);
    the journey's own states are the scope "" (`states`)."""
    step_scopes: Mapping[str, str] = field(default_factory=dict)
    """The scope of every wait/webhook step inside a branch (step ids are unique across the journey)."""
    subjourneys: Mapping[str, Subjourney] = field(default_factory=dict)
    """`spec.subjourneys`: the local graphs `subjourney` states run as child journeys (docs/dsl.md, "subjourney")."""
    compensation: Compensation | None = None
    """`spec.compensation`: the graph run as a journey of its own after this one ended (docs/dsl.md, "compensation")."""

    def external_input(self, state_id: str) -> ExternalInputState | None:
        """The wait/webhook state called `state_id` (at the top or in a branch), or None when there is no such step."""
        state = self.states.get(state_id)
        if state is None and state_id in self.step_scopes:
            state = self.scopes[self.step_scopes[state_id]].get(state_id)
        return state if isinstance(state, ExternalInputState) else None

    def states_in(self, scope: str) -> Mapping[str, State]:
        """The state map of `scope` ("" for the journey's own states)."""
        return self.scopes[scope] if scope else self.states
