"""A client sees and cancels only the journeys it started; an operator sees and cancels everyone's."""

from __future__ import annotations

from tests.auth.clients import (
    OBSERVER_KEY,
    OPS_KEY,
    OTHER_SHOP_KEY,
    READER_KEY,
    SHOP_KEY,
    bearer,
    journey_ids,
    start_as,
)
from tests.server.helpers import PAYMENT, call, callback
from tests.support import LiveServer

OTHER_PAYMENT = {**PAYMENT, "paymentId": "pay-other"}


async def _phase(server: LiveServer, journey_id: str) -> str:
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}", headers=bearer(OPS_KEY))
    assert status == 200, body
    return str(body["phase"])


async def test_a_client_lists_only_its_own_journeys(auth_server: LiveServer) -> None:
    mine = await start_as(auth_server, SHOP_KEY)
    theirs = await start_as(auth_server, OTHER_SHOP_KEY, OTHER_PAYMENT)
    assert await journey_ids(auth_server, SHOP_KEY) == {mine}
    assert await journey_ids(auth_server, OTHER_SHOP_KEY) == {theirs}
    assert await journey_ids(auth_server, READER_KEY) == set()  # it started none
    assert await journey_ids(auth_server, OPS_KEY) == {mine, theirs}
    # Filters narrow within the client's own journeys.
    status, body, _ = await call(
        auth_server, "GET", "/api/v1/journeys?journeyName=payment-callback&phase=running", headers=bearer(SHOP_KEY)
    )
    assert status == 200 and [item["journeyId"] for item in body["items"]] == [mine]


async def test_another_clients_journey_is_not_found(auth_server: LiveServer) -> None:
    theirs = await start_as(auth_server, OTHER_SHOP_KEY, OTHER_PAYMENT)
    for path in (
        f"/api/v1/journeys/{theirs}",
        f"/api/v1/journeys/{theirs}/result",
        f"/api/v1/journeys/{theirs}/history",
        f"/api/v1/journeys/{theirs}/notifications",
    ):
        status, body, content_type = await call(auth_server, "GET", path, headers=bearer(SHOP_KEY))
        assert (status, body["type"], content_type) == (
            404,
            "urn:journeys:problem:journey-not-found",
            "application/problem+json",
        ), path
        # Word for word what an id that does not exist gets: nothing tells the two apart.
        _, absent, _ = await call(auth_server, "GET", path.replace(theirs, "no-such-journey"), headers=bearer(SHOP_KEY))
        assert body["detail"] == absent["detail"].replace("no-such-journey", theirs), path


async def test_a_client_cannot_cancel_another_clients_journey(auth_server: LiveServer) -> None:
    theirs = await start_as(auth_server, OTHER_SHOP_KEY, OTHER_PAYMENT)
    status, body, _ = await call(
        auth_server, "POST", f"/api/v1/journeys/{theirs}/steps/cancel", {}, headers=bearer(SHOP_KEY)
    )
    assert (status, body["type"]) == (404, "urn:journeys:problem:journey-not-found")
    assert await _phase(auth_server, theirs) == "Running"


async def test_clients_cancel_their_own_and_the_operator_anyones(auth_server: LiveServer) -> None:
    mine = await start_as(auth_server, SHOP_KEY)
    theirs = await start_as(auth_server, OTHER_SHOP_KEY, OTHER_PAYMENT)
    status, body, _ = await call(auth_server, "POST", f"/api/v1/journeys/{mine}/steps/cancel", {}, bearer(SHOP_KEY))
    assert (status, body["phase"]) == (200, "Failed"), body
    status, body, _ = await call(auth_server, "POST", f"/api/v1/journeys/{theirs}/steps/cancel", {}, bearer(OPS_KEY))
    assert (status, body["phase"]) == (200, "Failed"), body
    # The history says who cancelled.
    for journey_id, who in ((mine, "shop"), (theirs, "ops")):
        _, history, _ = await call(
            auth_server, "GET", f"/api/v1/journeys/{journey_id}/history", headers=bearer(OPS_KEY)
        )
        [cancel] = [item for item in history["items"] if item["event"] == "cancel"]
        assert cancel["detail"]["cancelledBy"] == who


async def test_the_operator_reads_every_journey(auth_server: LiveServer) -> None:
    theirs = await start_as(auth_server, OTHER_SHOP_KEY, OTHER_PAYMENT)
    for path in (
        f"/api/v1/journeys/{theirs}",
        f"/api/v1/journeys/{theirs}/history",
        f"/api/v1/journeys/{theirs}/notifications",
    ):
        status, _, _ = await call(auth_server, "GET", path, headers=bearer(OPS_KEY))
        assert status == 200, path


async def test_an_observer_reads_every_journey_and_changes_only_its_own(auth_server: LiveServer) -> None:
    """`journeys:read:all` widens reading, never cancelling: with `journeys:cancel` too, only its own journeys."""
    theirs = await start_as(auth_server, OTHER_SHOP_KEY, OTHER_PAYMENT)
    assert theirs in await journey_ids(auth_server, OBSERVER_KEY)
    for path in (
        f"/api/v1/journeys/{theirs}",
        f"/api/v1/journeys/{theirs}/history",
        f"/api/v1/journeys/{theirs}/notifications",
    ):
        status, _, _ = await call(auth_server, "GET", path, headers=bearer(OBSERVER_KEY))
        assert status == 200, path
    status, body, _ = await call(
        auth_server, "POST", f"/api/v1/journeys/{theirs}/steps/cancel", {}, headers=bearer(OBSERVER_KEY)
    )
    assert (status, body["type"]) == (404, "urn:journeys:problem:journey-not-found")
    status, body, _ = await call(auth_server, "GET", "/api/v1/inbound/deliveries", headers=bearer(OBSERVER_KEY))
    assert (status, body["requiredScope"]) == (403, "operator")
    assert await _phase(auth_server, theirs) == "Running"


async def test_a_callback_needs_no_client_credential(auth_server: LiveServer) -> None:
    """The gateway is not a client: it proves itself to the step (its webhook secret), as before."""
    mine = await start_as(auth_server, SHOP_KEY)
    status, body, _ = await callback(auth_server, mine)
    assert (status, body["phase"]) == (200, "Succeeded"), body
    status, body, _ = await call(auth_server, "GET", f"/api/v1/journeys/{mine}/result", headers=bearer(SHOP_KEY))
    assert (status, body["status"]) == (200, "SUCCESS")


async def test_version_counts_cover_every_clients_journeys_and_the_version_filter_stays_within_ones_own(
    auth_server: LiveServer,
) -> None:
    mine = await start_as(auth_server, SHOP_KEY)
    await start_as(auth_server, OTHER_SHOP_KEY, OTHER_PAYMENT)
    status, body, _ = await call(auth_server, "GET", "/api/v1/journeys/payment-callback/versions")
    assert status == 401, body
    status, body, _ = await call(
        auth_server, "GET", "/api/v1/journeys/payment-callback/versions", headers=bearer(READER_KEY)
    )
    assert status == 200, body
    [loaded] = [item for item in body["items"] if item["loaded"]]
    assert loaded["instances"]["Running"] == 2  # numbers of every client's journeys, never their ids
    assert all("journeyId" not in item for item in body["items"])
    version = loaded["journeyVersion"]
    status, body, _ = await call(
        auth_server, "GET", f"/api/v1/journeys?journeyVersion={version}", headers=bearer(SHOP_KEY)
    )
    assert status == 200 and [item["journeyId"] for item in body["items"]] == [mine]
