"""Migrating waiting journeys between stored versions (issue 8): checked per journey, refused with the reason where
the step is gone or changed unless mapped, a dry run first, each move a `migrate` transition in the history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.auth.clients import CLIENT_AUTH, OPS_KEY, READER_KEY, bearer
from tests.server.helpers import call
from tests.server.order_review import (
    ORDER_REVIEW_V1,
    ORDER_REVIEW_V2,
    Start,
    approve,
    definitions_dir,
    serve,
    start_review,
)
from tests.support import LiveServer

MIGRATE = "/api/v1/journeys/order-review/migrations"
# Version 3 keeps version 1's step name but asks the reviewer for a reason too.
ORDER_REVIEW_V3 = ORDER_REVIEW_V1.replace('version: "1"', 'version: "3"').replace(
    "required: [approved]", "required: [approved, reason]"
)


async def _migrate(server: LiveServer, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    answered, report, _ = await call(server, "POST", MIGRATE, body)
    assert answered == status, report
    return report  # type: ignore[no-any-return]


async def _redeployed(
    start_server: Start, database_url: str, tmp_path: Path, text: str
) -> tuple[LiveServer, list[str]]:
    """Two journeys waiting under version 1 and one ended, then a restart with `text` on disk."""
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    before = await serve(start_server, database_url, definitions)
    waiting = [(await start_review(before))["journeyId"] for _ in range(2)]
    await approve(before, (await start_review(before))["journeyId"], "review")
    await before.stop()
    return await serve(start_server, database_url, definitions_dir(definitions, **{"order-review": text})), waiting


async def test_a_renamed_step_is_refused_until_mapped_and_the_moved_journeys_finish_by_the_new_version(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    server, waiting = await _redeployed(start_server, database_url, tmp_path, ORDER_REVIEW_V2)

    refused = await _migrate(server, {"from": "1", "to": "2", "dryRun": True})
    assert (refused["dryRun"], refused["moved"], refused["wouldMove"], refused["refused"]) == (True, 0, 0, 2)
    assert {item["journeyId"] for item in refused["items"]} == set(waiting)  # the ended journey is not touched
    assert all("'review' does not exist in 2 (" in item["reason"] for item in refused["items"]), refused
    assert all("managerReview" in item["reason"] for item in refused["items"])

    planned = await _migrate(server, {"from": "1", "to": "2", "map": {"review": "managerReview"}, "dryRun": True})
    assert (planned["wouldMove"], planned["refused"]) == (2, 0)
    assert {(i["fromState"], i["toState"], i["outcome"]) for i in planned["items"]} == {
        ("review", "managerReview", "would-move")
    }
    status, shown, _ = await call(server, "GET", f"/api/v1/journeys/{waiting[0]}")
    assert (shown["currentState"], shown["journeyVersion"]) == ("review", "1")  # a dry run writes nothing

    moved = await _migrate(server, {"from": "1", "to": "2", "map": {"review": "managerReview"}})
    assert (moved["dryRun"], moved["moved"], moved["refused"], moved["nextAfter"]) == (False, 2, 0, None)
    assert moved["from"]["journeyVersion"] == "1" and moved["to"]["journeyVersion"] == "2"
    status, shown, _ = await call(server, "GET", f"/api/v1/journeys/{waiting[0]}")
    assert (shown["currentState"], shown["journeyVersion"]) == ("managerReview", "2")
    assert shown["_links"]["managerReview"]["href"].endswith(f"/{waiting[0]}/steps/managerReview")
    status, history, _ = await call(server, "GET", f"/api/v1/journeys/{waiting[0]}/history")
    migration = history["items"][-1]
    assert (migration["event"], migration["fromState"], migration["toState"]) == ("migrate", "review", "managerReview")
    assert (migration["detail"]["fromVersion"], migration["detail"]["toVersion"]) == ("1", "2")
    assert migration["detail"]["toDigest"] == moved["to"]["digest"]

    # The old step URL is closed; the new one runs version 2's routing.
    status, problem, _ = await call(server, "POST", f"/api/v1/journeys/{waiting[0]}/steps/review", {"approved": True})
    assert status == 404 and problem["type"].endswith("step-not-found")
    result = await approve(server, waiting[0], "managerReview")
    assert (result["status"], result["journeyVersion"]) == ("SECOND_LOOK", "2")

    status, versions, _ = await call(server, "GET", "/api/v1/journeys/order-review/versions")
    counts = {v["journeyVersion"]: v["instances"] for v in versions["items"]}
    assert counts["1"] == {"Running": 0, "Succeeded": 1, "Failed": 0}
    assert counts["2"] == {"Running": 1, "Succeeded": 0, "Failed": 1}
    again = await _migrate(server, {"from": "1", "to": "2", "map": {"review": "managerReview"}})
    assert again["items"] == []  # nothing of version 1 waits anymore


async def test_a_changed_step_schema_is_refused_unless_the_operator_maps_it(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    server, waiting = await _redeployed(start_server, database_url, tmp_path, ORDER_REVIEW_V3)
    refused = await _migrate(server, {"from": "1", "to": "3"})
    assert refused["refused"] == 2 and all("input schema differs" in i["reason"] for i in refused["items"]), refused

    moved = await _migrate(server, {"from": "1", "to": "3", "map": {"review": "review"}, "limit": 1})
    assert (moved["moved"], moved["nextAfter"]) == (1, moved["items"][0]["journeyId"])
    rest = await _migrate(server, {"from": "1", "to": "3", "map": {"review": "review"}, "after": moved["nextAfter"]})
    assert rest["moved"] == 1 and rest["items"][0]["journeyId"] != moved["items"][0]["journeyId"]

    status, problem, _ = await call(server, "POST", f"/api/v1/journeys/{waiting[0]}/steps/review", {"approved": True})
    assert status == 400 and '"reason" is a required property' in str(problem["errors"]), problem  # version 3's
    status, _, _ = await call(
        server, "POST", f"/api/v1/journeys/{waiting[0]}/steps/review", {"approved": True, "reason": "ok"}
    )
    assert status == 200


async def test_migrations_that_cannot_run_as_asked_are_refused_whole(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    server, _ = await _redeployed(start_server, database_url, tmp_path, ORDER_REVIEW_V2)
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"from": "1", "to": "1"}, 400, "invalid-migration", "same version"),
        ({"from": "1", "to": "9"}, 404, "journey-version-not-found", "labelled '9'"),
        ({"from": "1", "to": "2", "map": {"review": "decide"}}, 400, "invalid-migration", "no step of 2"),
        ({"from": "1", "to": "2", "map": {"revue": "managerReview"}}, 400, "invalid-migration", "no state of 1"),
        ({"from": "1"}, 400, "invalid-migration", "`to`"),
        ({"from": "1", "to": "2", "limit": 0}, 400, "invalid-migration", "`limit`"),
        ({"from": "1", "to": "2", "limit": 1.5}, 400, "invalid-migration", "`limit`"),
        ({"from": "1", "to": "2", "dryrun": True}, 400, "invalid-migration", "unknown members ['dryrun']"),
        ({"from": "1", "to": "2", "map": ["review"]}, 400, "invalid-migration", "`map`"),
    ]
    for body, status, slug, detail in cases:
        problem = await _migrate(server, body, status)
        assert problem["type"] == f"urn:journeys:problem:{slug}" and detail in problem["detail"], (body, problem)
    whole = await _migrate(server, {"from": "1", "to": "2", "limit": 2.0, "dryRun": True})  # a JSON integer
    assert whole["refused"] == 2
    status, problem, _ = await call(server, "POST", "/api/v1/journeys/nothing/migrations", {"from": "1", "to": "2"})
    assert status == 404 and problem["type"].endswith("journey-definition-not-found")


async def test_only_an_operator_may_migrate(start_server: Start, database_url: str, tmp_path: Path) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    server = await start_server(database_url, definitions=(definitions,), client_auth=CLIENT_AUTH)
    body = {"from": "1", "to": "1"}
    status, problem, _ = await call(server, "POST", MIGRATE, body, bearer(READER_KEY))
    assert status == 403 and problem["requiredScope"] == "operator", problem
    status, problem, _ = await call(server, "POST", MIGRATE, body, bearer(OPS_KEY))
    assert status == 400 and "same version" in problem["detail"]


async def test_a_moved_journey_keeps_its_step_deadline_and_loses_it_where_the_target_step_has_none(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    """A journey that has waited does not get a fresh timeout by moving; a target step without one clears it."""
    timed = "      next: decide\n"
    v1 = ORDER_REVIEW_V1.replace(timed, "        timeoutSec: 3600\n        onTimeout: rejected\n" + timed, 1)
    v2 = v1.replace('version: "1"', 'version: "2"').replace("timeoutSec: 3600", "timeoutSec: 7200")
    v3 = ORDER_REVIEW_V1.replace('version: "1"', 'version: "3"')
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": v1})
    server = await serve(start_server, database_url, definitions)
    journey_id = (await start_review(server))["journeyId"]
    started = await server.engine.store.get(journey_id)
    assert started is not None and started.due_at is not None
    for text in (v2, v3):
        definitions_dir(definitions, **{"order-review": text})
        status, _, _ = await call(server, "POST", "/api/v1/definitions/reload")
        assert status == 200
    server.clock.advance(minutes=30)

    moved = await _migrate(server, {"from": "1", "to": "2", "map": {"review": "review"}})
    assert moved["moved"] == 1, moved
    record = await server.engine.store.get(journey_id)
    assert record is not None and record.due_at == started.due_at  # not restarted at the move, not 7200 s

    moved = await _migrate(server, {"from": "2", "to": "3", "map": {"review": "review"}})
    assert moved["moved"] == 1, moved
    record = await server.engine.store.get(journey_id)
    assert record is not None and record.due_at is None and record.journey_version == "3"


async def test_a_journey_inside_a_parallel_or_waiting_for_a_child_is_refused_with_the_reason(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    texts = {
        "sla-race": (fixtures / "parallel" / "sla-race.journey.yaml").read_text(encoding="utf-8"),
        "announced-order": (fixtures / "subjourneys" / "announced-order.journey.yaml").read_text(encoding="utf-8"),
    }
    definitions = definitions_dir(tmp_path / "definitions", **texts)
    before = await serve(start_server, database_url, definitions)
    for name, body in (("sla-race", {"orderId": "o-1"}), ("announced-order", {"orderId": "o-2"})):
        status, started, _ = await call(before, "POST", f"/api/v1/journeys/{name}/start", body)
        assert status == 200 and started["phase"] == "Running", started
    await before.stop()
    bumped = {name: text.replace("version: 1.0.0", "version: 2.0.0") for name, text in texts.items()}
    server = await serve(start_server, database_url, definitions_dir(definitions, **bumped))

    answered, report, _ = await call(
        server, "POST", "/api/v1/journeys/sla-race/migrations", {"from": "1.0.0", "to": "2.0.0"}
    )
    assert answered == 200 and report["refused"] == 1, report
    assert "inside parallel 'race'" in report["items"][0]["reason"]
    path = "/api/v1/journeys/announced-order/migrations"
    answered, report, _ = await call(server, "POST", path, {"from": "1.0.0", "to": "2.0.0"})
    assert answered == 200 and (report["moved"], report["refused"]) == (0, 2), report  # the parent, its child
    assert all("subjourney's child" in item["reason"] for item in report["items"])
