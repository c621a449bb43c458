"""Client authentication of the Journeys API: who may start, read and cancel which journeys.

Configured clients present API keys, or callers present JWTs (`settings`), as `Authorization: Bearer`
(`credentials`); each route needs a scope (`policy`), and a principal sees only the journeys it started unless it
is an operator (`scopes`). Without any client configured the API is open and the server keeps to loopback
(`binding`).
"""

from journeys.server.auth.binding import bind_refusal, is_loopback
from journeys.server.auth.credentials import Authenticator
from journeys.server.auth.policy import (
    AUTHENTICATOR,
    Access,
    client_auth_middleware,
    guard,
    owner_of,
    principal_name,
    reader_of,
)
from journeys.server.auth.settings import ClientAuth, parse_clients

__all__ = [
    "AUTHENTICATOR",
    "Access",
    "Authenticator",
    "ClientAuth",
    "bind_refusal",
    "client_auth_middleware",
    "guard",
    "is_loopback",
    "owner_of",
    "parse_clients",
    "principal_name",
    "reader_of",
]
