"""Task kinds (`task.kind: <plugin>:v<major>`) and the registry that parses them.

The DSL defines many task plugins; this engine implements a few. Each implemented kind registers a parser
for its `task` block here, so adding a kind (for example `httpCall:v1`) is one parser plus one
`register_task_kind` call; any other kind is rejected at load with the supported list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

from journeys.definitions.fields import Block
from journeys.definitions.model import ApiKeyValidateTask, TaskSpec
from journeys.definitions.source import state_of

TaskParser = Callable[[Block], TaskSpec | None]
"""Parses a `task` block whose `kind` is already known; reports problems on the block, returns None on error."""

_TASK_KINDS: dict[str, TaskParser] = {}


def register_task_kind(kind: str, parser: TaskParser) -> None:
    """Make `kind` loadable; `parser` must accept (and allow) the `kind` field itself."""
    _TASK_KINDS[kind] = parser


def supported_task_kinds() -> list[str]:
    return sorted(_TASK_KINDS)


def parse_task(block: Block) -> TaskSpec | None:
    """Dispatch a `task` block on its `kind`."""
    kind = block.string("kind", required=True)
    if kind is None:
        return None
    parser = _TASK_KINDS.get(kind)
    if parser is None:
        supported = ", ".join(supported_task_kinds())
        block.report("kind", f"unsupported task kind '{kind}' (supported: {supported})", unsupported=True)
        # Plugin configuration may name states (schedule:v1 `start`), so reachability becomes undecidable.
        block.ctx.opaque_states.append(str(state_of(block.location)))
        return None
    return parser(block)


def _parse_api_key_validate(block: Block) -> ApiKeyValidateTask | None:
    """`apiKeyValidate:v1` (DSL 18.8): `profile`, optional `source` override and `authVar` namespace."""
    block.allow("kind", "profile", "source", "authVar")
    profile = block.string("profile", default="default")
    auth_var = block.identifier("authVar", default="auth")
    location: str | None = None
    name: str | None = None
    source = block.block("source")
    if source is not None:
        source.allow("location", "name")
        location = source.one_of("location", ("header", "query"), required=True)
        name = source.string("name", required=True)
        if location is None or name is None:
            return None
    elif block.has("source"):
        return None
    if profile is None or auth_var is None:
        return None
    return ApiKeyValidateTask(
        profile=profile,
        source_location=cast(Literal["header", "query"] | None, location),
        source_name=name,
        auth_var=auth_var,
    )


register_task_kind("apiKeyValidate:v1", _parse_api_key_validate)


def _register_http_call() -> None:
    # Imported here: the HTTP parser needs mappers and write targets, which import this module's neighbours.
    from journeys.definitions.http_call_task import parse_http_call

    register_task_kind("httpCall:v1", parse_http_call)


def _register_cache_and_kafka() -> None:
    # Imported here for the same reason: their parsers need mappers.
    from journeys.definitions.cache_task import parse_cache_task
    from journeys.definitions.kafka_publish_task import parse_kafka_publish

    register_task_kind("cache:v1", parse_cache_task)
    register_task_kind("kafkaPublish:v1", parse_kafka_publish)


def _register_schedule() -> None:
    from journeys.definitions.schedule_task import parse_schedule

    register_task_kind("schedule:v1", parse_schedule)


def _register_auth_tasks() -> None:
    from journeys.definitions.auth_tasks import parse_jwt_validate, parse_mtls_validate

    register_task_kind("jwtValidate:v1", parse_jwt_validate)
    register_task_kind("mtlsValidate:v1", parse_mtls_validate)


_register_http_call()
_register_auth_tasks()
_register_cache_and_kafka()
_register_schedule()
