"""The API's contract, served by the API itself: generated OpenAPI documents and an interactive docs page.

- `GET /api/v1/openapi.json`: the whole API with every loaded journey and inbound source (what schemathesis
  fuzzes);
- `GET /api/v1/journeys/{journeyName}/openapi.json`: one journey's document, as `journeys export openapi`
  writes it;
- `GET /api/v1/docs`: Swagger UI over those documents. Its assets come from the `openapi-ui-bundles` package
  and are served from `/api/v1/docs/static/`, so the page works on a host without internet access.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from string import Template
from typing import Any

import orjson
from aiohttp import web
from openapi_ui_bundles import swagger_ui

from journeys.contracts.openapi_export import export_api_openapi, export_openapi
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import JourneyDefinition
from journeys.http_api import API_PREFIX
from journeys.server.app_keys import ENGINE
from journeys.server.auth import Access, guard
from journeys.server.problems import ProblemError

DOCS_STATIC = f"{API_PREFIX}/docs/static"
# The files are served by name from this fixed set: no path from a request ever reaches the file system, and a
# miss is a problem document like every other error (aiohttp's static route answers a bare 404).
_DOCS_ASSETS = {path.name: path for path in Path(swagger_ui.static_path).iterdir() if path.is_file()}

_DOCS_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Journeys API</title>
  <link rel="stylesheet" href="$static/swagger-ui.css">
  <link rel="stylesheet" href="$static/index.css">
  <link rel="icon" type="image/png" href="$static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="$static/swagger-ui-bundle.js"></script>
  <script src="$static/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      urls: $urls,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    });
  </script>
</body>
</html>
""")


class ContractDocuments:
    """The generated documents as JSON, each built once on first request, and again after a reload.

    Definitions change only by a reload, and generating a document (validation included) costs far more than
    serving it.
    """

    def __init__(self) -> None:
        self._built: dict[str | None, bytes] = {}

    def clear(self) -> None:
        """The definitions were reloaded: build each document again when next asked."""
        self._built = {}

    async def get(self, key: str | None, build: Callable[[], dict[str, Any]]) -> bytes:
        built = self._built  # a reload during the build replaces the dict: the stale document goes to the old one
        if key not in built:
            # In a thread: validating a large document would otherwise stall every request in flight.
            built[key] = orjson.dumps(await asyncio.to_thread(build))
        return built[key]


CONTRACT_DOCUMENTS: web.AppKey[ContractDocuments] = web.AppKey("contract_documents", ContractDocuments)


def _definitions(request: web.Request) -> Mapping[str, JourneyDefinition]:
    return request.app[ENGINE].definitions


def _sources(request: web.Request) -> Mapping[str, InboundSource]:
    return request.app[ENGINE].inbound.sources


async def get_api_openapi(request: web.Request) -> web.Response:
    definitions, sources = {**_definitions(request), **request.app[ENGINE].apis.definitions}, _sources(request)
    body = await request.app[CONTRACT_DOCUMENTS].get(None, lambda: export_api_openapi(definitions, sources))
    return web.Response(body=body, content_type="application/json")


async def get_journey_openapi(request: web.Request) -> web.Response:
    name = request.match_info["journeyName"]
    definition = _definitions(request).get(name)
    if definition is None:
        raise ProblemError(
            404, "journey-definition-not-found", "Journey definition not found", f"no journey named '{name}' is loaded"
        )
    sources = _sources(request)
    body = await request.app[CONTRACT_DOCUMENTS].get(name, lambda: export_openapi(definition, sources))
    return web.Response(body=body, content_type="application/json")


async def get_docs(request: web.Request) -> web.Response:
    documents = [{"url": f"{API_PREFIX}/openapi.json", "name": "Journeys API"}]
    documents += [{"url": f"{API_PREFIX}/journeys/{n}/openapi.json", "name": n} for n in sorted(_definitions(request))]
    # The list is embedded in a <script>: never let a value close it.
    urls = orjson.dumps(documents).decode().replace("</", "<\\/")
    return web.Response(text=_DOCS_PAGE.substitute(static=DOCS_STATIC, urls=urls), content_type="text/html")


async def get_docs_asset(request: web.Request) -> web.FileResponse:
    asset = _DOCS_ASSETS.get(request.match_info["name"])
    if asset is None:
        raise ProblemError(404, "not-found", "Not found", f"no resource at {request.path}")
    return web.FileResponse(asset)


def add_contract_routes(app: web.Application) -> None:
    """Public: the documents describe the loaded definitions and hold no journey data."""
    app[CONTRACT_DOCUMENTS] = ContractDocuments()
    guard(app, app.router.add_get(f"{API_PREFIX}/openapi.json", get_api_openapi), Access.PUBLIC)
    journey_document = app.router.add_get(f"{API_PREFIX}/journeys/{{journeyName}}/openapi.json", get_journey_openapi)
    guard(app, journey_document, Access.PUBLIC)
    guard(app, app.router.add_get(f"{API_PREFIX}/docs", get_docs), Access.PUBLIC)
    guard(app, app.router.add_get(f"{DOCS_STATIC}/{{name}}", get_docs_asset), Access.PUBLIC)
