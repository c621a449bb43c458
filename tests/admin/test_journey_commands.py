"""`journeys list`, `show` and `cancel` against a live server, as tables and as `--json`."""

from __future__ import annotations

import json

from tests.admin.conftest import Cli
from tests.auth.clients import OPS_KEY, SHOP_KEY, bearer, start_as
from tests.server.helpers import PAYMENT, call, callback
from tests.support import LiveServer

LIST_HEADER = ["journeyId", "journey", "version", "phase", "currentState", "updated"]


def as_ops(server: LiveServer, *argv: str) -> tuple[str, ...]:
    return (*argv, "--server", server.base_url, "--token", OPS_KEY)


async def start_payments(server: LiveServer, count: int) -> list[str]:
    """Start `count` payments (as the shop client), a second apart; their ids, oldest first."""
    ids = []
    for n in range(count):
        server.clock.advance(seconds=1)
        ids.append(await start_as(server, SHOP_KEY, {**PAYMENT, "paymentId": f"pay-{n}"}))
    return ids


def table_rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines()]


async def test_list_prints_every_journey_in_a_table(ops_server: LiveServer, cli: Cli) -> None:
    ids = await start_payments(ops_server, 2)
    run = await cli(*as_ops(ops_server, "list"))
    assert run.status == 0, run.err
    header, *rows = table_rows(run.out)
    assert header == LIST_HEADER
    # Newest first; an updated time is date and time to the second.
    assert [row[:5] for row in rows] == [
        [journey_id, "payment-callback", "1.1.0", "Running", "waitForCallback"] for journey_id in reversed(ids)
    ]
    assert all(row[5].count("-") == 2 and row[6].endswith("Z") for row in rows)


async def test_list_passes_its_filters_to_the_server(ops_server: LiveServer, cli: Cli) -> None:
    running, cancelled = await start_payments(ops_server, 2)
    assert (await cli(*as_ops(ops_server, "cancel", cancelled))).status == 0

    failed = await cli(*as_ops(ops_server, "list", "--phase", "failed", "--journey", "payment-callback"))
    assert [row[0] for row in table_rows(failed.out)[1:]] == [cancelled]
    by_version = await cli(*as_ops(ops_server, "list", "--journey", "payment-callback", "--version", "1.1.0"))
    assert {row[0] for row in table_rows(by_version.out)[1:]} == {running, cancelled}
    none = await cli(*as_ops(ops_server, "list", "--journey", "locked-approval"))
    assert (none.status, none.out) == (0, "No journeys match.\n")


async def test_list_json_is_the_api_page(ops_server: LiveServer, cli: Cli) -> None:
    await start_payments(ops_server, 2)
    run = await cli(*as_ops(ops_server, "list", "--json"))
    _, page, _ = await call(ops_server, "GET", "/api/v1/journeys", headers=bearer(OPS_KEY))
    assert json.loads(run.out) == page


async def test_one_page_says_there_is_more_and_all_follows_every_page(ops_server: LiveServer, cli: Cli) -> None:
    ids = await start_payments(ops_server, 5)

    first = await cli(*as_ops(ops_server, "list", "--limit", "2"))
    assert [row[0] for row in table_rows(first.out)[1:3]] == ids[:-3:-1]
    assert first.out.endswith("(more journeys: pass --all to list every page)\n")
    assert json.loads((await cli(*as_ops(ops_server, "list", "--limit", "2", "--json"))).out)["nextPageToken"]

    every = await cli(*as_ops(ops_server, "list", "--limit", "2", "--all"))
    assert [row[0] for row in table_rows(every.out)[1:]] == ids[::-1]
    every_json = json.loads((await cli(*as_ops(ops_server, "list", "--limit", "2", "--all", "--json"))).out)
    assert [item["journeyId"] for item in every_json["items"]] == ids[::-1]
    assert every_json["nextPageToken"] is None


