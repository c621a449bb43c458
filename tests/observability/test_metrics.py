"""`GET /metrics` as a scraper reads it, on both databases: the figures move as journeys start, take callbacks,
fail and time out (fired by the server's own scheduler), and no figure is labelled with anything a client typed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson

from tests.gateways import midtrans_notification
from tests.observability.figures import parse, scrape
from tests.server.helpers import call, callback, start_payment
from tests.support import MIDTRANS_SERVER_KEY, LiveServer

JOURNEY = "payment-callback"
STEP_ROUTE = "/api/v1/journeys/{journeyId}/steps/{stepId}"
START_ROUTE = "/api/v1/journeys/{journeyName}/start"
TIMEOUT_SECONDS = 86400  # payment-callback's waitForCallback


async def test_figures_move_as_journeys_start_take_callbacks_and_fail(
    start_server: Callable[..., Any], database_url: str
) -> None:
    server: LiveServer = await start_server(database_url)
    paid, declined, waiting = [await start_payment(server) for _ in range(3)]
    assert (await callback(server, paid, "SUCCESS"))[0] == 200
    assert (await callback(server, declined, "SUCCESS", secret="not-the-secret"))[0] == 401
    assert (await callback(server, declined, "FAILED"))[0] == 200
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{waiting}/steps/noSuchStep", {"x": 1})
    assert status == 404
    typed = f"typed-by-a-client-{uuid.uuid4().hex}"
    assert (await call(server, "GET", f"/api/v1/{typed}?token={typed}"))[0] == 404
    assert (await call(server, "GET", f"/api/v1/journeys/{typed}"))[0] == 404

    async with server.http.get(server.url("/metrics")) as response:
        text = await response.text()
    assert typed not in text  # a route's template labels its figures, never the path
    figures = parse(text)

    assert figures.value("journeys_started_total", journey=JOURNEY) == 3
    assert figures.value("journeys_transitions_total", journey=JOURNEY, event="start") == 3
    assert figures.value("journeys_transitions_total", journey=JOURNEY, event="step") == 2
    assert figures.value("journeys_outcomes_total", journey=JOURNEY, phase="Succeeded", error_code="") == 1
    assert figures.value("journeys_outcomes_total", journey=JOURNEY, phase="Failed", error_code="PAYMENT_FAILED") == 1
    submissions = "journeys_step_submissions_total"
    assert figures.value(submissions, journey=JOURNEY, step="waitForCallback", verdict="applied") == 2
    assert figures.value(submissions, journey=JOURNEY, step="waitForCallback", verdict="rejected:unauthorized") == 1
    assert figures.value(submissions, journey=JOURNEY, step="unknown", verdict="rejected:step-not-found") == 1

    assert figures.value("journeys_waiting", journey=JOURNEY, state="waitForCallback") == 1
    assert figures.value("journeys_timer_lag_seconds") == 0
    assert figures.value("journeys_database_up") == 1
    assert figures.value("journeys_database_commit_duration_seconds_count") >= 5  # 3 starts, 2 callbacks at least

    duration = "journeys_http_request_duration_seconds_count"
    assert figures.value(duration, method="POST", route=START_ROUTE) == 3
    assert figures.value(duration, method="POST", route=STEP_ROUTE) == 4
    assert figures.value(duration, method="GET", route="(unmatched)") == 1
    responses = "journeys_http_responses_total"
    assert figures.value(responses, method="POST", route=STEP_ROUTE, status="401") == 1
    assert figures.value(responses, method="POST", route=STEP_ROUTE, status="404") == 1
    assert figures.value(responses, method="GET", route="/api/v1/journeys/{journeyId}", status="404") == 1


async def test_timer_lag_shows_an_overdue_timer_until_the_scheduler_fires_it(
    start_server: Callable[..., Any], database_url: str
) -> None:
    # The test config's scheduler ticks once an hour: after its first tick, nothing fires the timer.
    idle = await start_server(database_url)
    journey_id = await start_payment(idle)
    idle.clock.advance(seconds=TIMEOUT_SECONDS + 90)
    figures = await scrape(idle)
    assert figures.value("journeys_timer_lag_seconds") == 90
    assert figures.value("journeys_waiting", journey=JOURNEY, state="waitForCallback") == 1
    await idle.stop()

    # A server whose scheduler ticks fires it: the journey times out.
    ticking = await start_server(database_url, now=idle.clock.now, scheduler_interval=0.05, fires_timers=True)
    status, outcome, _ = await call(ticking, "GET", f"/api/v1/journeys/{journey_id}/result?waitSeconds=30")
    assert (status, outcome["phase"], outcome["error"]["code"]) == (200, "Failed", "PAYMENT_CALLBACK_TIMEOUT")
    figures = await scrape(ticking)
    assert figures.value("journeys_transitions_total", journey=JOURNEY, event="timeout") == 1
    assert figures.value("journeys_outcomes_total", phase="Failed", error_code="PAYMENT_CALLBACK_TIMEOUT") == 1
    assert figures.value("journeys_timer_lag_seconds") == 0
    assert figures.value("journeys_waiting", journey=JOURNEY) == 0


async def test_inbound_deliveries_are_counted_by_source_and_verdict(
    start_server: Callable[..., Any], sqlite_url: str
) -> None:
    server: LiveServer = await start_server(sqlite_url)
    signed = orjson.dumps(midtrans_notification("order-nobody-waits-for", "settlement", server_key=MIDTRANS_SERVER_KEY))
    forged = orjson.dumps(midtrans_notification("order-forged", "settlement", server_key="not-the-server-key"))
    headers = {"Content-Type": "application/json"}
    for body in (signed, forged):
        async with server.http.post(server.url("/api/v1/inbound/midtrans"), data=body, headers=headers) as response:
            await response.read()

    figures = await scrape(server)
    counted = {
        sample.labels["verdict"]: sample.value
        for sample in figures.samples
        if sample.name == "journeys_inbound_deliveries_total" and sample.labels["source"] == "midtrans"
    }
    assert sum(counted.values()) == 2, counted
    assert sum(value for verdict, value in counted.items() if verdict.startswith("rejected:")) == 1, counted
