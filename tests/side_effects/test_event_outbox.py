"""`kafkaPublish:v1` on a live server over SQLite and PostgreSQL: the record a journey publishes is in the event
outbox once its advance committed, shown at `GET /journeys/{id}/events`; a record that does not match its schema
fails the journey and is not published; a start refused before it ran publishes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.observability.figures import scrape
from tests.server.helpers import call
from tests.side_effects.conftest import JOURNEYS
from tests.support import LiveServer

ORDER = {"orderId": "o-1", "amount": 42.5, "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}


async def _events(server: LiveServer, journey_id: str, headers: dict[str, str] | None = None) -> list[Any]:
    status, listed, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/events", headers=headers)
    assert status == 200, listed
    assert listed["journeyId"] == journey_id
    return list(listed["items"])


async def test_the_published_record_is_in_the_outbox_with_its_key_value_and_headers(served: LiveServer) -> None:
    status, started, _ = await call(served, "POST", "/api/v1/journeys/order-events/start", ORDER)
    assert status == 200 and started["phase"] == "Succeeded", started
    (record,) = await _events(served, started["journeyId"])
    assert record["topic"] == "orders.events" and record["key"] == "o-1" and record["state"] == "placed"
    assert record["value"] == {"eventType": "ORDER_PLACED", "orderId": "o-1", "amount": 42.5}
    assert record["headers"] == {"traceparent": ORDER["traceparent"], "source": "journeys"}
    assert record["connection"] == "secret://kafka/connections/orders"
    assert record["eventKey"].startswith(started["journeyId"]) and "publishedAt" not in record
    assert await served.engine.store.events.unpublished() == (1, served.clock())


async def test_a_header_whose_value_the_start_did_not_carry_is_left_out(served: LiveServer) -> None:
    body = {key: value for key, value in ORDER.items() if key != "traceparent"}
    _, started, _ = await call(served, "POST", "/api/v1/journeys/order-events/start", body)
    (record,) = await _events(served, started["journeyId"])
    assert record["headers"] == {"source": "journeys"}


async def test_a_value_its_schema_refuses_fails_the_journey_and_is_not_published(served: LiveServer) -> None:
    _, started, _ = await call(served, "POST", "/api/v1/journeys/order-events/start", {**ORDER, "amount": 0})
    assert started["phase"] == "Failed"
    assert started["error"]["code"] == "EVENT_SCHEMA_MISMATCH:placed"
    assert "amount" in started["error"]["reason"]
    assert await _events(served, started["journeyId"]) == []


async def test_a_refused_start_publishes_nothing(served: LiveServer) -> None:
    status, problem, _ = await call(served, "POST", "/api/v1/journeys/order-events/start", {"orderId": "o-2"})
    assert status == 400, problem
    assert await served.engine.store.events.unpublished() == (0, None)


async def test_the_events_of_an_unknown_journey_are_a_404_problem(served: LiveServer) -> None:
    status, problem, content_type = await call(served, "GET", "/api/v1/journeys/no-such-journey/events")
    assert (status, content_type) == (404, "application/problem+json"), problem


async def test_records_of_a_kind_api_run_are_written_before_its_answer(
    start_server: Callable[..., Any], database_url: str, tmp_path: Any
) -> None:
    api = (JOURNEYS / "order-events.journey.yaml").read_text(encoding="utf-8")
    api = api.replace("kind: Journey", "kind: Api").replace("name: order-events", "name: order-events-api")
    (tmp_path / "order-events-api.journey.yaml").write_text(api, encoding="utf-8")
    (tmp_path / "order-event.schema.json").write_text((JOURNEYS / "order-event.schema.json").read_text())
    server: LiveServer = await start_server(database_url, definitions=(tmp_path,))
    status, answer, _ = await call(server, "POST", "/api/v1/apis/order-events-api", ORDER)
    assert status == 200, answer
    assert await server.engine.store.events.unpublished() == (1, server.clock())


async def test_the_unpublished_backlog_and_its_lag_are_metrics(served: LiveServer) -> None:
    figures = await scrape(served)
    assert figures.value("journeys_event_outbox_unpublished") == 0
    assert figures.value("journeys_event_outbox_lag_seconds") == 0
    await call(served, "POST", "/api/v1/journeys/order-events/start", ORDER)
    await call(served, "POST", "/api/v1/journeys/order-events/start", {**ORDER, "orderId": "o-9"})
    served.clock.advance(seconds=90)  # no relay runs: the records wait
    figures = await scrape(served)
    assert figures.value("journeys_event_outbox_unpublished") == 2
    assert figures.value("journeys_event_outbox_lag_seconds") == 90


async def test_a_run_cut_back_to_its_schedule_task_drops_the_records_and_puts_after_it(served: LiveServer) -> None:
    """A second binding of the same schedule fails the journey at the schedule:v1 task, decided at its commit: what
    the states after that task published or put is not written."""
    start = "/api/v1/journeys/bind-and-announce/start"
    _, first, _ = await call(served, "POST", start, {"customerId": "c-1"})
    assert first["phase"] == "Succeeded", first
    _, second, _ = await call(served, "POST", start, {"customerId": "c-1"})
    assert second["phase"] == "Failed" and second["error"]["code"] == "SCHEDULE_EXISTS:bind", second

    assert [record["key"] for record in await _events(served, first["journeyId"])] == ["c-1"]
    assert await _events(served, second["journeyId"]) == []
    assert await served.engine.store.cache.get("bound:c-1", served.clock()) == first["journeyId"]
