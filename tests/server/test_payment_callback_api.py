"""The payment-callback journey end to end over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from tests.server.helpers import PAYMENT, call, callback, start_payment
from tests.support import ROTATED_SECRET, LiveServer


async def test_start_pauses_at_the_callback_step_with_links(server: LiveServer) -> None:
    status, body, content_type = await call(server, "POST", "/api/v1/journeys/payment-callback/start", PAYMENT)
    assert status == 200 and content_type == "application/json"
    journey_id = body["journeyId"]
    assert body["journeyName"] == "payment-callback"
    assert body["phase"] == "Running" and body["currentState"] == "waitForCallback"
    links = body["_links"]
    assert links["self"] == {"href": f"/api/v1/journeys/{journey_id}", "method": "GET"}
    assert links["result"]["href"] == f"/api/v1/journeys/{journey_id}/result"
    assert links["waitForCallback"] == {
        "href": f"/api/v1/journeys/{journey_id}/steps/waitForCallback",
        "method": "POST",
    }
    assert links["cancel"]["method"] == "POST"


async def test_successful_callback_completes_the_payment(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    status, body, _ = await callback(server, journey_id, "SUCCESS")
    assert status == 200, body
    assert body["phase"] == "Succeeded" and body["currentState"] == "paid"
    assert body["paymentStatus"] == "SUCCESS"  # projected from the step's response.outputVar
    assert "cancel" not in body["_links"] and "waitForCallback" not in body["_links"]

    status, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert status == 200
    assert outcome["phase"] == "Succeeded" and outcome["status"] == "SUCCESS"
    assert outcome["output"] == {
        "status": "SUCCESS",
        "paymentId": "pay-123",
        "amount": 42.5,
        "currency": "EUR",
        "gatewayKeyId": "current",
    }
    assert "error" not in outcome


async def test_failed_callback_fails_the_journey_with_payment_failed(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    status, body, _ = await callback(server, journey_id, "FAILED")
    assert status == 200 and body["phase"] == "Failed" and body["paymentStatus"] == "FAILED"
    status, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert status == 200  # a Failed journey still has a result
    assert outcome["phase"] == "Failed" and outcome["output"] is None
    assert outcome["error"]["code"] == "PAYMENT_FAILED" and outcome["status"] == "PAYMENT_FAILED"


async def test_wrong_secret_is_rejected_and_persists_nothing(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    before = await server.engine.store.get(journey_id)
    for secret in ("forged", None, ""):
        status, problem, content_type = await callback(server, journey_id, "FAILED", secret=secret)
        assert status == 401 and content_type == "application/problem+json"
        assert problem["status"] == 401 and problem["code"] in ("APIKEY_INVALID", "APIKEY_MISSING")
        assert "forged" not in str(problem)
    after = await server.engine.store.get(journey_id)
    assert after == before  # same version, same context: the forged body never entered the journey
    assert [t.event for t in await server.engine.store.history(journey_id)] == ["start"]

    status, body, _ = await callback(server, journey_id, "SUCCESS")
    assert status == 200 and body["phase"] == "Succeeded"


async def test_previous_key_is_still_accepted_during_rotation(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    status, body, _ = await callback(server, journey_id, secret=ROTATED_SECRET)
    assert status == 200 and body["phase"] == "Succeeded"
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert outcome["output"]["gatewayKeyId"] == "previous"


async def test_callback_for_another_payment_keeps_waiting(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    status, body, _ = await callback(server, journey_id, payment_id="pay-other")
    assert status == 200 and body["phase"] == "Running" and body["currentState"] == "waitForCallback"
    status, body, _ = await callback(server, journey_id)
    assert body["phase"] == "Succeeded"


async def test_result_before_the_end_is_409(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    status, problem, content_type = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert status == 409 and content_type == "application/problem+json"
    assert journey_id in problem["detail"]


async def test_unknown_journey_is_404_everywhere(server: LiveServer) -> None:
    for method, path, body in [
        ("GET", "/api/v1/journeys/nope", None),
        ("GET", "/api/v1/journeys/nope/result", None),
        ("POST", "/api/v1/journeys/nope/steps/waitForCallback", {"paymentId": "p", "status": "SUCCESS"}),
        ("POST", "/api/v1/journeys/nope/steps/cancel", None),
        ("POST", "/api/v1/journeys/no-such-journey/start", PAYMENT),
    ]:
        status, problem, content_type = await call(server, method, path, body)
        assert status == 404, (method, path)
        assert content_type == "application/problem+json" and problem["status"] == 404 and problem["detail"]


async def test_step_not_active_is_409_and_a_state_that_is_no_step_404(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    status, problem, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/paid", {})
    assert (status, problem["type"]) == (404, "urn:journeys:problem:step-not-found")  # `paid` ends it; no step
    await callback(server, journey_id)
    status, problem, _ = await callback(server, journey_id, status="FAILED")  # a different, late callback
    assert status == 409 and "not waiting at step 'waitForCallback'" in problem["detail"]


async def test_a_step_url_never_tells_where_a_journey_is_or_how_it_ended(server: LiveServer) -> None:
    """A step URL needs no client credential: anyone holding a journey id may post to it."""
    journey_id = await start_payment(server)
    for step in ("anything", "paid", "waitForCallback"):
        if step == "waitForCallback":
            await callback(server, journey_id)  # the payment succeeds; a stranger then posts to its step
        _, problem, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/{step}", {})
        for secret in ("waitForCallback", "Running", "Succeeded", "paid'"):
            assert secret not in problem["detail"].replace(f"step '{step}'", ""), (step, problem)


async def test_a_repeated_callback_gets_the_first_answer_and_adds_nothing(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    first = await callback(server, journey_id)
    history = await server.engine.store.history(journey_id)
    again = await callback(server, journey_id)  # the gateway lost our answer and calls back again
    assert first[0] == again[0] == 200 and again[1] == first[1] and again[1]["phase"] == "Succeeded"
    assert await server.engine.store.history(journey_id) == history
    log = await server.engine.inbound_log.page(source=None, verdict=None, journey_id=journey_id, limit=10, after=None)
    assert [item.verdict for item in log] == ["duplicate", "applied"]


async def test_a_repeat_without_the_key_is_refused_not_answered_from_the_log(server: LiveServer) -> None:
    """Whoever replays the bytes of a callback without the gateway's key learns nothing from the first answer."""
    journey_id = await start_payment(server)
    assert (await callback(server, journey_id))[0] == 200
    for secret in (None, "not-the-secret"):
        status, body, content_type = await callback(server, journey_id, secret=secret)
        assert (status, content_type) == (401, "application/problem+json"), body
        assert "phase" not in body and "paymentId" not in body
    assert (await callback(server, journey_id, secret=ROTATED_SECRET))[0] == 200  # any key of the profile


