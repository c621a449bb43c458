"""Edges of the HTTP surface that fuzzing the published contract found: what the server answers for an unsupported
method, a path with raw characters, and numeric query parameters that are not numbers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.server.helpers import call
from tests.support import LiveServer


@pytest.fixture
async def live(start_server: Callable[..., Awaitable[LiveServer]], sqlite_url: str) -> LiveServer:
    return await start_server(sqlite_url)


async def test_an_unsupported_method_is_a_405_problem_naming_the_allowed_methods(live: LiveServer) -> None:
    async with live.http.delete(live.url("/api/v1/journeys/some-id/result")) as response:
        assert (response.status, response.content_type) == (405, "application/problem+json")
        assert set(response.headers["Allow"].split(",")) >= {"GET"}
        assert (await response.json())["status"] == 405


async def test_the_problem_instance_is_a_uri_reference_even_for_raw_characters(live: LiveServer) -> None:
    status, problem, _ = await call(live, "GET", "/api/v1/journeys/a%20b%C3%A9/history")
    assert status == 404
    assert problem["instance"] == "/api/v1/journeys/a%20b%C3%A9/history"
    assert problem["detail"] == "no journey with id 'a bé'"


@pytest.mark.parametrize(
    "query",
    ["limit=1.5", "limit=", "limit=0", "limit=501", "limit=ten", "waitSeconds=", "waitSeconds=nan", "waitSeconds=61"],
)
async def test_a_numeric_query_parameter_must_be_a_number_in_range(live: LiveServer, query: str) -> None:
    path = f"/api/v1/journeys?{query}" if query.startswith("limit") else f"/api/v1/journeys/any/result?{query}"
    status, problem, content_type = await call(live, "GET", path)
    assert (status, content_type, problem["type"]) == (
        400,
        "application/problem+json",
        "urn:journeys:problem:invalid-query",
    )


@pytest.mark.parametrize("query", ["limit=500", "limit=1", "phase=running", "phase=FAILED", "phase="])
async def test_valid_list_filters_are_accepted(live: LiveServer, query: str) -> None:
    status, page, _ = await call(live, "GET", f"/api/v1/journeys?{query}")
    assert status == 200 and page["items"] == []
