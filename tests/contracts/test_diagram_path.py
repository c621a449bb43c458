"""The path a journey took, read from its stored history (`journeys.engine.trail.states_walked`), is the path its
diagram draws: real journeys on a live server, on SQLite and PostgreSQL, moved by callbacks, a timeout and a
cancellation, their history read back from the database."""

from __future__ import annotations

from journeys.contracts.diagram import render_diagram
from journeys.engine.trail import states_walked
from tests.contracts.diagram_reading import Diagram
from tests.server.helpers import callback, start_payment
from tests.support import LiveServer


async def _drawn(server: LiveServer, journey_id: str) -> tuple[list[str], str, Diagram]:
    """The states the journey walked, its current state, and its diagram with both."""
    walked = states_walked(await server.engine.history(journey_id))
    snapshot = await server.engine.get(journey_id)
    assert snapshot.definition is not None
    current = snapshot.record.current_state
    return walked, current, Diagram(render_diagram(snapshot.definition, current, walked))


async def test_a_journey_that_looped_on_a_callback_shows_the_loop_once_per_pass(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    status, body, _ = await callback(server, journey_id, payment_id="another-payment")
    assert status == 200 and body["currentState"] == "waitForCallback"  # mismatched id: back to wait
    status, body, _ = await callback(server, journey_id)
    assert status == 200 and body["phase"] == "Succeeded"
    walked, _, diagram = await _drawn(server, journey_id)
    assert walked == [
        *("waitForCallback", "checkGatewaySecret", "routeOnSecret", "checkPaymentId"),
        *("waitForCallback", "checkGatewaySecret", "routeOnSecret", "checkPaymentId"),
        *("recordCallback", "routeOnStatus", "settle", "paid"),
    ]
    assert diagram.edges[("waitForCallback", "checkGatewaySecret")].taken == 2
    assert diagram.edges[("checkPaymentId", "waitForCallback")].taken == 1
    assert "taken" not in diagram.edges[("waitForCallback", "callbackNeverArrived")].classes
    assert "current" in diagram.nodes["paid"].classes and not diagram.jumps


async def test_a_timeout_is_drawn_as_the_ontimeout_edge_taken(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    server.clock.advance(days=2)
    assert await server.engine.fire_due_timers() == 1
    walked, current, diagram = await _drawn(server, journey_id)
    assert (walked, current) == (["waitForCallback", "callbackNeverArrived"], "callbackNeverArrived")
    timeout = diagram.edges[("waitForCallback", "callbackNeverArrived")]
    assert "taken" in timeout.classes and "kind-timeout" in timeout.classes
    assert [pair for pair, edge in diagram.edges.items() if "taken" in edge.classes] == [
        ("waitForCallback", "callbackNeverArrived")
    ]


async def test_a_cancelled_journey_walked_only_to_where_it_waited(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    await server.engine.cancel(journey_id)
    walked, current, diagram = await _drawn(server, journey_id)
    assert (walked, current) == (["waitForCallback"], "waitForCallback")
    assert not [pair for pair, edge in diagram.edges.items() if "taken" in edge.classes]
    assert {"taken", "current"} <= diagram.nodes["waitForCallback"].classes
