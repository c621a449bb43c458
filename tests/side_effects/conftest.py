"""Journeys that use `cache:v1` and `kafkaPublish:v1`, served by a live server on the test's database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import LiveServer

JOURNEYS = Path(__file__).parent / "journeys"


@pytest.fixture
async def served(start_server: Callable[..., Any], database_url: str) -> LiveServer:
    server: LiveServer = await start_server(database_url, definitions=(JOURNEYS,))
    return server
