"""Which credential each route needs, checked by one middleware before any handler reads a body.

Every route is registered with its `Access` (`guard`); a route registered without one needs `operator`, so a
route added later is closed until someone decides otherwise. Requests that match no route are answered by the
router (404/405) without a credential: no handler runs, so nothing is read or changed.

With no client and no JWT configured the API is open, as it always was (`journeys serve` then stays on a
loopback address unless told otherwise: `binding.py`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from enum import Enum

from aiohttp import web

from journeys.http_api import CANCEL, OPERATOR, READ, READ_ALL, start_scope
from journeys.server.app_keys import ENGINE
from journeys.server.auth.credentials import Authenticator, CredentialRejected
from journeys.server.auth.scopes import Principal
from journeys.server.problems import problem_response

REALM = "journeys"
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 scope-token: safe in a quoted-string


class Access(Enum):
    PUBLIC = "public"  # the contract documents and docs page: they describe definitions, hold no journey data
    DELIVERY = "delivery"  # step submissions and inbound deliveries: verified per step and per source instead
    START = "start"  # journeys:start:<the journey's name>
    INVOKE = "invoke"  # journeys:start:<the Api's name>, whichever of its paths was called
    READ = "read"  # journeys:read, on the principal's own journeys unless operator or journeys:read:all
    READ_ALL = "read-all"  # journeys:read:all: every client's journeys, read only (console pages, metrics)
    CANCEL = "cancel"  # journeys:cancel, likewise
    OPERATOR = "operator"  # the inbound log


AUTHENTICATOR: web.AppKey[Authenticator] = web.AppKey("authenticator", Authenticator)
ROUTE_ACCESS: web.AppKey[dict[web.AbstractResource, Access]] = web.AppKey("route_access", dict)
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)


def guard(app: web.Application, route: web.AbstractRoute, access: Access) -> None:
    """Record what `route` needs (its resource's: a GET route's HEAD twin shares it)."""
    assert route.resource is not None
    app.setdefault(ROUTE_ACCESS, {})[route.resource] = access


def _required_scope(access: Access, request: web.Request) -> str:
    if access is Access.START:
        return start_scope(request.match_info["journeyName"])
    if access is Access.INVOKE:
        segment = request.match_info["apiName"]
        api = request.app[ENGINE].apis.find(segment)
        return start_scope(api.name if api is not None else segment)
    return {Access.READ: READ, Access.READ_ALL: READ_ALL, Access.CANCEL: CANCEL}.get(access, OPERATOR)


@web.middleware
async def client_auth_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    authenticator = request.app[AUTHENTICATOR]
    if not authenticator.configured or request.match_info.http_exception is not None:
        return await handler(request)
    resource = request.match_info.route.resource
    access = request.app.get(ROUTE_ACCESS, {}).get(resource, Access.OPERATOR) if resource else Access.OPERATOR
    if access in (Access.PUBLIC, Access.DELIVERY):
        return await handler(request)
    try:
        principal = authenticator.authenticate(request.headers.get("Authorization"))
    except CredentialRejected as rejected:
        challenge = f'Bearer realm="{REALM}"'
        if rejected.presented:  # RFC 6750 3.1: a credential was sent and is no good
            challenge += ', error="invalid_token"'
        return problem_response(
            request, 401, "unauthenticated", "Unauthenticated", rejected.detail, headers={"WWW-Authenticate": challenge}
        )
    scope = _required_scope(access, request)
    if not principal.allows(scope):
        detail = f"client '{principal.name}' lacks the scope {scope} that {request.method} {request.path} needs"
        challenge = f'Bearer realm="{REALM}", error="insufficient_scope"'
        # The scope holds the journey name from the path: named in the header only when it cannot break it.
        if _SCOPE_TOKEN.fullmatch(scope):
            challenge += f', scope="{scope}"'
        headers = {"WWW-Authenticate": challenge}
        return problem_response(request, 403, "forbidden", "Forbidden", detail, headers=headers, requiredScope=scope)
    request[PRINCIPAL] = principal
    return await handler(request)


def principal_of(request: web.Request) -> Principal | None:
    """The authenticated principal; None when the API is open (no clients configured) or the route is public."""
    return request.get(PRINCIPAL)


def principal_name(request: web.Request) -> str | None:
    """The caller's name, as a start records it (and a cancel): None on an open API."""
    principal = principal_of(request)
    return principal.name if principal is not None else None


def owner_of(request: web.Request) -> str | None:
    """Whose journeys the caller may cancel: its own, or everyone's (None) as operator or on an open API."""
    principal = principal_of(request)
    return None if principal is None or principal.operator else principal.name


def reader_of(request: web.Request) -> str | None:
    """Whose journeys the caller may see: its own, or everyone's (None) with journeys:read:all, as operator or on an
    open API."""
    principal = principal_of(request)
    return None if principal is None or principal.reads_all else principal.name
