"""A redeploy never changes or strands a journey in flight: each journey runs by the definition version it started
with, after its file changed or went away, while new starts run the version loaded now (issue 8)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from journeys.definitions import load_definition
from journeys.store import InstanceRecord, JourneyStore, TransitionRecord
from tests.server.helpers import call
from tests.server.order_review import (
    NOW,
    ORDER_REVIEW_V1,
    ORDER_REVIEW_V2,
    PARCEL,
    Start,
    approve,
    definitions_dir,
    serve,
    start_review,
)
from tests.support import TEST_DEFINITIONS, LiveServer


async def test_a_waiting_journey_completes_by_its_version_after_a_redeploy_changed_it(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    before = await serve(start_server, database_url, definitions)
    old = await start_review(before)
    assert (old["currentState"], old["journeyVersion"]) == ("review", "1")
    await before.stop()

    definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2})
    after = await serve(start_server, database_url, definitions)
    new = await start_review(after)
    assert (new["currentState"], new["journeyVersion"]) == ("managerReview", "2")

    status, shown, _ = await call(after, "GET", f"/api/v1/journeys/{old['journeyId']}")
    assert status == 200 and shown["currentState"] == "review" and shown["journeyVersion"] == "1"
    assert shown["_links"]["review"]["href"].endswith(f"/{old['journeyId']}/steps/review")
    status, listed, _ = await call(after, "GET", "/api/v1/journeys?journeyName=order-review")
    assert status == 200
    assert {item["journeyId"]: item["journeyVersion"] for item in listed["items"]} == {
        old["journeyId"]: "1",
        new["journeyId"]: "2",
    }

    # The old journey's step URL still works and version 1's routing decides: approved is a success.
    old_result = await approve(after, old["journeyId"], "review")
    assert (old_result["phase"], old_result["status"], old_result["journeyVersion"]) == ("Succeeded", "SUCCEEDED", "1")
    new_result = await approve(after, new["journeyId"], "managerReview")
    assert (new_result["phase"], new_result["status"], new_result["journeyVersion"]) == ("Failed", "SECOND_LOOK", "2")
    status, history, _ = await call(after, "GET", f"/api/v1/journeys/{old['journeyId']}/history")
    assert [entry["path"] for entry in history["items"]] == [["review"], ["review", "decide", "approved"]]


async def test_a_waiting_journey_completes_after_its_definition_file_was_removed(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    before = await serve(start_server, database_url, definitions)
    old = await start_review(before)
    await before.stop()

    after = await serve(start_server, database_url, definitions_dir(definitions))
    status, problem, _ = await call(after, "POST", "/api/v1/journeys/order-review/start", {})
    assert status == 404 and problem["type"].endswith("journey-definition-not-found")  # no new starts
    result = await approve(after, old["journeyId"], "review")
    assert (result["phase"], result["journeyVersion"]) == ("Succeeded", "1")


async def test_a_version_that_no_longer_loads_keeps_its_journeys_readable_and_refuses_advances(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    """Version 1 of `parcel` is fed by an inbound source that the redeploy removed: it no longer validates."""
    definitions = definitions_dir(tmp_path / "definitions", parcel=PARCEL)
    shutil.copy(TEST_DEFINITIONS / "fixture-text.source.yaml", definitions)
    before = await serve(start_server, database_url, definitions)
    status, started, _ = await call(before, "POST", "/api/v1/journeys/parcel/start", {"orderId": "o-1"})
    assert status == 200, started
    journey = f"/api/v1/journeys/{started['journeyId']}"
    await before.stop()

    after = await serve(start_server, database_url, definitions_dir(definitions))
    status, shown, _ = await call(after, "GET", journey)
    assert status == 200 and shown["currentState"] == "waitForStatus" and shown["journeyVersion"] == "1"
    assert "waitForStatus" not in shown["_links"] and "cancel" not in shown["_links"]
    status, history, _ = await call(after, "GET", f"{journey}/history")
    assert status == 200 and len(history["items"]) == 1
    status, problem, _ = await call(after, "GET", f"{journey}/result")
    assert status == 409 and problem["type"].endswith("journey-not-terminal")
    for step in ("waitForStatus", "cancel"):
        status, problem, content_type = await call(after, "POST", f"{journey}/steps/{step}", "o-1:PAID")
        assert status == 409 and content_type == "application/problem+json"
        assert problem["type"].endswith("journey-version-unusable")
        assert "version '1' of 'parcel'" in problem["detail"] and "fixture-text" in problem["detail"]
    status, listed, _ = await call(after, "GET", "/api/v1/journeys?journeyName=parcel")
    assert [item["journeyVersion"] for item in listed["items"]] == ["1"]


async def test_journeys_from_before_versions_are_adopted_by_the_version_loaded_at_start(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    """A journey written before versions were stored (no version recorded) runs by the definition loaded when
    the server starts, and keeps that version after later redeploys."""
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    store = await JourneyStore.open(database_url)
    at = load_definition(definitions / "order-review.journey.yaml")
    legacy = InstanceRecord("legacy-1", "order-review", "1", "Running", "review", True, {}, None, NOW, NOW)
    await store.insert(legacy, TransitionRecord("legacy-1", 1, "start", None, "review", "Running", ["review"], NOW))
    await store.close()

    adopting = await serve(start_server, database_url, definitions)
    adopted = await adopting.engine.store.get("legacy-1")
    assert adopted is not None and adopted.definition_digest == at.digest
    await adopting.stop()

    after = await serve(start_server, database_url, definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2}))
    result = await approve(after, "legacy-1", "review")
    assert (result["phase"], result["journeyVersion"]) == ("Succeeded", "1")


async def _journey_ids(server: LiveServer, query: str) -> list[str]:
    status, listed, _ = await call(server, "GET", f"/api/v1/journeys?{query}")
    assert status == 200, listed
    return [item["journeyId"] for item in listed["items"]]


async def test_an_operator_sees_which_versions_still_run_journeys_and_lists_the_journeys_of_one(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    before = await serve(start_server, database_url, definitions)
    waiting, done = await start_review(before), await start_review(before)
    await approve(before, done["journeyId"], "review")
    await before.stop()

    definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2})
    after = await serve(start_server, database_url, definitions, now=NOW + timedelta(days=1))
    new = await start_review(after)

    status, versions, _ = await call(after, "GET", "/api/v1/journeys/order-review/versions")
    assert status == 200, versions
    assert versions["journeyName"] == "order-review"
    newest, oldest = versions["items"]
    assert (newest["journeyVersion"], newest["loaded"], newest["storedAt"]) == ("2", True, "2026-01-02T00:00:00Z")
    assert newest["instances"] == {"Running": 1, "Succeeded": 0, "Failed": 0}
    assert (oldest["journeyVersion"], oldest["loaded"], oldest["storedAt"]) == ("1", False, "2026-01-01T00:00:00Z")
    assert oldest["instances"] == {"Running": 1, "Succeeded": 1, "Failed": 0}
    assert newest["digest"] != oldest["digest"]

    # The version filter combines with the name and phase filters.
    assert set(await _journey_ids(after, "journeyVersion=1")) == {waiting["journeyId"], done["journeyId"]}
    assert await _journey_ids(after, "journeyName=order-review&journeyVersion=2") == [new["journeyId"]]
    assert await _journey_ids(after, "journeyVersion=1&phase=running") == [waiting["journeyId"]]
    assert await _journey_ids(after, "journeyName=parcel&journeyVersion=1") == []
    status, refused, _ = await call(after, "GET", "/api/v1/journeys?journeyVersion=1%00")
    assert (status, refused["type"]) == (400, "urn:journeys:problem:invalid-query")

    # A journey id is no journey name: the id routes beside this one answer as before.
    status, missing, _ = await call(after, "GET", f"/api/v1/journeys/{waiting['journeyId']}/versions")
    assert (status, missing["type"]) == (404, "urn:journeys:problem:journey-definition-not-found")
    status, shown, _ = await call(after, "GET", f"/api/v1/journeys/{waiting['journeyId']}")
    assert status == 200 and shown["journeyVersion"] == "1"


async def test_versions_stay_listed_after_the_file_went_and_an_unknown_name_is_not_found(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    before = await serve(start_server, database_url, definitions)
    await start_review(before)
    await before.stop()

    other = ORDER_REVIEW_V1.replace("order-review", "other-review")
    after = await serve(start_server, database_url, definitions_dir(definitions, **{"other-review": other}))
    status, versions, _ = await call(after, "GET", "/api/v1/journeys/order-review/versions")
    assert status == 200, versions
    assert [(v["journeyVersion"], v["loaded"], v["instances"]["Running"]) for v in versions["items"]] == [
        ("1", False, 1)
    ]
    for name in ("no-such-journey", "order-review%00"):
        status, missing, content_type = await call(after, "GET", f"/api/v1/journeys/{name}/versions")
        assert (status, content_type) == (404, "application/problem+json"), missing
        assert missing["type"] == "urn:journeys:problem:journey-definition-not-found"
