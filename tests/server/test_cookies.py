"""`spec.cookies` end to end: downstream `Set-Cookie`s fill the run's jar, later calls carry them, and the chosen ones
reach the caller of a successful run, on a live server calling a real stub service."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.server.api_stubs import API_FIXTURES, Downstream, downstream, serve
from tests.support import SHARED_EXAMPLES, LiveServer, needs_shared_examples

__all__ = ["downstream"]  # the fixture, used by name

SESSION_PROFILE = API_FIXTURES / "session-profile.journey.yaml"


async def _post(server: LiveServer, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    """(status, parsed body, every Set-Cookie value) of a POST."""
    async with server.http.post(server.url(path), json=body, headers=headers or {}) as response:
        return response.status, await response.json(content_type=None), response.headers.getall("Set-Cookie", [])


def _cookies_sent(stub: Downstream, path: str) -> set[str]:
    return {pair.strip() for pair in stub.headers_of(path).get("Cookie", "").split(";") if pair.strip()}


@needs_shared_examples
async def test_the_http_cookie_jar_example_carries_the_session_and_returns_it(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream
) -> None:
    example = SHARED_EXAMPLES / "http-cookie-jar" / "http-cookie-jar.journey.yaml"
    server = await serve(start_server, sqlite_url, downstream, example)
    retry = {"Idempotency-Key": "login-1"}

    status, outcome, set_cookies = await _post(server, "/api/v1/journeys/http-cookie-jar/start", {}, retry)
    again = await _post(server, "/api/v1/journeys/http-cookie-jar/start", {}, retry)

    assert status == 200 and outcome["phase"] == "Succeeded", outcome
    assert outcome["output"]["body"] == {"name": "Ada"}
    assert _cookies_sent(downstream, "/profile") == {"session=s-1", "prefs=dark"}  # not the foreign tracker
    assert set_cookies == ["session=s-1; Path=/; Secure; HttpOnly"]  # returnToClient: filtered to `session`
    record = await server.engine.store.get(outcome["journeyId"])
    assert record is not None and "Set-Cookie" not in record.context["loginResult"]["headers"]  # never stored
    assert again[1] == outcome and again[2] == []  # a replayed start has no cookies to give


async def test_an_api_returns_the_jar_and_its_deletions_on_success(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream
) -> None:
    server = await serve(start_server, sqlite_url, downstream, SESSION_PROFILE)

    status, body, set_cookies = await _post(server, "/api/v1/apis/session-profile", {})

    assert (status, body["body"]) == (200, {"name": "Ada"})
    assert _cookies_sent(downstream, "/profile") == {"session=s-1", "prefs=dark"}
    assert set_cookies == ["session=s-1; Path=/; Secure; HttpOnly", "prefs=dark; Path=/", "old=; Path=/; Max-Age=0"]


async def test_a_call_without_the_jar_gets_no_cookies_and_a_failed_run_returns_none(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream, tmp_path: Path
) -> None:
    text = SESSION_PROFILE.read_text().replace(
        "        url: https://api.example.com/profile\n",
        "        url: https://api.example.com/profile\n        cookies: { useJar: false }\n",
    )
    (tmp_path / "session-profile.journey.yaml").write_text(text)
    server = await serve(start_server, sqlite_url, downstream, tmp_path)

    status, problem, set_cookies = await _post(server, "/api/v1/apis/session-profile", {})

    assert "Cookie" not in downstream.headers_of("/profile")
    assert (status, problem["type"], set_cookies) == (500, "PROFILE_REFUSED", [])
