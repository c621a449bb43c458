"""A live server with the clients of `clients.py` configured."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.auth.clients import CLIENT_AUTH
from tests.support import LiveServer


@pytest.fixture
async def auth_server(start_server: Callable[..., object], database_url: str) -> LiveServer:
    return await start_server(database_url, client_auth=CLIENT_AUTH)  # type: ignore[misc]
