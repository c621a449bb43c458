"""An Arazzo document for the contract runner: read, checked, and prepared with its sources for arazzo-runner.

`contract_runner` runs the workflows; this module is everything done before the first request, so that a
document that cannot be run is a usage error (ContractDocumentError) and not a failed workflow. It works around
the runner gaps that concern the document and its source descriptions (numbered as in `contract_runner`):

1. relative server URLs are resolved against the server under test, in memory (`load_sources`);
3. the object form of a criterion's `type` is rewritten to the string form (`prepared`);
4. `$response.body#/a/b` in a condition is rewritten to the dot form `$response.body.a.b` (`prepared`), the
   original kept under ORIGINAL_CONDITION so reports quote what the document says.

It also reads which operations a Journeys server publishes (`served_operations`), so a workflow calling one the
server does not have is skipped rather than failed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import yaml
from arazzo_runner.utils import load_source_descriptions

ORIGINAL_CONDITION = "x-journeys-original-condition"

_BODY_POINTER = re.compile(r"\$response\.body#((?:/\w+)+)(?=[\s)=!<>]|$)")
_PATH_PARAMETER = re.compile(r"\{[^}]*\}")
_HTTP_METHODS = frozenset(("get", "put", "post", "delete", "options", "head", "patch", "trace"))


class ContractDocumentError(Exception):
    """An Arazzo document (or a source description it names) cannot be read: a usage error, not a failure."""


@dataclass(frozen=True, slots=True)
class ArazzoDocument:
    """A document and where it is: its relative source description URLs resolve against `path`."""

    path: Path
    content: Mapping[str, Any]

    @classmethod
    def load(cls, path: str | Path) -> ArazzoDocument:
        """Read and sanity-check a document; raise ContractDocumentError saying what is wrong."""
        path = Path(path)
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise ContractDocumentError(f"{path}: cannot read the Arazzo document: {error}") from error
        document = cls(path, content)
        document._check()
        return document

    def _check(self) -> None:
        """Fail before any request is sent: the document's shape, and source files that must exist."""
        content, path = self.content, self.path
        if not isinstance(content, Mapping) or not isinstance(content.get("workflows"), list):
            raise ContractDocumentError(f"{path}: not an Arazzo document (no 'workflows' list)")
        sources = content.get("sourceDescriptions")
        if not isinstance(sources, list) or not sources:
            raise ContractDocumentError(f"{path}: no sourceDescriptions")
        for source in sources:
            url = str(source.get("url", "")) if isinstance(source, Mapping) else ""
            if not url or (not urlsplit(url).scheme and not (path.parent / url).is_file()):
                raise ContractDocumentError(f"{path}: source description {source!r} is not a readable file")


def prepared(content: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the document with every criterion in a form the runner evaluates faithfully."""
    prepared = copy.deepcopy(dict(content))
    _fix_criteria(prepared)
    return prepared


def _fix_criteria(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _fix_criteria(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("successCriteria", "criteria") and isinstance(value, list):
            for criterion in value:
                if isinstance(criterion, dict) and "condition" in criterion:
                    _fix_criterion(criterion)
        else:
            _fix_criteria(value)


def _fix_criterion(criterion: dict[str, Any]) -> None:
    kind = criterion.get("type", "simple")
    if isinstance(kind, Mapping):
        criterion["type"] = kind = kind.get("type", "simple")
    condition = criterion["condition"]
    if kind == "simple" and isinstance(condition, str):
        rewritten = _BODY_POINTER.sub(lambda match: "$response.body" + match[1].replace("/", "."), condition)
        if rewritten != condition:
            criterion["condition"], criterion[ORIGINAL_CONDITION] = rewritten, condition


def load_sources(
    document: ArazzoDocument, content: Mapping[str, Any], base_url: str, session: requests.Session
) -> dict[str, Any]:
    try:
        sources = load_source_descriptions(content, str(document.path), "", session)
    except (OSError, ValueError) as error:
        raise ContractDocumentError(f"{document.path}: cannot load a source description: {error}") from error
    missing = {str(source.get("name")) for source in content["sourceDescriptions"]} - set(sources)
    if missing:
        raise ContractDocumentError(f"{document.path}: cannot load source descriptions {sorted(missing)}")
    for api in sources.values():
        servers = api.get("servers") or [{"url": "/"}]
        api["servers"] = [{**server, "url": _against(base_url, str(server.get("url", "/")))} for server in servers]
    return sources


def served_operations(session: requests.Session, server_url: str) -> set[tuple[str, str]] | None:
    """(method, path template) of every operation the server publishes in `<server URL>/openapi.json`, as a
    Journeys server does for the journeys it loaded; None when it publishes no such document."""
    try:
        response = session.get(server_url.rstrip("/") + "/openapi.json", timeout=30)
        api = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
    paths = api.get("paths") if isinstance(api, Mapping) else None
    if not isinstance(paths, Mapping):
        return None
    return {
        (method.lower(), path_template(path))
        for path, item in paths.items()
        if isinstance(item, Mapping)
        for method in item
        if method.lower() in _HTTP_METHODS
    }


def path_template(path: str) -> str:
    """A path template with its parameter names erased: `/journeys/{id}` and `/journeys/{journeyId}` match."""
    return _PATH_PARAMETER.sub("{}", path)


def _against(base_url: str, server_url: str) -> str:
    """`server_url` on the server at `base_url`: relative URLs resolve against it, absolute ones move to it."""
    parts = urlsplit(server_url)
    return urljoin(base_url.rstrip("/") + "/", parts.path if parts.netloc else server_url)
