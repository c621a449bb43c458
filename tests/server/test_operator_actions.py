"""What an operator does by hand (issue 9): retry a failed journey from a state, submit a lost callback for its
caller. Each is recorded in the history with who did it and why."""

from __future__ import annotations

from typing import Any

from tests.auth.clients import CLIENT_AUTH, OPS_KEY, READER_KEY, bearer
from tests.server.conftest import START, Stub
from tests.server.helpers import PAYMENT, call, start_payment
from tests.support import LiveServer


async def _history(server: LiveServer, journey_id: str, headers: dict[str, str] | None = None) -> list[Any]:
    status, history, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/history", headers=headers)
    assert status == 200, history
    return history["items"]  # type: ignore[no-any-return]


async def test_a_journey_failed_by_an_outbound_call_is_retried_from_that_call(
    accounts_server: LiveServer, stub: Stub
) -> None:
    stub.customer_status = 503
    status, failed, _ = await call(accounts_server, "POST", "/api/v1/journeys/account-opening/start", START)
    assert (status, failed["phase"], failed["error"]["code"]) == (200, "Failed", "CUSTOMER_LOOKUP_FAILED"), failed
    journey = f"/api/v1/journeys/{failed['journeyId']}"

    stub.customer_status = 200  # the service is back
    retry = {"fromState": "fetchCustomer", "reason": "accounts service restored"}
    status, retried, _ = await call(accounts_server, "POST", f"{journey}/retry", retry)
    assert (status, retried["phase"]) == (200, "Succeeded"), retried
    assert sum(1 for seen in stub.seen if seen[1].startswith("/v1/customers/")) == 2
    last = (await _history(accounts_server, failed["journeyId"]))[-1]
    assert (last["event"], last["fromState"], last["path"][0]) == ("retry", "lookupFailed", "fetchCustomer")
    assert last["detail"] == {
        "retriedBy": None,  # an open API has no caller names
        "reason": "accounts service restored",
        "failedAt": "lookupFailed",
        "failedWith": "CUSTOMER_LOOKUP_FAILED",
    }

    for body, expected, slug in (
        (retry, 409, "journey-not-failed"),  # it succeeded now
        ({"fromState": "nowhere"}, 409, "journey-not-failed"),
        ({"state": "fetchCustomer"}, 400, "invalid-request"),
    ):
        status, problem, _ = await call(accounts_server, "POST", f"{journey}/retry", body)
        assert (status, problem["type"]) == (expected, f"urn:journeys:problem:{slug}"), problem


async def test_a_retry_names_a_state_of_the_journeys_own_version(accounts_server: LiveServer, stub: Stub) -> None:
    stub.customer_status = 503
    _, failed, _ = await call(accounts_server, "POST", "/api/v1/journeys/account-opening/start", START)
    status, problem, _ = await call(
        accounts_server, "POST", f"/api/v1/journeys/{failed['journeyId']}/retry", {"fromState": "nowhere"}
    )
    assert (status, problem["type"]) == (400, "urn:journeys:problem:invalid-retry")
    assert "fetchCustomer" in problem["detail"]


async def test_an_operator_submits_a_lost_callback_for_its_caller(start_server: Any, database_url: str) -> None:
    server: LiveServer = await start_server(database_url, client_auth=CLIENT_AUTH)
    status, started, _ = await call(server, "POST", "/api/v1/journeys/payment-callback/start", PAYMENT, bearer(OPS_KEY))
    assert status == 200, started
    journey_id = started["journeyId"]
    submissions = f"/api/v1/journeys/{journey_id}/submissions"
    lost = {"step": "waitForCallback", "body": {"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"}}

    status, problem, _ = await call(server, "POST", submissions, lost, bearer(READER_KEY))
    assert (status, problem["requiredScope"]) == (403, "operator")
    invalid = {"step": "waitForCallback", "body": {"status": "MAYBE"}}
    status, problem, _ = await call(server, "POST", submissions, invalid, bearer(OPS_KEY))
    assert (status, problem["type"]) == (400, "urn:journeys:problem:invalid-input"), problem
    status, problem, _ = await call(
        server, "POST", submissions, {**lost, "step": "checkGatewaySecret"}, bearer(OPS_KEY)
    )
    assert status == 404 and problem["type"].endswith("step-not-found"), problem
    assert len(await _history(server, journey_id, bearer(OPS_KEY))) == 1  # nothing of that was applied

    # No webhook secret exists for the operator to present: the journey's key check is vouched for.
    status, done, _ = await call(
        server, "POST", submissions, {**lost, "reason": "PSP confirmed by phone"}, bearer(OPS_KEY)
    )
    assert (status, done["phase"]) == (200, "Succeeded"), done
    last = (await _history(server, journey_id, bearer(OPS_KEY)))[-1]
    assert last["event"] == "step"
    assert last["detail"] == {"step": "waitForCallback", "submittedBy": "ops", "reason": "PSP confirmed by phone"}
    assert last["request"] == lost["body"]

    status, problem, _ = await call(server, "POST", submissions, lost, bearer(OPS_KEY))
    assert (status, problem["type"]) == (409, "urn:journeys:problem:step-not-active"), problem


async def test_a_callers_own_submission_still_needs_its_secret(start_server: Any, database_url: str) -> None:
    """Vouching is the operator's alone: the step URL keeps refusing a callback without the webhook secret."""
    server: LiveServer = await start_server(database_url)
    journey_id = await start_payment(server)
    body = {"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"}
    status, _, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/waitForCallback", body)
    assert status == 401
