"""The inbound log is kept for the retention (35 days by default), the inbox for as long as it waits."""

from __future__ import annotations

from tests.inbound.test_midtrans_flow import note, notify, start
from tests.support import LiveServer


async def test_old_deliveries_are_pruned_and_the_inbox_is_kept(server: LiveServer) -> None:
    await start(server, "order-old")
    assert (await notify(server, note("order-old", "settlement")))[0] == 200
    server.clock.advance(days=34, hours=12)
    await server.engine.inbound.sweep()
    log = server.engine.inbound_log
    assert [
        d.verdict for d in await log.page(source="midtrans", verdict=None, journey_id=None, limit=9, after=None)
    ] == ["applied"]
    _, _, headers = await notify(server, note("order-early", "settlement"))
    assert headers["Journeys-Delivery-Verdict"] == "buffered"
    server.clock.advance(hours=13)  # the applied delivery is now 35 days and 1 hour old; the buffered one 13 hours
    await server.engine.inbound.sweep()
    remaining = await log.page(source="midtrans", verdict=None, journey_id=None, limit=9, after=None)
    assert [d.verdict for d in remaining] == ["buffered"]
