"""What the stub servers of a scenario answer for: the operations of the journey's `spec.apis` documents.

Each operation is matched by method, origin and path template, and knows its default answer: the lowest 2xx
response of the document, with the media type's example or a value generated from its schema
(`journeys.contracts.schema_examples`), so a scenario scripts only the answers it is about. Scenario keys name an
operation as `api.operationId`, `operationId` (when unique), or `METHOD /path` / `METHOD https://host/path` for a
URL no document describes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from journeys.contracts.schema_examples import example_value
from journeys.definitions.api_catalog import HTTP_METHODS, ApiCatalogError, locate_api_document
from journeys.definitions.model import JourneyDefinition
from journeys.scenarios.scenario_model import ScenarioFormatError, ScriptedResponse

_ORIGIN = re.compile(r"^(https?://[^/?#$]+)")
_PLACEHOLDER = re.compile(r"\{[^/{}]+\}")
_ROUTE_KEY = re.compile(r"^([A-Za-z]+)\s+(\S+)$")


@dataclass(frozen=True, slots=True)
class StubOperation:
    """An endpoint the stubs serve. `origin` None: any origin (a scripted `METHOD /path` route)."""

    key: str
    method: str
    origin: str | None
    template: str
    default: ScriptedResponse

    @property
    def pattern(self) -> re.Pattern[str]:
        parts = _PLACEHOLDER.split(self.template)
        return re.compile("^" + "[^/]+".join(re.escape(part) for part in parts) + "/?$")

    def matches(self, method: str, origin: str, path: str) -> bool:
        if method != self.method or (self.origin is not None and origin != self.origin):
            return False
        return bool(self.pattern.match(path))


def _json_media(content: Any) -> Mapping[str, Any] | None:
    if not isinstance(content, dict):
        return None
    for media_type, media in content.items():
        if "json" in str(media_type).lower() and isinstance(media, dict):
            return media
    return None


def default_response(operation: Mapping[str, Any], document: Mapping[str, Any]) -> ScriptedResponse:
    """The answer of an operation no scenario scripted: its lowest documented 2xx, with an example body."""
    responses = operation.get("responses") if isinstance(operation.get("responses"), dict) else {}
    codes = sorted(int(code) for code in responses if str(code).isdigit() and 200 <= int(code) < 300)
    code = codes[0] if codes else 200
    response = responses.get(str(code), responses.get(code, {})) if codes else {}
    media = _json_media(response.get("content") if isinstance(response, dict) else None)
    if media is None or code == 204:
        return ScriptedResponse(status=code)
    if "example" in media:
        body = media["example"]
    elif isinstance(media.get("examples"), dict) and media["examples"]:
        first = next(iter(media["examples"].values()))
        body = first.get("value") if isinstance(first, dict) else first
    else:
        body = example_value(media.get("schema", {}), document)
    return ScriptedResponse(status=code, body=body, has_body=True)


def _document_operations(api: str, document: Any, source: Path) -> list[StubOperation]:
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise ScenarioFormatError(f"{source} is not an OpenAPI document with 'paths'")
    servers = document.get("servers") or [{}]
    server = urlsplit(str(servers[0].get("url", "")))
    origin = f"{server.scheme}://{server.netloc}" if server.netloc else None
    operations = []
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict) and "operationId" in operation:
                key = f"{api}.{operation['operationId']}"
                default = default_response(operation, document)
                template = server.path.rstrip("/") + str(path)
                operations.append(StubOperation(key, method.upper(), origin, template, default))
    return operations


def _http_call_origins(node: Any) -> Iterable[str]:
    """The literal origins of the `url`s of every httpCall task, at any depth of the document."""
    if isinstance(node, dict):
        if str(node.get("kind", "")).startswith("httpCall") and isinstance(node.get("url"), str):
            found = _ORIGIN.match(node["url"])
            if found:
                yield found.group(1)
        for value in node.values():
            yield from _http_call_origins(value)
    elif isinstance(node, list):
        for value in node:
            yield from _http_call_origins(value)


class StubCatalog:
    """The origins the journey calls and the operations served on them, in match order."""

    def __init__(self, origins: list[str], operations: list[StubOperation]) -> None:
        self.origins = origins
        # Literal paths before templated ones: `/items/search` must not be taken by `/items/{id}`.
        self.operations = sorted(operations, key=lambda op: len(_PLACEHOLDER.findall(op.template)))

    @classmethod
    def of(cls, definition: JourneyDefinition, configured: Mapping[str, Any] | None = None) -> StubCatalog:
        """The catalogue of `definition`; `configured` (its platform config values) may hold base URLs too."""
        spec = definition.raw.get("spec") if isinstance(definition.raw.get("spec"), dict) else {}
        operations: list[StubOperation] = []
        for api, entry in (spec.get("apis") or {}).items():
            reference = entry.get("openApiRef") if isinstance(entry, dict) else None
            if not isinstance(reference, str):
                continue
            try:
                source = locate_api_document(reference, definition.source)
                document = yaml.safe_load(source.read_text(encoding="utf-8"))
            except (ApiCatalogError, OSError, yaml.YAMLError) as error:
                raise ScenarioFormatError(f"{definition.source}: spec.apis.{api}: {error}") from error
            operations += _document_operations(str(api), document, source)
        origins = [op.origin for op in operations if op.origin] + list(_http_call_origins(spec.get("states")))
        origins += [found.group(1) for value in (configured or {}).values() if (found := _ORIGIN.match(str(value)))]
        return cls(list(dict.fromkeys(origins)), operations)

    def operation(self, method: str, origin: str, path: str) -> StubOperation | None:
        return next((op for op in self.operations if op.matches(method, origin, path)), None)

    def resolve(self, key: str) -> StubOperation:
        """The operation a scenario's `responses` key names, adding a route for a `METHOD /path` key."""
        exact = [op for op in self.operations if op.key == key]
        by_id = [op for op in self.operations if op.key.split(".", 1)[-1] == key and "." in op.key]
        if exact or len(by_id) == 1:
            return (exact or by_id)[0]
        if len(by_id) > 1:
            raise ValueError(f"'{key}' names operations of several APIs: write one of {[op.key for op in by_id]}")
        route = _ROUTE_KEY.match(key)
        if route is None:
            known = ", ".join(op.key for op in self.operations) or "none: spec.apis is empty"
            raise ValueError(f"no operation '{key}' (known: {known}); a URL no document has is 'GET /path'")
        method, target = route.group(1).upper(), route.group(2)
        parts = urlsplit(target)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else None
        if origin is not None and origin not in self.origins:
            self.origins.append(origin)
        # Matched before the documents' operations: the scenario's script wins, on every origin for a bare path.
        added = StubOperation(key, method, origin, parts.path or "/", ScriptedResponse(status=200))
        self.operations.insert(0, added)
        return added