async def test_show_a_waiting_journey(ops_server: LiveServer, cli: Cli) -> None:
    [journey_id] = await start_payments(ops_server, 1)
    run = await cli(*as_ops(ops_server, "show", journey_id))
    assert run.status == 0, run.err
    status, history = run.out.split("\n\n")
    assert status.splitlines()[:5] == [
        f"journeyId     {journey_id}",
        "journey       payment-callback",
        "version       1.1.0",
        "phase         Running",
        "currentState  waitForCallback",
    ]
    assert "actions       waitForCallback, cancel" in status
    header, start = table_rows(history)[1:]
    assert header == ["seq", "at", "event", "phase", "states", "detail"]
    assert start[0] == "1" and start[3:] == ["start", "Running", "waitForCallback"]


async def test_show_an_ended_journey_with_its_result(ops_server: LiveServer, cli: Cli) -> None:
    [journey_id] = await start_payments(ops_server, 1)
    status, _, _ = await callback(ops_server, journey_id, payment_id="pay-0")
    assert status == 200

    run = await cli(*as_ops(ops_server, "show", journey_id))
    _, result, history = run.out.split("\n\n")
    assert result.splitlines()[:3] == ["Result", "phase   Succeeded", "status  SUCCESS"]
    assert '"paymentId":"pay-0"' in result  # the output, whole, as compact JSON
    start, step = table_rows(history)[2:]
    assert (start[3], step[3]) == ("start", "step")
    # The walk from the step to the end state, shortened in the middle; the detail names the delivery, whole.
    assert step[5:8] == ["waitForCallback", ">", "…"] and step[-2] == "paid"
    assert json.loads(step[-1])["step"] == "waitForCallback"

    shown = json.loads((await cli(*as_ops(ops_server, "show", journey_id, "--json"))).out)
    assert shown["status"]["phase"] == shown["result"]["phase"] == "Succeeded"
    assert shown["result"]["output"]["paymentId"] == "pay-0"
    assert [t["event"] for t in shown["history"]] == ["start", "step"]


async def test_cancel_ends_the_journey_and_prints_its_outcome(ops_server: LiveServer, cli: Cli) -> None:
    [journey_id] = await start_payments(ops_server, 1)
    run = await cli(*as_ops(ops_server, "cancel", journey_id))
    assert run.status == 0, run.err
    assert "phase      Failed" in run.out and "error      JOURNEY_CANCELLED" in run.out

    again = json.loads((await cli(*as_ops(ops_server, "cancel", journey_id, "--json"))).out)
    assert (again["phase"], again["error"]["code"]) == ("Failed", "JOURNEY_CANCELLED")
    shown = json.loads((await cli(*as_ops(ops_server, "show", journey_id, "--json"))).out)
    assert [t["event"] for t in shown["history"]] == ["start", "cancel"]


async def test_a_refusal_is_one_line_on_stderr_and_exit_1(ops_server: LiveServer, cli: Cli) -> None:
    status, body, _ = await call(ops_server, "POST", "/api/v1/journeys/locked-approval/start", {}, bearer(OPS_KEY))
    assert status == 200, body
    run = await cli(*as_ops(ops_server, "cancel", body["journeyId"]))
    assert (run.status, run.out) == (1, "")
    assert run.err.startswith("journeys cancel: 409 Journey not cancellable: ")
    assert run.err.count("\n") == 1

    missing = await cli(*as_ops(ops_server, "show", "no-such-journey"))
    assert missing.status == 1 and missing.err.startswith("journeys show: 404 Journey not found")


async def test_an_id_stays_one_path_segment(ops_server: LiveServer, cli: Cli) -> None:
    """What follows an id's `/`, `?` or `#` is part of the id (one no journey has), not another resource or query."""
    [journey_id] = await start_payments(ops_server, 1)
    for given in (f"{journey_id}/history", f"{journey_id}?limit=1", f"{journey_id}#top", f"../journeys/{journey_id}"):
        run = await cli(*as_ops(ops_server, "show", given, "--json"))
        assert run.status == 1 and run.err.startswith("journeys show: 404 Journey not found"), (given, run)
