"""The answers the server gives whatever the operation are in the published documents, so a generated client
knows them: 503 `database-unavailable` with `Retry-After` on every operation (they all read or write the
database), and 408 (slow request), 415 (unsupported `Content-Encoding`) and a 400 on every operation that takes
a body. A journey's own document and the whole API's alike."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from journeys.contracts.openapi_export import export_api_openapi, export_openapi
from journeys.definitions import load_catalog
from tests.support import SHIPPED_DEFINITIONS, TEST_DEFINITIONS

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


WHOLE_API = "the whole API"
DOCUMENTS = (WHOLE_API, "payment-callback", "fixture-shared-secret-order")  # the others: a journey's own


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    definitions, sources = load_catalog([SHIPPED_DEFINITIONS, TEST_DEFINITIONS])
    exported = {WHOLE_API: export_api_openapi(definitions, sources)}
    for name in DOCUMENTS[1:]:
        exported[name] = export_openapi(definitions[name], sources)
    return exported


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_operation_documents_the_database_outage(documents: dict[str, Any], document: str) -> None:
    for where, operation in _operations(documents[document]):
        unavailable = operation["responses"].get("503")
        assert unavailable is not None, where
        assert "`database-unavailable`" in unavailable["description"], where
        assert unavailable["content"] == PROBLEM and "Retry-After" in unavailable["headers"], where


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_operation_that_takes_a_body_documents_what_reading_it_can_answer(
    documents: dict[str, Any], document: str
) -> None:
    bodies = [(where, operation) for where, operation in _operations(documents[document]) if "requestBody" in operation]
    assert bodies
    for where, operation in bodies:
        responses = operation["responses"]
        assert {"400", "408", "415"} <= set(responses), where
        assert "`body-timeout`" in responses["408"]["description"], where
        assert "Accept-Encoding" in responses["415"]["headers"], where
        assert all(responses[status]["content"] == PROBLEM for status in ("400", "408", "415")), where
        assert list(responses) == sorted(responses), where


def test_an_operation_keeps_its_own_503_and_400_and_adds_the_outage_to_them(documents: dict[str, Any]) -> None:
    api = documents[WHOLE_API]
    delivery = api["paths"]["/inbound/fixture-shared-secret"]["post"]["responses"]
    assert "kept changing" in delivery["503"]["description"]  # the journey was busy, as before
    assert "`database-unavailable`" in delivery["503"]["description"]
    assert "Journeys-Delivery-Id" in delivery["503"]["headers"]
    start = api["paths"]["/journeys/payment-callback/start"]["post"]["responses"]
    assert "input schema" in start["400"]["description"]
    reads = [operation for _, operation in _operations(api) if "requestBody" not in operation]
    assert reads and not any({"408", "415"} & set(operation["responses"]) for operation in reads)
