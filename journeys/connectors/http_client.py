"""Outbound HTTP for `httpCall:v1` tasks, on aiohttp's client.

One session (connection pool) per process. `rewrites` maps URL prefixes to others, so journeys that
name their production hosts can be pointed at local stubs, staging, or an egress gateway without
editing the definitions.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from journeys.engine.outbound import OutboundError, OutboundRequest, OutboundResponse

MAX_RESPONSE_BYTES = 10 * 1024 * 1024


class AiohttpOutbound:
    def __init__(self, rewrites: Mapping[str, str] | None = None) -> None:
        # Longest prefix first, so a specific rewrite wins over a general one.
        self._rewrites = sorted((rewrites or {}).items(), key=lambda item: -len(item[0]))
        self._session: aiohttp.ClientSession | None = None

    def rewrite(self, url: str) -> str:
        for prefix, replacement in self._rewrites:
            if url.startswith(prefix):
                return replacement + url[len(prefix) :]
        return url

    async def send(self, request: OutboundRequest) -> OutboundResponse:
        if self._session is None:
            self._session = aiohttp.ClientSession(auto_decompress=True)
        timeout = aiohttp.ClientTimeout(total=request.timeout_seconds)
        try:
            async with self._session.request(
                request.method,
                self.rewrite(request.url),
                headers=dict(request.headers),
                data=request.body,
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                body = await response.content.read(MAX_RESPONSE_BYTES + 1)
                if len(body) > MAX_RESPONSE_BYTES:
                    raise OutboundError("NETWORK", f"response body larger than {MAX_RESPONSE_BYTES} bytes")
                # Header names are aiohttp `istr`s; plain strings keep the result JSON-serialisable.
                headers = {str(name): value for name, value in response.headers.items()}
                set_cookies = tuple(response.headers.getall("Set-Cookie", ()))
                return OutboundResponse(response.status, headers, body, set_cookies)
        except TimeoutError as error:
            raise OutboundError("TIMEOUT", f"no response within {request.timeout_seconds:g} s") from error
        except (aiohttp.ClientError, ValueError) as error:
            raise OutboundError("NETWORK", f"{type(error).__name__}: {error}") from error

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
