"""Reloading definitions without a restart (issue 8): new starts take the new files at once, journeys in flight keep
their version, and a reload that would load anything invalid changes nothing and says why."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from journeys.engine import UnknownDefinitionVersion
from tests.auth.clients import CLIENT_AUTH, OPS_KEY, READER_KEY, bearer
from tests.server.helpers import call
from tests.server.order_review import (
    ORDER_REVIEW_V1,
    ORDER_REVIEW_V2,
    PARCEL,
    Start,
    approve,
    definitions_dir,
    serve,
    start_review,
)

RELOAD = "/api/v1/definitions/reload"


async def test_a_reload_starts_new_journeys_by_the_new_files_while_one_in_flight_finishes_by_its_own(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    server = await serve(start_server, database_url, definitions)
    old = await start_review(server)
    status, document, _ = await call(server, "GET", "/api/v1/journeys/order-review/openapi.json")
    assert status == 200 and any(path.endswith("/steps/review") for path in document["paths"])

    other = ORDER_REVIEW_V1.replace("order-review", "other-review")
    definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2, "other-review": other})
    status, reloaded, _ = await call(server, "POST", RELOAD)
    assert status == 200, reloaded
    changes = {j["journeyName"]: (j["journeyVersion"], j["change"], j["pinned"]) for j in reloaded["journeys"]}
    assert changes == {"order-review": ("2", "changed", False), "other-review": ("1", "added", False)}
    assert reloaded["removed"] == [] and reloaded["sources"] == []

    new = await start_review(server)
    assert (new["currentState"], new["journeyVersion"]) == ("managerReview", "2")
    status, _, _ = await call(server, "POST", "/api/v1/journeys/other-review/start", {})
    assert status == 200
    # The served documents describe what new starts run now, not what was cached before the reload.
    status, document, _ = await call(server, "GET", "/api/v1/journeys/order-review/openapi.json")
    assert status == 200 and any(path.endswith("/steps/managerReview") for path in document["paths"])
    assert not any(path.endswith("/steps/review") for path in document["paths"])

    old_result = await approve(server, old["journeyId"], "review")
    assert (old_result["phase"], old_result["journeyVersion"]) == ("Succeeded", "1")
    new_result = await approve(server, new["journeyId"], "managerReview")
    assert (new_result["status"], new_result["journeyVersion"]) == ("SECOND_LOOK", "2")

    # A file removed by a reload: no new starts of it, its versions still listed.
    definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2})
    status, reloaded, _ = await call(server, "POST", RELOAD)
    assert status == 200 and reloaded["removed"] == ["other-review"]
    assert [j["change"] for j in reloaded["journeys"]] == ["unchanged"]
    status, _, _ = await call(server, "POST", "/api/v1/journeys/other-review/start", {})
    assert status == 404
    status, versions, _ = await call(server, "GET", "/api/v1/journeys/other-review/versions")
    assert status == 200 and [v["loaded"] for v in versions["items"]] == [False]


async def test_a_reload_with_a_broken_definition_keeps_the_previous_set_and_says_why(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    server = await serve(start_server, database_url, definitions)
    broken = ORDER_REVIEW_V2.replace("next: secondLook", "next: nowhere")
    definitions_dir(definitions, **{"order-review": broken, "other-review": ORDER_REVIEW_V1.replace("order-", "x-")})

    status, problem, content_type = await call(server, "POST", RELOAD)
    assert (status, content_type) == (422, "application/problem+json"), problem
    assert problem["type"] == "urn:journeys:problem:reload-refused"
    assert "previous definitions stay loaded" in problem["detail"]
    assert any("order-review.journey.yaml" in p and "nowhere" in p for p in problem["problems"]), problem

    started = await start_review(server)  # still version 1, and the valid new file was not half-loaded
    assert (started["currentState"], started["journeyVersion"]) == ("review", "1")
    status, _, _ = await call(server, "POST", "/api/v1/journeys/x-review/start", {})
    assert status == 404
    status, versions, _ = await call(server, "GET", "/api/v1/journeys/order-review/versions")
    assert [v["journeyVersion"] for v in versions["items"]] == ["1"]

    # A webhook naming a source that is not in the directory is refused the same way.
    definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V1, "parcel": PARCEL})
    status, problem, _ = await call(server, "POST", RELOAD)
    assert status == 422 and any("fixture-text" in p for p in problem["problems"]), problem
    status, _, _ = await call(server, "POST", "/api/v1/journeys/parcel/start", {"orderId": "o-1"})
    assert status == 404

    definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2})
    status, reloaded, _ = await call(server, "POST", RELOAD)
    assert status == 200 and reloaded["journeys"][0]["change"] == "changed"


async def test_pinned_versions_run_new_starts_and_a_reload_moves_the_pin(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    """A pin in the config runs new starts by a stored version (a rollback without touching the files); a reload
    reads the pins again, and a pin naming no stored version is refused with the versions that exist."""
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    server = await serve(start_server, database_url, definitions)
    await server.stop()
    definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2})
    config = tmp_path / "server.yaml"
    config.write_text(yaml.safe_dump({"pinnedVersions": {"order-review": "1"}}))
    server = await start_server(
        database_url, definitions=(definitions,), pinned_versions={"order-review": "1"}, config_file=config
    )
    pinned = await start_review(server)
    assert (pinned["currentState"], pinned["journeyVersion"]) == ("review", "1")
    status, versions, _ = await call(server, "GET", "/api/v1/journeys/order-review/versions")
    assert [(v["journeyVersion"], v["loaded"]) for v in versions["items"]] == [("2", False), ("1", True)]

    config.write_text(yaml.safe_dump({"pinnedVersions": {"order-review": "3"}}))
    status, problem, _ = await call(server, "POST", RELOAD)
    assert status == 422 and "labelled '3'" in problem["detail"] and "stored: 2 (" in problem["detail"], problem
    assert (await start_review(server))["journeyVersion"] == "1"

    digest = versions["items"][0]["digest"]
    config.write_text(yaml.safe_dump({"pinnedVersions": {"order-review": digest[:10]}}))
    status, reloaded, _ = await call(server, "POST", RELOAD)
    assert status == 200 and reloaded["journeys"][0]["pinned"] is True
    assert (await start_review(server))["journeyVersion"] == "2"

    config.write_text(yaml.safe_dump({}))
    status, reloaded, _ = await call(server, "POST", RELOAD)
    assert status == 200 and reloaded["journeys"][0]["pinned"] is False
    assert (await start_review(server))["journeyVersion"] == "2"


async def test_only_an_operator_may_reload(start_server: Start, database_url: str, tmp_path: Path) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    server = await start_server(database_url, definitions=(definitions,), client_auth=CLIENT_AUTH)
    status, problem, _ = await call(server, "POST", RELOAD)
    assert status == 401, problem
    status, problem, _ = await call(server, "POST", RELOAD, headers=bearer(READER_KEY))
    assert status == 403 and problem["requiredScope"] == "operator", problem
    status, reloaded, _ = await call(server, "POST", RELOAD, headers=bearer(OPS_KEY))
    assert status == 200 and reloaded["journeys"][0]["change"] == "unchanged"


async def test_a_pin_naming_no_stored_version_stops_the_server_from_starting(
    start_server: Start, database_url: str, tmp_path: Path
) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    with pytest.raises(UnknownDefinitionVersion, match=r"labelled '2'.*stored: 1 \("):
        await start_server(database_url, definitions=(definitions,), pinned_versions={"order-review": "2"})
