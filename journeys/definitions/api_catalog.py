"""`spec.apis`: the OpenAPI documents an `httpCall:v1` task's `operationRef: <api>.<operationId>` names.

Each `openApiRef` is read once at load and reduced to what a call needs: the method, the first
server URL and the path template of every operation. A relative reference is looked up next to the
definition file and then in each parent directory, so a catalogue of shared API documents can sit at the
root of a repository of journeys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class ApiCatalogError(ValueError):
    """The referenced OpenAPI document is missing or unusable; the message says why."""


@dataclass(frozen=True, slots=True)
class ApiOperation:
    method: str
    server_url: str
    path: str
    required_path_params: frozenset[str]


def locate_api_document(reference: str, definition_file: Path) -> Path:
    """The file an `openApiRef` names (also used by `journeys test` to serve the document's operations)."""
    candidate = Path(reference)
    if candidate.is_absolute():
        if candidate.is_file():
            return candidate
        raise ApiCatalogError(f"'{reference}' does not exist")
    for directory in (definition_file.resolve().parent, *definition_file.resolve().parents):
        if (directory / candidate).is_file():
            return directory / candidate
    raise ApiCatalogError(f"'{reference}' was not found next to the definition or in any parent directory")


def _operations(document: Any, source: Path) -> dict[str, ApiOperation]:
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise ApiCatalogError(f"{source} is not an OpenAPI document with 'paths'")
    servers = document.get("servers") or [{}]
    server_url = str(servers[0].get("url", "")).rstrip("/")
    operations: dict[str, ApiOperation] = {}
    for path, item in document["paths"].items():
        if not isinstance(item, dict):
            continue
        shared = [p for p in item.get("parameters", []) if isinstance(p, dict)]
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            parameters = shared + [p for p in operation.get("parameters", []) if isinstance(p, dict)]
            required = frozenset(str(p["name"]) for p in parameters if p.get("in") == "path" and "name" in p)
            operations[str(operation["operationId"])] = ApiOperation(method.upper(), server_url, str(path), required)
    return operations


def load_api_catalog(reference: str, definition_file: Path) -> dict[str, ApiOperation]:
    """operationId -> operation of the OpenAPI document `reference` names, relative to `definition_file`."""
    source = locate_api_document(reference, definition_file)
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ApiCatalogError(f"cannot read {source}: {error}") from error
    return _operations(document, source)