async def test_malformed_and_invalid_bodies_are_400_and_change_nothing(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    before = await server.engine.store.get(journey_id)
    path = f"/api/v1/journeys/{journey_id}/steps/waitForCallback"
    status, problem, _ = await call(server, "POST", path, b'{"paymentId": ', {"Content-Type": "application/json"})
    assert status == 400 and "not valid JSON" in problem["detail"]
    status, problem, _ = await call(server, "POST", path, {"paymentId": "pay-123", "status": "MAYBE"})
    assert status == 400 and problem["errors"] and any("MAYBE" in e or "status" in e for e in problem["errors"])
    assert await server.engine.store.get(journey_id) == before

    status, problem, _ = await call(server, "POST", "/api/v1/journeys/payment-callback/start", {"paymentId": "x"})
    assert status == 400 and any("amount" in e for e in problem["errors"])
    status, problem, _ = await call(server, "POST", "/api/v1/journeys/payment-callback/start", [1, 2])
    assert status == 400


async def test_oversized_body_is_413(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    huge = {"paymentId": "pay-123", "status": "SUCCESS", "reason": "x" * (1024 * 1024 + 10)}
    status, problem, content_type = await call(
        server, "POST", f"/api/v1/journeys/{journey_id}/steps/waitForCallback", huge
    )
    assert status == 413 and content_type == "application/problem+json" and "bytes" in problem["detail"]


async def test_racing_callbacks_produce_one_outcome(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    statuses = await asyncio.gather(
        *(callback(server, journey_id, "SUCCESS" if i % 2 else "FAILED") for i in range(16))
    )
    # One body wins; its identical twins are the same delivery (200, the winner's answer); the other body is 409.
    winning = {i % 2 for i, (code, _, _) in enumerate(statuses) if code == 200}
    assert len(winning) == 1, statuses
    assert all(code == (200 if i % 2 in winning else 409) for i, (code, _, _) in enumerate(statuses)), statuses
    answers = [body for code, body, _ in statuses if code == 200]
    assert all(answer == answers[0] for answer in answers)
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert outcome["phase"] == answers[0]["phase"]
    assert [t.event for t in await server.engine.store.history(journey_id)] == ["start", "step"]


async def test_cancel_is_idempotent_and_closes_the_step(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    status, outcome, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/cancel")
    assert status == 200 and outcome["phase"] == "Failed" and outcome["error"]["code"] == "JOURNEY_CANCELLED"
    status, again, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/cancel")
    assert status == 200 and again["error"] == outcome["error"]
    status, _, _ = await callback(server, journey_id)
    assert status == 409


async def test_step_timeout_fails_the_payment(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    server.clock.advance(hours=23)
    assert await server.engine.fire_due_timers() == 0
    server.clock.advance(hours=2)
    assert await server.engine.fire_due_timers() == 1
    _, outcome, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert outcome["phase"] == "Failed" and outcome["error"]["code"] == "PAYMENT_CALLBACK_TIMEOUT"
    status, _, _ = await callback(server, journey_id)
    assert status == 409


async def test_status_and_history(server: LiveServer) -> None:
    journey_id = await start_payment(server)
    await callback(server, journey_id, secret="forged")
    await callback(server, journey_id)
    status, body, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}")
    assert status == 200 and body["phase"] == "Succeeded" and body["updatedAt"].endswith("Z")
    status, history, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/history")
    assert [item["event"] for item in history["items"]] == ["start", "step"]
    assert history["items"][1]["path"][:3] == ["waitForCallback", "checkGatewaySecret", "routeOnSecret"]
    assert history["items"][1]["toState"] == "paid"


async def test_list_filters_and_paginates(server: LiveServer) -> None:
    ids = [await start_payment(server, {**PAYMENT, "paymentId": f"p{i}"}) for i in range(5)]
    await callback(server, ids[0], payment_id="p0")
    status, page, _ = await call(server, "GET", "/api/v1/journeys?journeyName=payment-callback&phase=Running&limit=2")
    assert status == 200 and len(page["items"]) == 2 and page["nextPageToken"]
    seen = [item["journeyId"] for item in page["items"]]
    while page["nextPageToken"]:
        _, page, _ = await call(
            server, "GET", f"/api/v1/journeys?phase=Running&limit=2&pageToken={page['nextPageToken']}"
        )
        seen += [item["journeyId"] for item in page["items"]]
    assert sorted(seen) == sorted(ids[1:])
    _, done, _ = await call(server, "GET", "/api/v1/journeys?phase=Succeeded")
    assert [item["journeyId"] for item in done["items"]] == [ids[0]]
    status, problem, _ = await call(server, "GET", "/api/v1/journeys?phase=Sleeping")
    assert status == 400 and "phase" in problem["detail"]
    status, _, _ = await call(server, "GET", "/api/v1/journeys?pageToken=garbage")
    assert status == 400


async def test_unknown_routes_and_methods_are_problems(server: LiveServer) -> None:
    status, problem, content_type = await call(server, "GET", "/api/v1/nothing-here")
    assert status == 404 and content_type == "application/problem+json" and problem["detail"]
    status, problem, content_type = await call(server, "DELETE", "/api/v1/journeys")
    assert status == 405 and content_type == "application/problem+json"


async def test_racing_callbacks_on_many_journeys_never_fail(server: LiveServer) -> None:
    """Group-committed transactions running side by side (PostgreSQL) can deadlock on each other's locks;
    the loser is run again, so every sender gets 200 (its body won, or is a twin of the winner) or 409."""
    journeys = [await start_payment(server) for _ in range(10)]
    calls = [callback(server, j, "SUCCESS" if i % 2 else "FAILED") for j in journeys for i in range(16)]
    codes = [code for code, _, _ in await asyncio.gather(*calls)]
    assert set(codes) <= {200, 409} and codes.count(200) >= 10, codes
    for journey_id in journeys:
        assert [t.event for t in await server.engine.store.history(journey_id)] == ["start", "step"]
