"""The idempotency window: `idempotencyWindowHours` in the config file or JOURNEYS_IDEMPOTENCY_WINDOW_HOURS,
default 24 hours, reaching the engine of a server built from the config."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from journeys.server.app import build_app
from journeys.server.app_keys import ENGINE
from journeys.server.config import ConfigError, load_config
from tests.idempotency.support import DEFINITIONS


def test_the_window_defaults_to_a_day_and_is_read_from_file_then_environment(tmp_path: Path) -> None:
    assert load_config(environ={}).idempotency_window_hours == 24
    config_file = tmp_path / "server.yaml"
    config_file.write_text("idempotencyWindowHours: 2.5\n")
    assert load_config(config_file=str(config_file), environ={}).idempotency_window_hours == 2.5
    environ = {"JOURNEYS_IDEMPOTENCY_WINDOW_HOURS": "48"}
    assert load_config(config_file=str(config_file), environ=environ).idempotency_window_hours == 48


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf"])
def test_a_window_that_is_not_a_positive_number_of_hours_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="JOURNEYS_IDEMPOTENCY_WINDOW_HOURS must be a positive number of hours"):
        load_config(environ={"JOURNEYS_IDEMPOTENCY_WINDOW_HOURS": value})
    config_file = tmp_path / "server.yaml"
    config_file.write_text(f"idempotencyWindowHours: {value}\n")
    with pytest.raises(ConfigError, match="idempotencyWindowHours must be a positive number of hours"):
        load_config(config_file=str(config_file), environ={})


async def test_the_configured_window_is_the_engines(sqlite_url: str) -> None:
    config = load_config(
        environ={"JOURNEYS_IDEMPOTENCY_WINDOW_HOURS": "3"},
        overrides={"database_url": sqlite_url, "definitions": DEFINITIONS},
    )
    app = build_app(config)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        assert app[ENGINE].starts.window == timedelta(hours=3)
    finally:
        await runner.cleanup()
