"""Scenarios of journeys that use `cache:v1` and `kafkaPublish:v1`: seeding the cache, and checking what the journey
left in it and the Kafka records it published.

- `cache:` on a scenario seeds entries before the start: `[{key, value, ttlSeconds}]` (`ttlSeconds` defaults to the
  engine's default TTL), so a scenario can play the cache hit without a first journey filling it.
- `expect.cache` maps keys to the values expected in the cache when the scenario ends, read at the scenario's
  clock (an expired entry is not there); `{$absent: true}` says a key holds nothing.
- `expect.events` lists the records the journey published, in order and exactly as many, each a subset of
  `{topic, key, value, headers, state}`, read from `GET /journeys/{id}/events` as a user would.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from journeys.scenarios.checks import Observed
from journeys.scenarios.harness import Harness
from journeys.scenarios.matching import subset_mismatches
from journeys.scenarios.scenario_model import CacheSeed, Expectation, ScenarioFormatError
from journeys.store.effect_records import CachePut, SideEffects

SEED_KEYS = frozenset(("key", "value", "ttlSeconds"))
EVENT_KEYS = frozenset(("topic", "key", "value", "headers", "state"))


def _fail(where: str, message: str) -> ScenarioFormatError:
    return ScenarioFormatError(f"{where}: {message}")


def read_seeds(value: Any, where: str) -> tuple[CacheSeed, ...]:
    """A scenario's `cache`: the entries to put in the cache before its start."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(where, "must be a list of entries {key, value, ttlSeconds}")
    seeds = []
    for index, item in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(item, dict) or set(item) - SEED_KEYS or "key" not in item or "value" not in item:
            raise _fail(at, f"must be a mapping with `key` and `value` (and optionally `ttlSeconds`), got {item!r}")
        ttl = item.get("ttlSeconds")
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1):
            raise _fail(f"{at}.ttlSeconds", f"must be a whole number of seconds, at least 1, got {ttl!r}")
        if not isinstance(item["key"], str) or not item["key"]:
            raise _fail(f"{at}.key", "must be a non-empty string (the key as the journey's mapper computes it)")
        seeds.append(CacheSeed(item["key"], item["value"], ttl))
    return tuple(seeds)


def read_expected_events(value: Any, where: str) -> list[Mapping[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _fail(where, f"must be the list of records expected, in order: mappings of {sorted(EVENT_KEYS)}")
    for index, item in enumerate(value):
        unknown = sorted(set(item) - EVENT_KEYS)
        if unknown:
            raise _fail(f"{where}[{index}]", f"unknown field(s) {unknown}; allowed: {sorted(EVENT_KEYS)}")
    return value


def read_expected_cache(value: Any, where: str) -> Mapping[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise _fail(where, "must map cache keys to the values expected under them")
    return value


async def seed_cache(harness: Harness, seeds: tuple[CacheSeed, ...]) -> None:
    if not seeds:
        return
    assert harness.engine is not None
    now = harness.clock()
    default = harness.engine.cache_settings.default_ttl
    puts = [
        CachePut(s.key, s.value, now, now + (default if s.ttl_seconds is None else timedelta(seconds=s.ttl_seconds)))
        for s in seeds
    ]
    await harness.engine.store.write_side_effects(SideEffects(cache_puts=puts))


async def observe_side_effects(harness: Harness, expect: Expectation, observed: Observed) -> None:
    """What `check_side_effects` compares: the journey's records (as `GET /journeys/{id}/events` lists them) and
    the entries under the expected keys now, at the scenario's clock (a key without one is left out)."""
    assert harness.engine is not None
    if expect.events is not None and observed.journey_id is not None:
        answer = await harness.request("GET", f"/journeys/{observed.journey_id}/events")
        items = answer.body.get("items", []) if isinstance(answer.body, dict) else []
        observed.events = [{key: item.get(key) for key in EVENT_KEYS} for item in items]
    for key in expect.cache or {}:
        value = await harness.engine.store.cache.get(key, harness.clock())
        if value is not None:
            observed.cache[key] = value


def check_side_effects(expect: Expectation, observed: Observed) -> list[str]:
    found = []
    if expect.events is not None:
        if len(expect.events) != len(observed.events):
            found.append(f"events: expected {len(expect.events)} published records, got {len(observed.events)}")
        for index, (wanted, record) in enumerate(zip(expect.events, observed.events, strict=False)):
            found += [str(m) for m in subset_mismatches(dict(wanted), record, f"events[{index}]")]
    if expect.cache is not None:
        found += [str(m) for m in subset_mismatches(dict(expect.cache), observed.cache, "cache")]
    return found
