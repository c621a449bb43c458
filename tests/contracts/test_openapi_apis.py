"""`kind: Api` in the served contract: the Api's operation is in `/api/v1/openapi.json` (which still validates), and
what the live server answers matches the statuses and schemas the document gives it."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from journeys.contracts.export_command import run_export
from journeys.contracts.openapi_export import export_api_openapi, export_openapi
from journeys.definitions import load_catalog, load_definition
from tests.server.api_stubs import API_FIXTURES, Downstream, downstream, serve
from tests.server.helpers import call
from tests.support import SHIPPED_DEFINITIONS, LiveServer

__all__ = ["downstream"]  # the fixture, used by name


def _schema(document: dict[str, Any], path: str, status: int, media_type: str) -> jsonschema_rs.Validator:
    """A validator of the documented body, its `$ref`s resolved against the document's components."""
    schema = document["paths"][path]["post"]["responses"][str(status)]["content"][media_type]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


async def _document(server: LiveServer) -> dict[str, Any]:
    async with server.http.get(server.url("/api/v1/openapi.json")) as response:
        assert response.status == 200
        return await response.json()  # type: ignore[no-any-return]


async def test_the_served_document_describes_the_api_and_its_answers_match_it(
    start_server: Callable[..., Any], sqlite_url: str, downstream: Downstream
) -> None:
    server = await serve(start_server, sqlite_url, downstream, SHIPPED_DEFINITIONS, API_FIXTURES)
    document = await _document(server)

    assert document == export_api_openapi(*load_catalog([SHIPPED_DEFINITIONS, API_FIXTURES]))
    operation = document["paths"]["/apis/user-lookup"]["post"]
    assert document["paths"]["/apis/users-lookup"]["post"]["responses"] == operation["responses"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UserLookupRequest"
    }
    assert {"200", "400", "404", "502", "default"} <= set(operation["responses"])  # 201: a statusExpr (default)
    assert "/journeys/user-lookup/start" not in document["paths"]

    tenant = {"X-Tenant-Id": "acme"}
    found = await call(server, "POST", "/api/v1/apis/user-lookup", {"userId": "u1"}, tenant)
    missing = await call(server, "POST", "/api/v1/apis/user-lookup", {"userId": "nobody"}, tenant)
    assert _schema(document, "/apis/user-lookup", 200, "application/json").is_valid(found[1])
    assert missing[0] == 404
    assert _schema(document, "/apis/user-lookup", 404, "application/problem+json").is_valid(missing[1])


def test_an_api_exports_as_a_document_of_its_own() -> None:
    document = export_openapi(load_definition(API_FIXTURES / "user-lookup.journey.yaml"))

    assert set(document["paths"]) == {"/apis/user-lookup", "/apis/users-lookup"}
    assert document["info"]["title"] == "user-lookup API"


def test_the_export_command_writes_an_apis_openapi_and_refuses_an_arazzo(tmp_path: Path) -> None:
    source = str(API_FIXTURES / "user-lookup.journey.yaml")
    errors = io.StringIO()

    assert run_export("openapi", source, str(tmp_path / "api.yaml"), out=io.StringIO()) == 0
    with contextlib.redirect_stderr(errors):
        assert run_export("arazzo", source, None, out=io.StringIO()) == 1

    assert "/apis/users-lookup" in yaml.safe_load((tmp_path / "api.yaml").read_text())["paths"]
    assert "not a workflow" in errors.getvalue()
