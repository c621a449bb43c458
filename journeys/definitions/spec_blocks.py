"""Spec-level blocks other than `start`/`states`: schemas, mappers, lifecycle, HTTP surface, catalogs.

The DSL defines more spec blocks than this engine implements. Those are rejected explicitly as "not
supported yet" rather than ignored: silently dropping, say, `spec.execution.maxDurationSec` would run a
journey without the deadline its author relies on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from journeys.definitions.api_catalog import ApiCatalogError, load_api_catalog
from journeys.definitions.cache_task import parse_legacy_resources
from journeys.definitions.callback_urls import callback_url_refusal
from journeys.definitions.fields import Block, template_at
from journeys.definitions.journey_metadata import JourneyMetadata, parse_journey_metadata
from journeys.definitions.mappers import compile_spec_mappers
from journeys.definitions.model import CompiledSchema, CompiledTemplate, ExecutionDeadline
from journeys.definitions.named_outcomes import NamedOutcome, parse_named_outcomes
from journeys.definitions.platform_config import PlatformConfigKey, parse_platform_config
from journeys.definitions.resilience import parse_policies
from journeys.definitions.spec_defaults import parse_defaults
from journeys.definitions.states import parse_response
from journeys.definitions.timer_state import parse_execution

IMPLEMENTED_SPEC_BLOCKS = (
    "start",
    "states",
    "input",
    "output",
    "context",
    "mappers",
    "lifecycle",
    "httpSurface",
    "apis",
    "metadata",
    "execution",
    "policies",
    "defaults",
    "bindings",
    "cookies",
    "platform",
    "outcomes",
    "resources",
    "subjourneys",
    "compensation",
)

UNSUPPORTED_SPEC_BLOCKS = frozenset(
    (
        "access",
        "errors",
    )
)

# Top-level JourneyOutcome fields that `spec.output.response` may not overwrite (DSL 11).
RESERVED_OUTCOME_FIELDS = frozenset(
    ("journeyId", "journeyName", "phase", "status", "output", "error", "tags", "attributes", "_links")
)


@dataclass(frozen=True, slots=True)
class SpecSettings:
    """What the spec-level blocks contribute to the JourneyDefinition."""

    input_schema: CompiledSchema | None = None
    output_schema: CompiledSchema | None = None
    start_mode: Literal["sync", "async"] = "sync"
    cancellable: bool = True
    links_enabled: bool = True
    idempotency_key: CompiledTemplate | None = None
    metadata: JourneyMetadata = field(default_factory=JourneyMetadata)
    execution: ExecutionDeadline | None = None
    platform_config: Mapping[str, PlatformConfigKey] = field(default_factory=dict)
    outcomes: tuple[NamedOutcome, ...] = ()
    callback_url: str | None = None


def _load_apis(apis: Block) -> None:
    """Resolve every `spec.apis.<name>.openApiRef` into the context's operation catalogue."""
    for name in apis.data:
        api = apis.block(name)
        if api is None:
            continue
        api.allow("openApiRef")
        reference = api.string("openApiRef", required=True)
        catalog = None
        if reference is not None:
            try:
                catalog = load_api_catalog(reference, Path(apis.ctx.file))
            except ApiCatalogError as error:
                api.report("openApiRef", str(error))
        apis.ctx.apis[str(name)] = catalog


def _idempotency_key(lifecycle: Block) -> CompiledTemplate | None:
    """`idempotencyKey`: a template over the start body. A constant would make every start after the first a
    retry of it, so at least one placeholder is required."""
    source = lifecycle.string("idempotencyKey")
    template = None if source is None else template_at(lifecycle, "idempotencyKey", source)
    if template is not None and not template.placeholders:
        example = "${context.paymentId}"
        lifecycle.report("idempotencyKey", f"must derive the key from the start body, e.g. '{example}'")
        return None
    return template


def _callback_url(lifecycle: Block) -> str | None:
    """`callbackUrl`: where the journey's outcome is POSTed when it ends (result push), unless its start names one."""
    url = lifecycle.string("callbackUrl")
    refusal = None if url is None else callback_url_refusal(url, None)
    if refusal is not None:
        lifecycle.report("callbackUrl", f"{refusal}, e.g. 'https://orders.example.com/hooks/journeys'")
        return None
    return url


def parse_spec_blocks(spec: Block) -> SpecSettings:
    """Validate every spec-level key and compile the implemented blocks (mappers go into the context)."""
    for key in spec.data:
        if key in UNSUPPORTED_SPEC_BLOCKS:
            spec.report(key, f"spec.{key} is not supported by this engine yet", unsupported=True)
    spec.allow(*IMPLEMENTED_SPEC_BLOCKS, reported=UNSUPPORTED_SPEC_BLOCKS)

    mappers = spec.block("mappers")
    if mappers is not None:
        compile_spec_mappers(mappers)
    apis = spec.block("apis")
    if apis is not None:
        _load_apis(apis)
    policies = spec.block("policies")
    if policies is not None:
        parse_policies(policies)
    defaults = spec.block("defaults")
    if defaults is not None:
        parse_defaults(defaults)
    resources = spec.block("resources")
    if resources is not None:
        parse_legacy_resources(resources)

    context = spec.block("context")
    if context is not None:
        context.allow("schema")
        context.schema("schema", required=True)

    input_schema = None
    input_block = spec.block("input")
    if input_block is not None:
        input_block.allow("schema")
        input_schema = input_block.schema("schema", required=True)

    output_schema = None
    output = spec.block("output")
    if output is not None:
        output.allow("schema", "response")
        output_schema = output.schema("schema")
        parse_response(output, RESERVED_OUTCOME_FIELDS, "JourneyOutcome")

    start_mode: Literal["sync", "async"] = "sync"
    cancellable = True
    idempotency_key = callback_url = None
    lifecycle = spec.block("lifecycle")
    if lifecycle is not None:
        lifecycle.allow("startMode", "cancellable", "idempotencyKey", "callbackUrl")
        if lifecycle.one_of("startMode", ("sync", "async"), default="sync") == "async":
            start_mode = "async"
        cancellable = lifecycle.boolean("cancellable", default=True)
        idempotency_key = _idempotency_key(lifecycle)
        callback_url = _callback_url(lifecycle)

    links_enabled = True
    surface = spec.block("httpSurface")
    if surface is not None:
        surface.allow("links")
        links = surface.block("links")
        if links is not None:
            links.allow("enabled")
            links_enabled = links.boolean("enabled", default=True)

    execution = spec.block("execution")
    return SpecSettings(
        execution=None if execution is None else parse_execution(execution),
        metadata=parse_journey_metadata(spec),
        platform_config=parse_platform_config(spec),
        outcomes=parse_named_outcomes(spec),
        input_schema=input_schema,
        output_schema=output_schema,
        start_mode=start_mode,
        cancellable=cancellable,
        links_enabled=links_enabled,
        idempotency_key=idempotency_key,
        callback_url=callback_url,
    )
