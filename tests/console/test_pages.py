"""The console's pages as a plain HTTP client reads them: escaping, paging, filters it cannot apply, the flags on
journeys that need a look, and the definitions page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.auth.clients import OPS_KEY
from tests.console.helpers import FormClient, start_order
from tests.support import LiveServer


@pytest.fixture
async def forms(console_server: LiveServer) -> AsyncIterator[FormClient]:
    client = FormClient(console_server)
    await client.sign_in(OPS_KEY)
    yield client
    await client.close()


async def test_journey_data_is_escaped_everywhere(console_server: LiveServer, forms: FormClient) -> None:
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    journey_id = (await start_order(console_server, hostile))["journeyId"]
    for path in (f"/console/journeys/{journey_id}", f"/console/?key.orderId={hostile}", "/console/"):
        status, page = await forms.get(path)
        assert status == 200, path
        assert "<script" not in page and "<img" not in page, path
    _, page = await forms.get(f"/console/journeys/{journey_id}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_the_list_pages_through_every_journey_once(console_server: LiveServer, forms: FormClient) -> None:
    started = {(await start_order(console_server, f"ORD-{n}"))["journeyId"] for n in range(12)}
    seen: list[str] = []
    path: str | None = "/console/?journeyName=console-order&limit=5"
    while path is not None:
        status, page = await forms.get(path)
        assert status == 200
        seen += [journey_id for journey_id in started if f"/console/journeys/{journey_id}" in page]
        marker = 'rel="next"'
        if marker in page:
            href = page[: page.index(marker)].rsplit('href="', 1)[1].split('"', 1)[0]
            path = href.replace("&amp;", "&")
        else:
            path = None
    assert sorted(seen) == sorted(started)


async def test_a_filter_it_cannot_apply_says_which(console_server: LiveServer, forms: FormClient) -> None:
    status, page = await forms.get("/console/?startedAfter=yesterday")
    assert status == 400 and "startedAfter must be a date and time" in page
    status, page = await forms.get("/console/?pageToken=forged")
    assert status == 400 and "pageToken is not a token this API issued" in page


async def test_journeys_that_wait_past_their_deadline_or_idle_are_flagged(
    console_server: LiveServer, forms: FormClient
) -> None:
    waiting = (await start_order(console_server, "ORD-LATE"))["journeyId"]
    console_server.clock.advance(minutes=30)
    _, page = await forms.get("/console/?idleHours=1")
    assert "past its deadline" not in page and "idle " not in page
    console_server.clock.advance(hours=1)  # its step times out after an hour; the scheduler has not run since
    _, page = await forms.get("/console/?idleHours=1")
    assert "past its deadline" in page and "idle 1h 30m" in page
    _, page = await forms.get("/console/")  # idle for less than the default 24 hours
    assert "past its deadline" in page and "idle " not in page
    _, page = await forms.get(f"/console/journeys/{waiting}")
    assert "past its deadline" in page


async def test_the_definitions_page_shows_each_journey_and_how_it_is_called(
    console_server: LiveServer, forms: FormClient
) -> None:
    await start_order(console_server, "ORD-DEF")
    status, page = await forms.get("/console/definitions")
    assert status == 200
    section = page[page.index('id="journey-console-order"') :]
    section = section[: section.index("</section>")]
    assert 'class="journey-diagram' in section and 'data-state="waitForPayment"' in section
    assert 'href="/api/v1/journeys/console-order/openapi.json"' in section
    assert "journeys export arazzo" in section
    assert "POST /api/v1/journeys/console-order/start" in section
    assert "POST /api/v1/journeys/{journeyId}/steps/waitForPayment" in section
    assert "run by this version" in section and "Running</span> 1" in section
