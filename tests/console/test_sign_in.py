"""Signing in to the console in a real browser: the operator token enforced.

Pages need `journeys:read:all` (or `operator`); a client that reads only its own journeys is refused at sign-in.
A `journeys:read:all` observer reads everything but is offered no action, and its posts are refused. The
credential lives in an HttpOnly, SameSite=Strict cookie scoped to the console, and never comes back in a page.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.auth.clients import OBSERVER_KEY, OPS_KEY, READER_KEY
from tests.console.helpers import start_order, status_of
from tests.support import LiveServer

async_api = pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")
expect = async_api.expect


async def sign_in(page: Any, server: LiveServer, key: str, start: str = "/console/") -> None:
    await page.goto(server.url(start))
    await expect(page).to_have_url(server.url("/console/login") + "?next=" + start.replace("/", "%2F"))
    await page.fill("#credential", key)
    await page.click("text=Sign in >> nth=-1")


async def test_a_client_that_reads_only_its_own_journeys_is_refused(console_server: LiveServer, browser: Any) -> None:
    page = await browser.new_page()
    await sign_in(page, console_server, READER_KEY, "/console/definitions")
    await expect(page.locator(".flash-error")).to_contain_text("needs the scope journeys:read:all")
    await page.fill("#credential", "no-such-key-0123456789")
    await page.click("text=Sign in >> nth=-1")
    await expect(page.locator(".flash-error")).to_contain_text("not a key of any configured client")
    assert READER_KEY not in await page.content()
    # The session cookie holds a session id alone: a refused credential is not kept.
    assert all("." not in cookie["value"] for cookie in await page.context.cookies())
    await page.fill("#credential", OPS_KEY)
    await page.click("text=Sign in >> nth=-1")
    await expect(page).to_have_url(console_server.url("/console/definitions"))  # still going where it was going


async def test_an_operator_signs_in_and_out(console_server: LiveServer, browser: Any) -> None:
    journey_id = (await start_order(console_server, "ORD-1"))["journeyId"]
    page = await browser.new_page()
    await sign_in(page, console_server, OPS_KEY, f"/console/journeys/{journey_id}")
    await expect(page).to_have_url(console_server.url(f"/console/journeys/{journey_id}"))  # back where it was going
    await expect(page.locator(".who")).to_contain_text("ops")
    await expect(page.locator("#cancel-form")).to_be_visible()
    assert OPS_KEY not in await page.content()

    (cookie,) = await page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert OPS_KEY not in cookie["value"]  # kept encoded, never as typed

    await page.click("text=Sign out")
    await expect(page.locator(".flash-ok")).to_have_text("Signed out.")
    await page.goto(console_server.url("/console/"))
    await expect(page).to_have_url(console_server.url("/console/login?next=%2Fconsole%2F"))


async def test_an_observer_reads_every_journey_but_cannot_act(console_server: LiveServer, browser: Any) -> None:
    journey_id = (await start_order(console_server, "ORD-2"))["journeyId"]
    page = await browser.new_page()
    await sign_in(page, console_server, OBSERVER_KEY)
    await expect(page.locator(".who")).to_contain_text("read only")
    await page.click(f"text={journey_id}")
    await expect(page.locator("#current-state")).to_contain_text("waitForPayment")
    await expect(page.locator("#actions")).to_have_count(0)

    # Its own session's token (the sign-out form has one), posted as the cancel form would be: still refused.
    token = await page.locator("input[name=csrf]").first.input_value()
    answer = await page.request.post(
        console_server.url(f"/console/journeys/{journey_id}/cancel"),
        form={"csrf": token, "reason": "curious"},
        headers={"Accept": "text/html"},
        max_redirects=0,
    )
    assert answer.status == 403
    assert "may read journeys, not act on them" in await answer.text()
    assert (await status_of(console_server, journey_id))["phase"] == "Running"
