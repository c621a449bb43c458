"""A small HTTP client of the Journeys API for the operator commands.

The operator token opens every journey, so it goes to one place only: the server named by `--server` (or
JOURNEYS_SERVER). Requests are built from that base URL and nothing else (ids are percent-encoded into one path
segment), and redirects are not followed: a redirect is reported, with where it points, and the operator decides
whether to pass that address instead. The token is never part of a message.

Every failure becomes an `AdminError` holding one line for a person: an RFC 9457 problem as its status, title and
detail; a connection that could not be made as the URL that could not be reached and why.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from journeys.http_api import API_PREFIX, PROBLEM_CONTENT_TYPE

DEFAULT_SERVER = "http://127.0.0.1:8080"
SERVER_ENV = "JOURNEYS_SERVER"
TOKEN_ENV = "JOURNEYS_TOKEN"
TIMEOUT_SECONDS = 60.0


class AdminError(Exception):
    """A command that could not be carried out: `message` is the line printed on stderr, `exit_status` 1."""

    exit_status = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(AdminError):
    """The command line itself is wrong (a server URL that is no URL, a token no header can carry): exit 2."""

    exit_status = 2


@dataclass(frozen=True)
class Target:
    """Where the commands go and what they authenticate with. `base_url` has no trailing slash."""

    base_url: str
    token: str | None = field(default=None, repr=False)


def given_token(token: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The token as given (`--token`, else JOURNEYS_TOKEN), surrounding whitespace removed; None when empty."""
    value = (token if token is not None else environ.get(TOKEN_ENV, "")).strip()
    return value or None


def resolve_target(server: str | None, token: str | None, environ: Mapping[str, str] = os.environ) -> Target:
    """The server and token from the command line, else the environment, else the local default server."""
    text = (server or environ.get(SERVER_ENV) or DEFAULT_SERVER).strip()
    # The value is not echoed: a mistyped one may hold a password or a token (`user:pass@`, `?token=`).
    given = f"--server (or {SERVER_ENV})"
    try:
        url = URL(text)
    except ValueError as error:
        raise UsageError(f"{given} is not a URL") from error
    if url.user is not None or url.password is not None:
        raise UsageError(f"{given} must not carry credentials: give the token with --token or {TOKEN_ENV}")
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(f"{given} must be an http:// or https:// URL with a host, e.g. {DEFAULT_SERVER}")
    if url.query_string or url.fragment:
        raise UsageError(f"{given} takes no query or fragment")
    secret = given_token(token, environ)
    if secret is not None and not (secret.isascii() and secret.isprintable()):
        raise UsageError("the token holds characters an HTTP header cannot carry (it must be visible ASCII)")
    return Target(str(url).rstrip("/"), secret)


def segment(value: str) -> str:
    """`value` as one path segment: a `/` or `?` in an id stays inside it and cannot reach another resource."""
    return quote(value, safe="")


def _problem_line(status: int, reason: str, body: bytes, *, authenticated: bool) -> str:
    """A refusal as one line: `403 Forbidden: <detail>` from a problem, the status line otherwise."""
    try:
        problem = orjson.loads(body)
    except orjson.JSONDecodeError:
        problem = None
    if not isinstance(problem, dict):
        return f"{status} {reason}"
    line = f"{status} {problem.get('title') or reason}"
    if problem.get("detail"):
        line += f": {problem['detail']}"
    errors = problem.get("errors")
    if isinstance(errors, list) and errors:
        line += f" ({'; '.join(str(error) for error in errors)})"
    if status == 401 and not authenticated:
        line += f" (pass --token or set {TOKEN_ENV})"
    return line


class AdminClient:
    """JSON requests to one Journeys server, under `/api/v1`, with its token."""

    def __init__(self, target: Target, session: aiohttp.ClientSession) -> None:
        self.target = target
        self._session = session

    @classmethod
    @asynccontextmanager
    async def connect(cls, target: Target) -> AsyncIterator[AdminClient]:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            yield cls(target, session)

    async def get(self, path: str, query: Mapping[str, str] | None = None) -> Any:
        """GET `/api/v1{path}`; each segment that comes from the user passed through `segment`."""
        return await self._request("GET", path, query=query)

    async def post(self, path: str, body: Any = None) -> Any:
        """POST `/api/v1{path}` with `body` as JSON (no body when None)."""
        return await self._request("POST", path, body=body)

    async def _request(
        self, method: str, path: str, *, query: Mapping[str, str] | None = None, body: Any = None
    ) -> Any:
        url = URL(f"{self.target.base_url}{API_PREFIX}{path}", encoded=True)
        headers = {"Accept": f"application/json, {PROBLEM_CONTENT_TYPE}"}
        if self.target.token is not None:
            headers["Authorization"] = f"Bearer {self.target.token}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = orjson.dumps(body)
        try:
            async with self._session.request(
                method, url, params=query, data=data, headers=headers, allow_redirects=False
            ) as response:
                payload = await response.read()
                return self._answer(method, url, response, payload)
        except aiohttp.ClientConnectorError as error:
            raise AdminError(f"cannot reach {self.target.base_url}: {_os_reason(error.os_error)}") from error
        except TimeoutError as error:
            raise AdminError(f"{self.target.base_url} did not answer within {TIMEOUT_SECONDS:g} s") from error
        except aiohttp.ClientError as error:
            raise AdminError(f"{method} {url.path} on {self.target.base_url} failed: {error}") from error

    def _answer(self, method: str, url: URL, response: aiohttp.ClientResponse, payload: bytes) -> Any:
        if 300 <= response.status < 400:
            location = response.headers.get("Location", "nowhere")
            raise AdminError(
                f"{method} {url.path} answered {response.status} redirecting to {location}: not followed, "
                f"the token goes to {self.target.base_url} only (pass --server with the address to use)"
            )
        if response.status >= 400:
            line = _problem_line(
                response.status, response.reason or "", payload, authenticated=self.target.token is not None
            )
            raise AdminError(line)
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError as error:
            raise AdminError(
                f"{method} {url.path} answered {response.status} with {response.content_type}, not JSON: "
                f"is {self.target.base_url} a Journeys server?"
            ) from error


def _os_reason(error: OSError) -> str:
    """`Connection refused` rather than asyncio's `Connect call failed ('127.0.0.1', 1)`."""
    return os.strerror(error.errno) if error.errno and error.errno > 0 else (error.strerror or str(error))
