"""An operator's errands in a real browser: find a journey by its business key among many, see why it is where
it is (the diagram with its current state and path, the history with each request and context, its deliveries),
and fix it: cancel it, retry a failed one, submit a lost callback for its gateway."""

from __future__ import annotations

from typing import Any

import pytest

from tests.auth.clients import OPS_KEY, bearer
from tests.console.conftest import Inventory
from tests.console.helpers import CARD, start_order, status_of
from tests.server.helpers import PAYMENT, call
from tests.support import LiveServer

async_api = pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")
expect = async_api.expect


async def signed_in(browser: Any, server: LiveServer) -> Any:
    page = await browser.new_page()
    await page.goto(server.url("/console/login"))
    await page.fill("#credential", OPS_KEY)
    await page.click("text=Sign in >> nth=-1")
    await expect(page.locator("h1")).to_have_text("Journeys")
    return page


async def test_find_a_journey_by_its_order_id_see_why_it_waits_and_cancel_it(
    console_server: LiveServer, browser: Any
) -> None:
    ids = {n: (await start_order(console_server, f"ORD-{n}"))["journeyId"] for n in range(1, 31)}
    for _ in range(3):
        await call(console_server, "POST", "/api/v1/journeys/payment-callback/start", PAYMENT, bearer(OPS_KEY))
    wanted = ids[17]
    # A callback its gateway got wrong: refused by the step's schema, and logged against the journey.
    await call(console_server, "POST", f"/api/v1/journeys/{wanted}/steps/waitForPayment", {"status": "MAYBE"})

    page = await signed_in(browser, console_server)
    await expect(page.locator("table.journeys tbody tr")).to_have_count(33)
    await page.fill("input[name=keyName]", "orderId")
    await page.fill("input[name=keyValue]", "ORD-17")
    await page.click("text=Filter")
    rows = page.locator("table.journeys tbody tr")
    await expect(rows).to_have_count(1)
    await expect(page.locator(".counts")).to_contain_text("Running 1")
    await page.click(f"text={wanted}")

    await expect(page.locator("#business-keys")).to_contain_text("orderId ORD-17")
    diagram = page.locator("#diagram svg.journey-diagram")
    await expect(diagram.locator(".node.current")).to_have_attribute("data-state", "waitForPayment")
    for state in ("reserveStock", "routeReservation", "waitForPayment"):
        await expect(diagram.locator(f'.node.taken[data-state="{state}"]')).to_have_count(1)
    await expect(diagram.locator('.node.taken[data-state="paid"]')).to_have_count(0)

    start = page.locator("#transition-1")
    await expect(start.locator(".event")).to_have_text("start")
    request = await start.locator("td.request pre").text_content()
    assert '"orderId": "ORD-17"' in request and '"[REDACTED]"' in request and CARD not in request
    context = await start.locator("td.context pre").text_content()
    assert '"reservationId": "R-17"' in context and CARD not in context
    assert CARD not in await page.content()
    await expect(page.locator("#deliveries tbody tr")).to_have_count(1)
    await expect(page.locator("#deliveries")).to_contain_text("rejected")

    await page.fill("#cancel-reason", "the customer withdrew the order")
    await page.click("text=Cancel journey")
    await expect(page.locator(".flash-ok")).to_contain_text("Cancelled")
    await expect(page.locator("#phase")).to_have_text("Failed")
    await expect(page.locator("#outcome")).to_contain_text("JOURNEY_CANCELLED")
    last = page.locator("#history tbody tr").last
    await expect(last.locator(".event")).to_have_text("cancel")
    await expect(last).to_contain_text("the customer withdrew the order")
    await expect(last).to_contain_text('"cancelledBy": "ops"')
    assert (await status_of(console_server, wanted))["phase"] == "Failed"
    assert (await status_of(console_server, ids[16]))["phase"] == "Running"


async def test_retry_a_journey_that_failed_on_its_outbound_call(
    console_server: LiveServer, browser: Any, inventory: Inventory
) -> None:
    inventory.available = False
    journey = await start_order(console_server, "ORD-RETRY")
    assert journey["phase"] == "Failed"
    inventory.available = True

    page = await signed_in(browser, console_server)
    await page.goto(console_server.url(f"/console/journeys/{journey['journeyId']}"))
    await expect(page.locator("#outcome")).to_contain_text("STOCK_UNAVAILABLE")
    await expect(page.locator("#cancel-form")).to_have_count(0)
    await expect(page.locator("#retry-state")).to_have_value("reserveStock")  # the state it failed from
    await page.fill("#retry-reason", "the stock service is back")
    await page.click("#retry-form button")

    await expect(page.locator(".flash-ok")).to_contain_text("Retried from reserveStock")
    await expect(page.locator("#phase")).to_have_text("Running")
    await expect(page.locator("#current-state")).to_contain_text("waitForPayment")
    await expect(page.locator("#timers")).to_contain_text("step-timeout of waitForPayment")  # armed again
    last = page.locator("#history tbody tr").last
    await expect(last.locator(".event")).to_have_text("retry")
    await expect(last).to_contain_text("the stock service is back")
    await expect(page.locator('#diagram .node.current[data-state="waitForPayment"]')).to_have_count(1)
    assert inventory.reserved == ["ORD-RETRY"]


async def test_submit_a_lost_callback_for_the_gateway(console_server: LiveServer, browser: Any) -> None:
    status, started, _ = await call(
        console_server, "POST", "/api/v1/journeys/payment-callback/start", PAYMENT, bearer(OPS_KEY)
    )
    assert status == 200, started
    journey_id = started["journeyId"]

    page = await signed_in(browser, console_server)
    await page.goto(console_server.url(f"/console/journeys/{journey_id}"))
    wrong = '{"paymentId": "pay-123", "status": "MAYBE"}'
    await page.fill("#submit-body", wrong)
    await page.fill("#submit-reason", "gateway ticket 4711: the callback never arrived")
    await page.click("#submit-form button")
    problem = page.locator("#submit-problem")
    await expect(problem).to_contain_text("does not match the input schema of step 'waitForCallback'")
    await expect(problem.locator("li")).not_to_have_count(0)
    await expect(page.locator("#submit-body")).to_have_value(wrong)  # nothing typed is lost
    assert (await status_of(console_server, journey_id))["currentState"] == "waitForCallback"

    await page.fill("#submit-body", '{"paymentId": "pay-123", "status": "SUCCESS"}')
    await page.click("#submit-form button")
    await expect(page.locator(".flash-ok")).to_contain_text("Submitted waitForCallback")
    await expect(page.locator("#phase")).to_have_text("Succeeded")
    last = page.locator("#history tbody tr").last
    await expect(last.locator(".event")).to_have_text("step")
    await expect(last).to_contain_text('"submittedBy": "ops"')
    await expect(last).to_contain_text("gateway ticket 4711")
    await expect(page.locator('#diagram .node.current[data-state="paid"]')).to_have_count(1)
