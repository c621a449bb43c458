"""The console's forms as an attacker's page or a stale tab would post them: refused with 403, nothing changed.

Spoken to with a plain HTTP client (the browser tests cover what a user sees): every action post must carry the
CSRF token of the session it is posted in and, when the browser names one, come from the console's own origin.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator

import pytest
from yarl import URL

from tests.auth.clients import OPS_KEY
from tests.console.helpers import FormClient, csrf_in, start_order, status_of
from tests.support import LiveServer


@pytest.fixture
async def forms(console_server: LiveServer) -> AsyncIterator[FormClient]:
    client = FormClient(console_server)
    yield client
    await client.close()


async def test_an_action_without_the_sessions_token_changes_nothing(
    console_server: LiveServer, forms: FormClient
) -> None:
    journey_id = (await start_order(console_server, "ORD-CSRF"))["journeyId"]
    token = await forms.sign_in(OPS_KEY)
    other = FormClient(console_server)
    others_token = await other.sign_in(OPS_KEY)
    await other.close()
    cancel = f"/console/journeys/{journey_id}/cancel"

    forged = [
        ({"reason": "forged"}, {}),  # no token at all
        ({"reason": "forged", "csrf": ""}, {}),
        ({"reason": "forged", "csrf": others_token}, {}),  # a token of another session
        ({"reason": "forged", "csrf": token}, {"Origin": "https://evil.example"}),  # the right token, posted elsewhere
        ({"reason": "forged", "csrf": token}, {"Referer": "https://evil.example/page"}),
        ({"reason": "forged", "csrf": token}, {"Origin": "null"}),
    ]
    for form, headers in forged:
        answer = await forms.post(cancel, form, headers)
        assert answer.status == 403, (form, headers)
        assert (await status_of(console_server, journey_id))["phase"] == "Running", (form, headers)

    same_origin = {"Origin": console_server.base_url}
    done = await forms.post(cancel, {"reason": "the customer withdrew", "csrf": token}, same_origin)
    assert done.status == 303 and done.headers["Location"] == f"/console/journeys/{journey_id}"
    assert (await status_of(console_server, journey_id))["phase"] == "Failed"


async def test_an_action_without_a_sign_in_is_refused(console_server: LiveServer, forms: FormClient) -> None:
    journey_id = (await start_order(console_server, "ORD-ANON"))["journeyId"]
    status, login = await forms.get("/console/login")  # a session, but no credential
    assert status == 200
    answer = await forms.post(f"/console/journeys/{journey_id}/cancel", {"reason": "x", "csrf": csrf_in(login)})
    assert answer.status == 403
    assert (await status_of(console_server, journey_id))["phase"] == "Running"
    # Without a browser's Accept, a refusal is a problem document, as the API's are.
    async with console_server.http.post(console_server.url(f"/console/journeys/{journey_id}/cancel")) as plain:
        assert plain.status == 403 and plain.content_type == "application/problem+json"


async def test_the_open_console_needs_no_sign_in_but_its_forms_still_need_the_token(open_server: LiveServer) -> None:
    """No client configured (the README's quickstart): pages open at once; actions are still CSRF-safe."""
    journey_id = (await start_order(open_server, "ORD-OPEN", key=None))["journeyId"]
    forms = FormClient(open_server)
    try:
        status, page = await forms.get("/console/")
        assert status == 200 and journey_id in page
        status, _ = await forms.get("/console/login")  # nothing to sign in to: back to the list
        assert status == 200
        cancel = f"/console/journeys/{journey_id}/cancel"
        assert (await forms.post(cancel, {"reason": "x"})).status == 403
        assert (await status_of(open_server, journey_id))["phase"] == "Running"
        _, journey_page = await forms.get(f"/console/journeys/{journey_id}")
        assert (await forms.post(cancel, {"reason": "x", "csrf": csrf_in(journey_page)})).status == 303
        assert (await status_of(open_server, journey_id))["phase"] == "Failed"
    finally:
        await forms.close()


async def test_a_credential_never_reaches_a_log_or_a_page(
    console_server: LiveServer, forms: FormClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-a-key-of-anyone-0123456789"
    _, login = await forms.get("/console/login")
    refused = await forms.post("/console/login", {"csrf": csrf_in(login), "credential": wrong})
    assert refused.status == 403
    await forms.sign_in(OPS_KEY)
    for path in ("/console/", "/console/definitions", "/console/login"):
        _, page = await forms.get(path)
        assert OPS_KEY not in page and wrong not in page, path
    assert caplog.records, "the server logged nothing: the check would prove nothing"
    assert OPS_KEY not in caplog.text and wrong not in caplog.text


async def test_a_kept_credential_that_no_longer_holds_signs_the_browser_out(
    console_server: LiveServer, forms: FormClient
) -> None:
    """As after its key was removed from the config, or its token expired: the next page says so, and forgets it."""
    removed = base64.urlsafe_b64encode(b"a-key-removed-from-the-config-0123").decode()
    kept_credential = {"journeys_console": f"session0123456789.{removed}"}
    forms.http.cookie_jar.update_cookies(kept_credential, URL(console_server.base_url))
    async with forms.http.get(console_server.url("/console/"), headers={"Accept": "text/html"}) as answer:
        assert answer.url.path == "/console/login"
        page = await answer.text()
    assert "Signed out: the credential is not a key of any configured client." in page
    kept = {cookie.key: cookie.value for cookie in forms.http.cookie_jar}
    assert kept["journeys_console"] == "session0123456789"
