"""Parsing `cache:v1` tasks (DSL 15, ADR-0028): `get` a value into `context.<resultVar>`, or `put` one with a TTL.

The DSL names no cache: there is one logical cache per deployment, configured in the engine (default TTL, key
prefix), so a task only says which key, which value and, optionally, for how long. `spec.resources.caches` (the
declaration ADR-0028 replaced) is tolerated, see `parse_legacy_resources`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from journeys.definitions.fields import Block
from journeys.definitions.mappers import mapper_or_ref
from journeys.definitions.model import CompiledExpression


@dataclass(frozen=True, slots=True)
class CacheTask:
    """`cache:v1`: `key` computes the key (coerced to a string); `value` the JSON stored by a put.

    `ttl_seconds` None means the engine's default TTL. `result_var` is where a get writes the value (null on a miss).
    """

    operation: Literal["get", "put"]
    key: CompiledExpression
    value: CompiledExpression | None = None
    ttl_seconds: int | None = None
    result_var: str | None = None
    kind: str = "cache:v1"


def _mapper(task: Block, field: str, *, required: bool) -> CompiledExpression | None:
    """The `{mapper}` (or `{mapperRef}`) block at `field`."""
    block = task.block(field, required=required)
    if block is None:
        return None
    block.allow("mapper", "mapperRef")
    return mapper_or_ref(block)


def parse_cache_task(task: Block) -> CacheTask | None:
    task.allow("kind", "operation", "key", "value", "ttlSeconds", "resultVar")
    operation = task.one_of("operation", ("get", "put"), required=True)
    key = _mapper(task, "key", required=True)
    value = ttl = result_var = None
    if operation == "get":
        # A get ignores `value` and `ttlSeconds` (DSL 15.1), so they are not compiled.
        result_var = task.identifier("resultVar", required=True)
        if result_var is None:
            return None
    elif operation == "put":
        value = _mapper(task, "value", required=True)
        ttl = task.positive_int("ttlSeconds")
        if task.has("resultVar"):
            task.report("resultVar", "a cache put writes nothing into the context; remove it")
            return None
        if value is None or (ttl is None and task.has("ttlSeconds")):
            return None
    if operation is None or key is None:
        return None
    return CacheTask(cast(Literal["get", "put"], operation), key, value, ttl, result_var)


def parse_legacy_resources(resources: Block) -> None:
    """`spec.resources.caches`: named caches with provider settings, from the drafts before ADR-0028.

    ADR-0028 replaced them with one cache per deployment whose provider, size and default TTL are engine
    configuration, and `cache:v1` tasks name no cache. A journey declaring them still says what it means (its
    tasks use that one cache), so the block is accepted but has no effect: its shape is checked (named mappings),
    its settings are not applied. Anything else under `spec.resources` is refused.
    """
    resources.allow("caches")
    caches = resources.block("caches")
    if caches is None:
        return
    for name in caches.data:
        caches.block(str(name), required=True)
