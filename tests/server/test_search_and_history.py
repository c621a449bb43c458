"""Finding a journey by its business key and seeing why it went where it did (issue 9): `key.<name>` and the other
list filters, and each transition's request body and context in the history, redacted as the definition says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select, text

from journeys.definitions import DefinitionErrors, load_definition_text
from journeys.store import JourneyFilter, JourneyStore
from journeys.store.listing import filtered
from journeys.store.rows import newest_first
from journeys.store.tables import instance_table
from tests.server.helpers import PAYMENT, call, callback, start_payment
from tests.server.order_review import definitions_dir
from tests.support import WEBHOOK_SECRET, LiveServer

CARD_ORDER = """
apiVersion: v1
kind: Journey
metadata: {name: card-order, version: "1"}
spec:
  metadata:
    searchKeys:
      orderId: "${context.orderId}"
      receipt: "${context.receipt.id}"
    redact: [card.number, customer.email]
  start: pay
  states:
    pay:
      type: wait
      wait:
        input:
          schema: {type: object, required: [card], properties: {card: {type: object}}}
      next: keep
    keep:
      type: transform
      transform:
        mapper: {lang: jsonata, expr: '{"id": "r-" & context.orderId}'}
        target: {kind: var}
        resultVar: receipt
      next: done
    done:
      type: succeed
