"""The layering rule: HTTP -> server -> engine -> store, and nothing imports a layer above itself.

`journeys.server` serves the documents `journeys.contracts` writes, so the contracts (like the engine, the store
and everything else the server builds on) must never import the server back: what both need lives in
`journeys.http_api`, below both. The engine speaks no HTTP (no aiohttp; outbound calls go through
`journeys.connectors`), and the server writes no SQL (no sqlalchemy; it asks the engine). The operator command
line (`journeys.admin`) is a client of the HTTP API beside them all, importing none of them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "journeys"
# Everything the server builds on; only `journeys/server` and the CLI entry point may import the server.
BELOW_THE_SERVER = (
    "connectors",
    "contracts",
    "credentials",
    "definitions",
    "engine",
    "expressions",
    "store",
    "http_api.py",
    "outages.py",
    "settings_blocks.py",
)
# Layers and the top-level packages none of their modules may import (each name covers its submodules).
FORBIDDEN = [
    pytest.param(BELOW_THE_SERVER, "journeys.server", id="nothing-below-the-server-imports-it"),
    pytest.param(("engine",), "aiohttp", id="the-engine-never-imports-aiohttp"),
    pytest.param(("server",), "sqlalchemy", id="the-server-never-imports-sqlalchemy"),
    pytest.param(("store",), "journeys.engine", id="the-store-never-imports-the-engine"),
    pytest.param(("http_api.py",), "journeys", id="the-http-api-constants-import-nothing-of-journeys"),
]


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (a lazy import inside a function counts too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(parts: tuple[str, ...]) -> list[Path]:
    paths: list[Path] = []
    for part in parts:
        target = PACKAGE / part
        assert target.exists(), f"{target} is gone: update the layers in this test"
        paths += sorted(target.rglob("*.py")) if target.is_dir() else [target]
    return paths


@pytest.mark.parametrize(("layers", "forbidden"), FORBIDDEN)
def test_a_layer_imports_only_what_the_rule_allows(layers: tuple[str, ...], forbidden: str) -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in _modules(layers)
        for module in _imports(path)
        if module == forbidden or module.startswith(f"{forbidden}.")
    }
    assert not offenders, "\n".join(sorted(offenders))


# Clients of the HTTP API, and the only modules of `journeys` each may import: the operator command line speaks
# to a running server as any script would, so it cannot lean on the engine, the store or the server.
API_CLIENTS = [
    pytest.param("admin", ("journeys.admin", "journeys.http_api"), id="the-operator-cli-imports-only-the-http-api"),
]


@pytest.mark.parametrize(("layer", "allowed"), API_CLIENTS)
def test_an_api_client_imports_nothing_else_of_journeys(layer: str, allowed: tuple[str, ...]) -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in _modules((layer,))
        for module in _imports(path)
        if (module == "journeys" or module.startswith("journeys."))
        and not any(module == ok or module.startswith(f"{ok}.") for ok in allowed)
    }
    assert not offenders, "\n".join(sorted(offenders))


def test_relative_imports_cannot_hide_an_edge() -> None:
    """The checks above read absolute imports only; the project writes no relative ones, and this keeps it so."""
    relative = {
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.level > 0
    }
    assert not relative, "\n".join(sorted(relative))
