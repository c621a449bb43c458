"""`spec.platform.config`: values from the server config bound at `platform.config.*`, checked at start-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journeys.definitions import load_catalog
from journeys.engine import JourneyEngine
from journeys.engine.platform_binding import PlatformConfigError
from journeys.server.config import ConfigError, load_config
from journeys.store import JourneyStore
from tests.server.helpers import call

JOURNEY = """\
apiVersion: v1
kind: Journey
metadata: { name: verify-link, version: "1" }
spec:
  platform:
    config:
      publicBaseUrl: { type: string, required: true, description: "Base URL of user-facing links" }
      riskThreshold: { type: number }
      debug: { type: boolean }
  start: link
  states:
    link:
      type: transform
      transform:
        mapper:
          lang: dataweave
          expr: |
            {
              link: "$(platform.config.publicBaseUrl)/verify?token=$(token)",
              threshold: platform.config.riskThreshold default 0.8,
              config: platform.config,
              environment: platform.environment
            }
        target: { kind: var }
        resultVar: result
      next: done
    done: { type: succeed, outputVar: result }
"""


@pytest.fixture
def definitions(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "verify-link.journey.yaml").write_text(JOURNEY)
    return folder


async def test_configured_values_are_bound_at_platform_config(
    start_server: Callable[..., Any], sqlite_url: str, definitions: Path
) -> None:
    values = {"verify-link": {"publicBaseUrl": "https://app.example", "undeclared": "never bound"}}
    server = await start_server(sqlite_url, definitions=(definitions,), platform_config=values)
    status, outcome, _ = await call(server, "POST", "/api/v1/journeys/verify-link/start", {"token": "t-1"})
    assert status == 200, outcome
    assert outcome["output"] == {
        "link": "https://app.example/verify?token=t-1",
        "threshold": 0.8,
        "config": {"publicBaseUrl": "https://app.example"},  # only declared keys, never `undeclared`
        "environment": "local",
    }


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({}, "journey 'verify-link' requires platformConfig.verify-link.publicBaseUrl (string)"),
        ({"verify-link": {"publicBaseUrl": 5}}, "publicBaseUrl must be of type string, not a number (5)"),
        ({"verify-link": {"publicBaseUrl": "x", "riskThreshold": "high"}}, "riskThreshold must be of type number"),
        ({"verify-link": {"publicBaseUrl": "x", "debug": "yes"}}, "debug must be of type boolean"),
    ],
)
async def test_a_missing_or_mistyped_value_refuses_the_engine(
    sqlite_url: str, definitions: Path, values: dict[str, Any], fragment: str
) -> None:
    loaded, sources = load_catalog([definitions])
    store = await JourneyStore.open(sqlite_url)
    try:
        with pytest.raises(PlatformConfigError) as refused:
            JourneyEngine(loaded, store, {}, sources=sources, platform_config=values)
        assert fragment in refused.value.detail
    finally:
        await store.close()


def test_the_config_file_maps_journeys_to_their_values(tmp_path: Path) -> None:
    file = tmp_path / "journeys.yaml"
    file.write_text("platformConfig:\n  verify-link:\n    publicBaseUrl: https://app.example\n    riskThreshold: 0.5\n")
    config = load_config(config_file=file, environ={})
    assert config.platform_config == {"verify-link": {"publicBaseUrl": "https://app.example", "riskThreshold": 0.5}}


def test_the_environment_variable_holds_the_same_map_as_json() -> None:
    config = load_config(environ={"JOURNEYS_PLATFORM_CONFIG": '{"verify-link": {"publicBaseUrl": "https://x"}}'})
    assert config.platform_config == {"verify-link": {"publicBaseUrl": "https://x"}}
    with pytest.raises(ConfigError, match="JOURNEYS_PLATFORM_CONFIG must map journey names"):
        load_config(environ={"JOURNEYS_PLATFORM_CONFIG": '["x"]'})


def test_a_config_that_is_not_a_mapping_of_journeys_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "journeys.yaml"
    file.write_text("platformConfig:\n  verify-link: https://app.example\n")
    with pytest.raises(ConfigError, match="platformConfig must map journey names"):
        load_config(config_file=file, environ={})


async def test_a_reload_adding_a_journey_whose_required_value_is_missing_is_refused(
    start_server: Callable[..., Any], sqlite_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "definitions"
    folder.mkdir()
    server = await start_server(sqlite_url, definitions=(folder,))
    (folder / "verify-link.journey.yaml").write_text(JOURNEY)
    status, problem, _ = await call(server, "POST", "/api/v1/definitions/reload")
    assert status == 422, problem
    assert any("requires platformConfig.verify-link.publicBaseUrl" in p for p in problem["problems"])
    status, _, _ = await call(server, "POST", "/api/v1/journeys/verify-link/start", {"token": "t"})
    assert status == 404  # the previous set stays loaded
