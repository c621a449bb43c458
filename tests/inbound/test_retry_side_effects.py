"""A retry of a step submission whose advance calls out must not call out again, even while the journey
waits at the same step once more (the retry is looked up before the advance runs)."""

from __future__ import annotations

import orjson

from tests.server.conftest import Stub, accounts_server, stub  # noqa: F401  (fixtures)
from tests.server.helpers import call
from tests.support import LiveServer


async def test_a_retried_reading_is_not_reported_twice(accounts_server: LiveServer, stub: Stub) -> None:  # noqa: F811
    status, body, _ = await call(accounts_server, "POST", "/api/v1/journeys/metered-readings/start", {"meterId": "m1"})
    assert status == 200 and body["currentState"] == "reading"
    url = accounts_server.url(f"/api/v1/journeys/{body['journeyId']}/steps/reading")
    raw = orjson.dumps({"value": 5})
    verdicts = []
    for _ in range(2):  # the client lost the first answer and sends the same bytes again
        async with accounts_server.http.post(url, data=raw, headers={"Content-Type": "application/json"}) as response:
            assert response.status == 200
            verdicts.append(response.headers["Journeys-Delivery-Verdict"])
    assert verdicts == ["applied", "duplicate"]
    assert [path for _, path, _, _ in stub.seen] == ["/v1/audit/m1"]
    history = await accounts_server.engine.store.history(body["journeyId"])
    assert [t.event for t in history] == ["start", "step"]
