"""The stub servers of a scenario: scripted sequences, defaults from the OpenAPI document, ad-hoc routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from journeys.definitions import load_definition
from journeys.scenarios.durations import parse_duration
from journeys.scenarios.scenario_model import ScriptedResponse
from journeys.scenarios.stub_operations import StubCatalog
from journeys.scenarios.stubs import StubServer

JOURNEY = Path(__file__).parent / "fixtures" / "parcel-return.journey.yaml"


@pytest.fixture
async def catalog() -> StubCatalog:
    return StubCatalog.of(load_definition(JOURNEY))


async def _serve(catalog: StubCatalog, scripts: dict[str, list[ScriptedResponse]]) -> StubServer:
    stubs = StubServer(catalog, scripts)
    await stubs.start()
    return stubs


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _get(http: aiohttp.ClientSession, stubs: StubServer, url: str, method: str = "GET") -> tuple[int, Any]:
    """Send `url` (a production URL) through the stubs' rewrites, as the engine's outbound client does."""
    for origin, replacement in stubs.rewrites.items():
        if url.startswith(origin):
            url = replacement + url[len(origin) :]
    async with http.request(method, url, json={"x": 1} if method == "POST" else None) as response:
        return response.status, await response.json(content_type=None) if await response.read() else None


async def test_a_sequence_answers_in_order_and_its_last_answer_repeats(
    catalog: StubCatalog, http: aiohttp.ClientSession
) -> None:
    operation = catalog.resolve("getOrder")
    sequence = [ScriptedResponse(status=503), ScriptedResponse(status=200, body={"id": "o"}, has_body=True)]
    stubs = await _serve(catalog, {operation.key: sequence})
    try:
        answers = [await _get(http, stubs, "https://returns.example.test/v2/orders/o") for _ in range(3)]
    finally:
        await stubs.close()
    assert answers == [(503, None), (200, {"id": "o"}), (200, {"id": "o"})]
    assert [call.status for call in stubs.calls] == [503, 200, 200]
    assert stubs.calls[0].operation == "orders.getOrder" and stubs.calls[0].path == "/v2/orders/o"


async def test_unscripted_operations_answer_their_documented_default(
    catalog: StubCatalog, http: aiohttp.ClientSession
) -> None:
    stubs = await _serve(catalog, {})
    try:
        order = await _get(http, stubs, "https://returns.example.test/v2/orders/o")
        label = await _get(http, stubs, "https://returns.example.test/v2/orders/o/return-labels", "POST")
        unknown = await _get(http, stubs, "https://returns.example.test/v2/refunds")
    finally:
        await stubs.close()
    assert order == (200, {"id": "example", "status": "DELIVERED"})  # generated from the schema: required fields
    assert label == (201, {"labelId": "L-1", "carrier": "DHL"})  # the media type's example
    assert unknown[0] == 404 and "no stub operation for GET /v2/refunds" in unknown[1]["title"]
    assert stubs.calls[1].body == {"x": 1} and stubs.calls[2].operation is None


async def test_a_method_and_url_key_adds_a_route_for_a_host_no_document_describes(
    catalog: StubCatalog, http: aiohttp.ClientSession
) -> None:
    route = catalog.resolve("POST https://audit.example.test/events/{kind}")
    stubs = await _serve(catalog, {route.key: [ScriptedResponse(status=202)]})
    try:
        answer = await _get(http, stubs, "https://audit.example.test/events/return", "POST")
    finally:
        await stubs.close()
    assert answer == (202, None)
    assert stubs.calls[0].url == "https://audit.example.test/events/return"


def test_an_operation_id_of_two_apis_must_be_qualified(catalog: StubCatalog) -> None:
    twin = catalog.operations[0]
    catalog.operations.append(type(twin)("other.getOrder", twin.method, twin.origin, twin.template, twin.default))
    with pytest.raises(ValueError, match="names operations of several APIs"):
        catalog.resolve("getOrder")
    assert catalog.resolve("orders.getOrder").key == "orders.getOrder"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (90, timedelta(seconds=90)),
        ("1.5h", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("2h59m", timedelta(hours=2, minutes=59)),
        ("PT48H", timedelta(hours=48)),
        ("P1DT30M", timedelta(days=1, minutes=30)),
        ("250ms", timedelta(milliseconds=250)),
    ],
)
def test_durations(text: object, expected: timedelta) -> None:
    start = datetime(2026, 1, 31, tzinfo=UTC)
    assert parse_duration(text).after(start) - start == expected


def test_a_month_is_a_calendar_month_from_the_clock() -> None:
    assert parse_duration("P1M").after(datetime(2026, 1, 31, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)


@pytest.mark.parametrize("text", ["soon", "P", "PT", "-5", "5 parsecs", True])
def test_not_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
