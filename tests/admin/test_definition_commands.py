"""`journeys reload` and `journeys migrate` against a live server, as an operator would run them in a deploy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.admin.conftest import Cli
from tests.auth.clients import CLIENT_AUTH, OPS_KEY, READER_KEY, bearer
from tests.server.helpers import call
from tests.server.order_review import ORDER_REVIEW_V1, ORDER_REVIEW_V2, Start, definitions_dir
from tests.support import LiveServer


async def test_reload_then_migrate_with_a_dry_run_first(
    cli: Cli, start_server: Start, database_url: str, tmp_path: Path
) -> None:
    definitions = definitions_dir(tmp_path / "definitions", **{"order-review": ORDER_REVIEW_V1})
    server = await start_server(database_url, definitions=(definitions,), client_auth=CLIENT_AUTH)
    waiting = []
    for _ in range(3):
        status, body, _ = await call(server, "POST", "/api/v1/journeys/order-review/start", {}, bearer(OPS_KEY))
        assert status == 200
        waiting.append(body["journeyId"])
    ops = ("--server", server.base_url, "--token", OPS_KEY)

    definitions_dir(definitions, **{"order-review": ORDER_REVIEW_V2})
    reloaded = await cli("reload", *ops)
    assert reloaded.status == 0, reloaded.err
    assert "order-review" in reloaded.out and "changed" in reloaded.out

    refused = await cli("migrate", *ops, "--journey", "order-review", "--from", "1", "--to", "2", "--dry-run")
    assert refused.status == 1, refused.err  # refusals are not a success a deploy script may ignore
    assert refused.out.startswith("Dry run: order-review 1 (") and "0 would move, 3 refused" in refused.out
    assert "'review' does not exist" in refused.out

    mapping = ("--journey", "order-review", "--from", "1", "--to", "2", "--map", "review=managerReview")
    planned = await cli("migrate", *ops, *mapping, "--dry-run", "--json")
    assert planned.status == 0, planned.err
    report = json.loads(planned.out)
    assert (report["wouldMove"], report["refused"], len(report["items"])) == (3, 0, 3)

    moved = await cli("migrate", *ops, *mapping)
    assert moved.status == 0 and "3 moved, 0 refused" in moved.out, moved
    assert all(journey_id in moved.out for journey_id in waiting)
    result = await approve_as_operator(server, waiting[0])
    assert (result["status"], result["journeyVersion"]) == ("SECOND_LOOK", "2")

    bad = await cli("migrate", *ops, "--journey", "order-review", "--from", "1", "--to", "2", "--map", "review")
    assert bad.status == 2 and "OLD=NEW" in bad.err
    reader = await cli("reload", "--server", server.base_url, "--token", READER_KEY)
    assert reader.status == 1 and "403" in reader.err and READER_KEY not in reader.err


async def approve_as_operator(server: LiveServer, journey_id: str) -> dict[str, Any]:
    status, body, _ = await call(
        server, "POST", f"/api/v1/journeys/{journey_id}/steps/managerReview", {"approved": True}
    )
    assert status == 200, body
    status, result, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result", headers=bearer(OPS_KEY))
    assert status == 200, result
    return result  # type: ignore[no-any-return]
