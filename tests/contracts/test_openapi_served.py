"""The server publishes its own contract: the generated OpenAPI documents and a Swagger UI page that works offline."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest

from journeys.contracts.export_command import load_with_sources
from journeys.contracts.openapi_export import export_api_openapi, export_openapi
from journeys.definitions import load_catalog
from tests.support import SHIPPED_DEFINITIONS, TEST_DEFINITIONS, LiveServer


@pytest.fixture
async def live(start_server: Callable[..., Awaitable[LiveServer]], sqlite_url: str) -> LiveServer:
    return await start_server(sqlite_url)


async def _get(live: LiveServer, path: str) -> tuple[int, str, bytes]:
    async with live.http.get(live.url(path)) as response:
        return response.status, response.content_type, await response.read()


async def test_the_api_document_is_generated_from_the_loaded_definitions(live: LiveServer) -> None:
    async with live.http.get(live.url("/api/v1/openapi.json")) as response:
        assert (response.status, response.content_type) == (200, "application/json")
        api = await response.json()
    definitions, sources = load_catalog([SHIPPED_DEFINITIONS, TEST_DEFINITIONS])
    assert (set(live.engine.definitions), set(live.engine.inbound.sources)) == (set(definitions), set(sources))
    assert api == export_api_openapi(definitions, sources)
    # Every loaded source has its own fixed URL in the document.
    assert {path for path in api["paths"] if path.startswith("/inbound/")} == {
        *(f"/inbound/{name}" for name in sources),
        "/inbound/deliveries",
        "/inbound/deliveries/{deliveryId}",
        "/inbound/deliveries/{deliveryId}/replay",
        "/inbound/stats",
    }


async def test_a_journey_document_is_what_the_export_command_writes(live: LiveServer) -> None:
    for name, definition in live.engine.definitions.items():
        async with live.http.get(live.url(f"/api/v1/journeys/{name}/openapi.json")) as response:
            assert (response.status, response.content_type) == (200, "application/json")
            assert await response.json() == export_openapi(definition, live.engine.inbound.sources)
    shipped = live.engine.definitions["midtrans-payment"].source
    async with live.http.get(live.url("/api/v1/journeys/midtrans-payment/openapi.json")) as response:
        assert await response.json() == export_openapi(*load_with_sources(shipped))


async def test_an_unknown_journey_has_no_document(live: LiveServer) -> None:
    async with live.http.get(live.url("/api/v1/journeys/no-such-journey/openapi.json")) as response:
        assert (response.status, response.content_type) == (404, "application/problem+json")
        problem = await response.json()
    assert problem["type"] == "urn:journeys:problem:journey-definition-not-found"
    assert problem["instance"] == "/api/v1/journeys/no-such-journey/openapi.json"


async def test_the_docs_page_offers_every_document(live: LiveServer) -> None:
    status, content_type, page = await _get(live, "/api/v1/docs")
    assert (status, content_type) == (200, "text/html")
    text = page.decode()
    assert '"url":"/api/v1/openapi.json"' in text
    for name in live.engine.definitions:
        assert f'"url":"/api/v1/journeys/{name}/openapi.json"' in text


async def test_the_docs_page_assets_are_served_by_the_server_itself(live: LiveServer) -> None:
    _, _, page = await _get(live, "/api/v1/docs")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.decode())
    assert all(asset.startswith("/api/v1/docs/static/") for asset in assets), assets  # nothing from the internet
    expected = {".js": "application/javascript", ".css": "text/css", ".png": "image/png"}
    assert {asset[asset.rindex(".") :] for asset in assets} == set(expected)
    for asset in assets:
        status, content_type, body = await _get(live, asset)
        assert (status, content_type) == (200, expected[asset[asset.rindex(".") :]]), asset
        assert body, asset
    _, _, bundle = await _get(live, "/api/v1/docs/static/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle


async def test_a_missing_asset_is_a_problem(live: LiveServer) -> None:
    status, content_type, _ = await _get(live, "/api/v1/docs/static/no-such-file.js")
    assert (status, content_type) == (404, "application/problem+json")
