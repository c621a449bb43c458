"""The accounts stub the server tests run `account-opening` against, shared with these tests."""

from tests.server.conftest import stub  # noqa: F401 (a fixture: pytest finds it by name)