"""


async def _ids(server: LiveServer, query: str, status: int = 200) -> Any:
    answered, body, _ = await call(server, "GET", f"/api/v1/journeys?{query}")
    assert answered == status, body
    return [item["journeyId"] for item in body["items"]] if status == 200 else body


async def test_a_journey_is_found_by_its_business_key_among_many(start_server: Any, database_url: str) -> None:
    server: LiveServer = await start_server(database_url)
    ids = {f"pay-{n}": await start_payment(server, {**PAYMENT, "paymentId": f"pay-{n}"}) for n in range(25)}
    assert await _ids(server, "key.paymentId=pay-17") == [ids["pay-17"]]
    assert await _ids(server, "key.paymentId=pay-17&phase=Succeeded") == []
    assert await _ids(server, "key.paymentId=pay-99") == []
    assert await _ids(server, "key.orderId=pay-17") == []  # a name payment-callback does not declare
    status, _, _ = await callback(server, ids["pay-17"], payment_id="pay-17")
    assert status == 200
    assert await _ids(server, "key.paymentId=pay-17&phase=succeeded") == [ids["pay-17"]]
    waiting = await _ids(server, "currentState=waitForCallback&limit=500")
    assert sorted(waiting) == sorted(journey_id for payment, journey_id in ids.items() if payment != "pay-17")
    problem = await _ids(server, "key.paymentId=pay%00", status=400)
    assert problem["type"] == "urn:journeys:problem:invalid-query"


async def test_time_range_filters(start_server: Any, database_url: str) -> None:
    server: LiveServer = await start_server(database_url)
    early = await start_payment(server)
    server.clock.advance(hours=2)
    late = await start_payment(server, {**PAYMENT, "paymentId": "pay-late"})
    await callback(server, early)  # updated now, started two hours ago
    assert await _ids(server, "startedAfter=2026-01-01T01:00:00Z") == [late]
    assert await _ids(server, "startedBefore=2026-01-01T01:00:00%2B00:00") == [early]
    assert await _ids(server, "startedBefore=2026-01-01T02:00:00+01:00") == [early]  # `+` read as a space
    assert set(await _ids(server, "updatedAfter=2026-01-01T01:00:00Z")) == {early, late}
    assert await _ids(server, "updatedBefore=2026-01-01T01:00:00Z") == []
    for bad in ("startedAfter=yesterday", "updatedBefore=2026-01-01T00:00:00", "startedAfter=2026-01-01T00:00Z"):
        problem = await _ids(server, bad, status=400)
        assert "RFC 3339" in problem["detail"], problem


async def test_the_history_shows_each_request_and_the_context_after_it_with_secrets_redacted(
    start_server: Any, database_url: str, tmp_path: Path
) -> None:
    server: LiveServer = await start_server(
        database_url, definitions=(definitions_dir(tmp_path / "d", **{"card-order": CARD_ORDER}),)
    )
    start = {"orderId": "o-7", "customer": {"email": "ada@example.test", "name": "Ada"}}
    status, started, _ = await call(server, "POST", "/api/v1/journeys/card-order/start", start)
    assert status == 200, started
    journey_id = started["journeyId"]
    assert await _ids(server, "key.orderId=o-7") == [journey_id]
    assert await _ids(server, "key.receipt=r-o-7") == []  # not rendered yet: no receipt before the payment

    card = {"card": {"number": "4242424242424242", "expiry": "12/30"}}
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/pay", card)
    assert status == 200
    assert await _ids(server, "key.receipt=r-o-7&key.orderId=o-7") == [journey_id]

    status, history, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/history")
    first, second = history["items"]
    assert first["request"] == {"orderId": "o-7", "customer": {"email": "[REDACTED]", "name": "Ada"}}
    assert first["context"] == first["request"]
    assert second["request"] == {"card": {"number": "[REDACTED]", "expiry": "12/30"}}
    assert second["context"]["receipt"] == {"id": "r-o-7"}
    assert second["context"]["customer"]["email"] == "[REDACTED]"
    assert "4242424242424242" not in str(history) and "ada@example.test" not in str(history)

    # Redaction is for what is shown: the journey itself ran with the real values.
    record = await server.engine.store.get(journey_id)
    assert record is not None and record.context["customer"]["email"] == "ada@example.test"


async def test_a_timeout_has_no_request_but_its_context(start_server: Any, database_url: str) -> None:
    server: LiveServer = await start_server(database_url)
    journey_id = await start_payment(server)
    server.clock.advance(days=2)
    assert await server.engine.fire_due_timers() == 1
    status, history, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/history")
    assert status == 200
    timeout = history["items"][-1]
    assert (timeout["event"], timeout["request"]) == ("timeout", None)
    assert timeout["context"]["paymentId"] == PAYMENT["paymentId"]
    assert WEBHOOK_SECRET not in str(history)


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("searchKeys: {order-id: '${context.id}'}", "a search key's name"),
        ("searchKeys: {orderId: fixed}", "must read the journey"),
        ("redact: card.number", "must be a list of dotted paths"),
        ("bindings: {attributes: {order-id: {path: id}}}", "an attribute name is a letter"),
        ("serchKeys: {}", "unknown field 'serchKeys'"),
    ],
)
def test_metadata_mistakes_are_named_at_load(metadata: str, message: str) -> None:
    text = CARD_ORDER.replace(
        CARD_ORDER[CARD_ORDER.index("  metadata:\n    searchKeys") : CARD_ORDER.index("  start: pay")],
        f"  metadata:\n    {metadata}\n",
    )
    with pytest.raises(DefinitionErrors) as failure:
        load_definition_text(text, "card-order.journey.yaml")
    assert message in str(failure.value) and "spec.metadata" in str(failure.value)


async def test_a_business_key_lookup_reads_the_index(database_url: str) -> None:
    """The key filter is a point lookup: the plan reads `journey_search_key` by its (name, value) index (PostgreSQL
    told to avoid sequential scans, which it prefers on a table this small)."""
    table = instance_table
    query = newest_first(
        filtered(select(table), JourneyFilter(keys={"orderId": "o-1"})), table.c.created_at, table.c.id, None, 50
    )

    def plan(conn: Connection) -> str:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(text("SET enable_seqscan = off"))
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        rows = conn.execute(text(explain + str(compiled))).all()
        if postgres:
            conn.execute(text("RESET enable_seqscan"))
        return " ".join(str(row) for row in rows)

    store = await JourneyStore.open(database_url)
    try:
        read = await store._database.read(plan)
    finally:
        await store.close()
    assert "ix_journey_search_key_lookup" in read, read
