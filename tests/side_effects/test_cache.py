"""`cache:v1` on a live server over SQLite and PostgreSQL: what one journey puts, another reads until it expires by
the engine's clock; a put is written with its advance's commit and not before, so an advance that loses its
compare-and-set has put nothing; expired entries are swept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from journeys.engine.cache_tasks import CacheSettings
from journeys.engine.errors import ConcurrentUpdate
from journeys.engine.runs import NO_REQUEST, run_from
from journeys.store.effect_records import CachePut, SideEffects
from tests.server.helpers import call
from tests.side_effects.conftest import JOURNEYS
from tests.support import LiveServer

PROFILE = {"id": "u-1", "name": "Ada"}


async def _start(server: LiveServer, journey: str, body: dict[str, Any]) -> dict[str, Any]:
    status, answer, _ = await call(server, "POST", f"/api/v1/journeys/{journey}/start", body)
    assert status == 200, answer
    return dict(answer)


async def test_a_profile_put_by_one_journey_is_read_by_the_next_until_it_expires(served: LiveServer) -> None:
    first = await _start(served, "profile-cache", {"userId": "u-1", "profile": PROFILE})
    assert first["output"] == {"source": "fresh", "profile": PROFILE}

    other = {"id": "u-1", "name": "someone else"}
    second = await _start(served, "profile-cache", {"userId": "u-1", "profile": other})
    assert second["output"] == {"source": "cache", "profile": PROFILE}
    assert (await _start(served, "profile-cache", {"userId": "u-2", "profile": other}))["output"]["source"] == "fresh"

    served.clock.advance(seconds=61)  # the put's ttlSeconds is 60
    third = await _start(served, "profile-cache", {"userId": "u-1", "profile": other})
    assert third["output"] == {"source": "fresh", "profile": other}


async def test_a_get_after_a_put_in_the_same_advance_sees_it(served: LiveServer) -> None:
    started = await _start(served, "remember-after-step", {})
    journey = f"/api/v1/journeys/{started['journeyId']}"
    status, answer, _ = await call(served, "POST", f"{journey}/steps/confirm", {"choice": "blue"})
    assert status == 200, answer
    _, result, _ = await call(served, "GET", f"{journey}/result")
    assert result["phase"] == "Succeeded" and result["output"]["remembered"] == "blue"


async def test_an_advance_that_loses_its_compare_and_set_puts_and_publishes_nothing(served: LiveServer) -> None:
    engine = served.engine
    started = await _start(served, "remember-after-step", {})
    record, interpreter = await engine.load(started["journeyId"])
    same, _ = await engine.load(started["journeyId"])  # two requests, each with the journey as it read it
    now = served.clock()
    winner, loser = run_from(record), run_from(same)
    winner.context["payload"], loser.context["payload"] = {"choice": "blue"}, {"choice": "red"}
    await engine.advance(interpreter, winner, "remember", NO_REQUEST, now)
    await engine.advance(interpreter, loser, "remember", NO_REQUEST, now)
    await engine.commit(record, winner, "step", now, None)
    with pytest.raises(ConcurrentUpdate):
        await engine.commit(record, loser, "step", now, None)

    assert await engine.store.cache.get("choice", now) == "blue"
    events = await engine.store.events.of_journey(record.id)
    assert [(event.key, event.value) for event in events] == [("blue", {"choice": "blue"})]


async def test_an_advance_never_committed_leaves_the_cache_as_it_was(served: LiveServer) -> None:
    """A crash between the run and its commit: the re-run is the only one whose put lands."""
    engine = served.engine
    started = await _start(served, "remember-after-step", {})
    record, interpreter = await engine.load(started["journeyId"])
    crashed = run_from(record)
    crashed.context["payload"] = {"choice": "red"}
    await engine.advance(interpreter, crashed, "remember", NO_REQUEST, served.clock())  # never committed
    assert await engine.store.cache.get("choice", served.clock()) is None
    assert await engine.store.events.of_journey(record.id) == []


async def test_the_default_ttl_and_key_prefix_come_from_the_server_config(
    start_server: Callable[..., Any], database_url: str
) -> None:
    settings = CacheSettings(default_ttl=timedelta(seconds=30), key_prefix="tenant-a:")
    server: LiveServer = await start_server(database_url, definitions=(JOURNEYS,), cache=settings)
    started = await _start(server, "remember-after-step", {})
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{started['journeyId']}/steps/confirm", {"choice": "x"})
    assert status == 200
    cache, now = server.engine.store.cache, server.clock()
    assert await cache.get("tenant-a:choice", now) == "x" and await cache.get("choice", now) is None
    assert await cache.get("tenant-a:choice", now + timedelta(seconds=29)) == "x"
    assert await cache.get("tenant-a:choice", now + timedelta(seconds=30)) is None


async def test_the_sweep_deletes_expired_entries_only(served: LiveServer) -> None:
    store, now = served.engine.store, served.clock()
    puts = [CachePut(f"k{n}", {"n": n}, now, now + timedelta(seconds=n)) for n in range(1, 6)]
    await store.write_side_effects(SideEffects(cache_puts=puts))
    assert await store.cache.sweep(now + timedelta(seconds=3)) == 3
    # Entries the sweep kept are still there, even read at a time they were expired by (they were not swept).
    assert [await store.cache.get(f"k{n}", now) for n in range(1, 6)] == [None, None, None, {"n": 4}, {"n": 5}]
    assert await store.cache.sweep(now + timedelta(seconds=3)) == 0


@pytest.mark.parametrize(
    ("key", "stored_under"),
    [("u-1", "u-1"), (42, "42"), (True, "true"), ({"b": 1, "a": [2]}, '{"a":[2],"b":1}')],
)
async def test_a_key_that_is_not_a_string_is_its_compact_json(served: LiveServer, key: Any, stored_under: str) -> None:
    now = served.clock()
    put = CachePut(stored_under, {"hit": stored_under}, now, now + timedelta(minutes=5))
    await served.engine.store.write_side_effects(SideEffects(cache_puts=[put]))
    answer = await _start(served, "cache-lookup", {"key": key})
    assert answer["output"] == {"hit": stored_under}


async def test_a_null_key_fails_the_journey_at_the_task(served: LiveServer) -> None:
    answer = await _start(served, "cache-lookup", {"key": None})
    assert answer["phase"] == "Failed"
    assert answer["error"]["code"] == "CACHE_KEY_INVALID:read"


DEEP_PUT = """\
apiVersion: v1
kind: Journey
metadata: { name: deep-put, version: "1" }
spec:
  start: keep
  states:
    keep:
      type: task
      task:
        kind: cache:v1
        operation: put
        key: { mapper: { lang: dataweave, expr: "'deep'" } }
        value: { mapper: { lang: dataweave, expr: "%s" } }
      next: done
    done: { type: succeed, outputVar: nothing }
"""


async def test_a_value_too_deep_to_store_fails_the_journey_at_the_task(
    start_server: Callable[..., Any], database_url: str, tmp_path: Path
) -> None:
    """Caught when the task runs: failing the shared commit instead would fail other journeys' advances too."""
    wrapped = "{ w: " * 200 + "context.deep" + " }" * 200  # on a start body 60 deep (bodies stop at 64)
    (tmp_path / "deep-put.journey.yaml").write_text(DEEP_PUT % wrapped, encoding="utf-8")
    server: LiveServer = await start_server(database_url, definitions=(tmp_path,))
    deep: Any = "bottom"
    for _ in range(60):
        deep = [deep]
    answer = await _start(server, "deep-put", {"deep": deep})
    assert answer["phase"] == "Failed"
    assert answer["error"]["code"] == "VALUE_NOT_STORABLE:keep"
    assert await server.engine.store.cache.get("deep", server.clock()) is None
