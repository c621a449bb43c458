"""The engine's port for outbound HTTP. The engine never imports an HTTP library: the server wires an
implementation in (`journeys.connectors.http_client`), and tests may wire their own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class OutboundResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    set_cookies: tuple[str, ...] = ()
    """Every `Set-Cookie` value: `headers` keeps one value per name, and a response may set several cookies."""


class OutboundError(Exception):
    """The call produced no HTTP response: it timed out or the network failed."""

    def __init__(self, kind: Literal["TIMEOUT", "NETWORK"], message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class OutboundHttp(Protocol):
    async def send(self, request: OutboundRequest) -> OutboundResponse:
        """Perform the request; raise OutboundError when there is no response."""
        ...


class NoOutboundHttp:
    """Used when no connector is wired in: every call fails as a network error, which journeys can branch on."""

    async def send(self, request: OutboundRequest) -> OutboundResponse:
        raise OutboundError("NETWORK", "outbound HTTP is not configured on this engine")
