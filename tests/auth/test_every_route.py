"""With clients configured, no route of the app reads or changes a journey for a request without a credential.

The routes are walked from the app itself, so a route added later is covered without touching this test: each
is called with the ids of real journeys and deliveries, without a credential and with a key no client has. Only
step submissions and deliveries to inbound sources (verified per step and per source) and the published
contract documents and the health probes (no journey data) answer without one.
"""

from __future__ import annotations

from tests.app_routes import Route, walk_routes
from tests.auth.clients import CLIENT_AUTH, OPS_KEY, RETIRED_KEY, SHOP_KEY, bearer, journey_ids, start_as
from tests.server.helpers import call
from tests.support import LiveServer

# The routes that need no client credential.
DELIVERIES = {Route("POST", "/api/v1/journeys/{journeyId}/steps/{stepId}"), Route("POST", "/api/v1/inbound/{source}")}
PUBLIC_PATHS = {
    "/api/v1/openapi.json",
    "/api/v1/journeys/{journeyName}/openapi.json",
    "/api/v1/docs",
    "/api/v1/docs/static/{name}",
    "/healthz",  # health probes: no journey data, and load balancers send no credential
    "/readyz",
}


# The console checks its own sign-in cookie, not a bearer credential (tests/console): without one, its pages
# redirect to the sign-in form and its form posts are refused.
CONSOLE = "/console"
CONSOLE_OPEN_PAGES = {"/console/login", "/console/static/console.css"}


async def _snapshot(server: LiveServer, journey_id: str) -> tuple[object, object]:
    """What an operator reads of the journey: its status and its whole history."""
    _, status, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}", headers=bearer(OPS_KEY))
    _, history, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/history", headers=bearer(OPS_KEY))
    return status, history


async def test_every_route_but_deliveries_and_documents_needs_a_credential(auth_server: LiveServer) -> None:
    server = auth_server
    journey_id = await start_as(server, SHOP_KEY)
    routes, values = await walk_routes(server, CLIENT_AUTH, journey_id)
    before = await _snapshot(server, journey_id)

    console = [route for route in routes if route.template.startswith(CONSOLE)]
    guarded = [
        route
        for route in routes
        if route not in DELIVERIES and route.template not in PUBLIC_PATHS and route not in console
    ]
    assert len(guarded) >= 17, routes  # 11 operations; GET routes come with their HEAD twins
    assert Route("POST", "/api/v1/journeys/{journeyId}/steps/cancel") in guarded
    assert Route("GET", "/api/v1/inbound/stats") in guarded
    for route in routes:
        url = server.url(route.path(values))
        for headers in ({}, bearer(RETIRED_KEY), {"Authorization": f"Basic {SHOP_KEY}"}):
            async with server.http.request(route.method, url, json={}, headers=headers) as response:
                where = f"{route.method} {route.template} with {headers or 'no credential'}"
                if route in guarded:
                    assert response.status == 401, where
                    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="journeys"'), where
                    if route.method != "HEAD":
                        assert response.content_type == "application/problem+json", where
                        problem = await response.json()
                        assert problem["type"] == "urn:journeys:problem:unauthenticated", where
                        assert SHOP_KEY not in problem["detail"] and RETIRED_KEY not in problem["detail"], where
                elif route in console:
                    assert "WWW-Authenticate" not in response.headers, where
                    if route.method == "POST":
                        assert response.status == 403, where
                    else:  # redirected to sign in (the sign-in form and the stylesheet are the open pages)
                        assert response.status == 200 and response.url.path in CONSOLE_OPEN_PAGES, where
                else:
                    # Answered by the step's, the source's or no verification: never client authentication's.
                    assert "WWW-Authenticate" not in response.headers, where
                    assert response.status < 500, where

    # Nothing was started, read into a change, or cancelled.
    assert await _snapshot(server, journey_id) == before
    assert await journey_ids(server, OPS_KEY) == {journey_id}


async def test_the_documents_stay_public(auth_server: LiveServer) -> None:
    for path in ("/api/v1/openapi.json", "/api/v1/journeys/payment-callback/openapi.json", "/api/v1/docs"):
        async with auth_server.http.get(auth_server.url(path)) as response:
            assert response.status == 200, path


async def test_the_published_document_says_what_each_operation_needs(auth_server: LiveServer) -> None:
    _, api, _ = await call(auth_server, "GET", "/api/v1/openapi.json")
    assert api["components"]["securitySchemes"]["clientAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": api["components"]["securitySchemes"]["clientAuth"]["description"],
    }
    needs = {
        (method.upper(), path): operation["security"]
        for path, item in api["paths"].items()
        for method, operation in item.items()
    }
    assert needs[("POST", "/journeys/payment-callback/start")] == [{"clientAuth": ["journeys:start:payment-callback"]}]
    assert needs[("GET", "/journeys/{journeyId}/result")] == [{"clientAuth": ["journeys:read"]}]
    assert needs[("POST", "/journeys/{journeyId}/steps/cancel")] == [{"clientAuth": ["journeys:cancel"]}]
    assert needs[("POST", "/inbound/deliveries/{deliveryId}/replay")] == [{"clientAuth": ["operator"]}]
    assert needs[("POST", "/journeys/{journeyId}/steps/waitForCallback")] == []
    assert needs[("POST", "/inbound/midtrans")] == []
    for (method, path), security in needs.items():
        operation = api["paths"][path][method.lower()]
        assert ("401" in operation["responses"] and "403" in operation["responses"]) or security == [], path
