"""With clients configured, no route of the app reads or changes a journey for a request without a credential.

The routes are walked from the app itself, so a route added later is covered without touching this test: each
is called with the ids of real journeys and deliveries, without a credential and with a key no client has. Only
step submissions and deliveries to inbound sources (verified per step and per source) and the published
contract documents (no journey data) answer without one.
"""

from __future__ import annotations

import re

from journeys.server.app import build_app
from tests.auth.clients import CLIENT_AUTH, OPS_KEY, RETIRED_KEY, SHOP_KEY, bearer, journey_ids, start_as
from tests.server.helpers import call
from tests.support import LiveServer, server_config

# (method, path template) of the routes that need no client credential.
DELIVERIES = {("POST", "/api/v1/journeys/{journeyId}/steps/{stepId}"), ("POST", "/api/v1/inbound/{source}")}
PUBLIC_PATHS = {
    "/api/v1/openapi.json",
    "/api/v1/journeys/{journeyName}/openapi.json",
    "/api/v1/docs",
    "/api/v1/docs/static/{name}",
}


def _routes(server: LiveServer) -> list[tuple[str, str]]:
    app = build_app(server_config("sqlite://", client_auth=CLIENT_AUTH), engine=server.engine)
    return sorted({(route.method, route.resource.canonical) for route in app.router.routes() if route.resource})


def _fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: values[match[1]], template)


async def _snapshot(server: LiveServer, journey_id: str) -> tuple[object, object]:
    """What an operator reads of the journey: its status and its whole history."""
    _, status, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}", headers=bearer(OPS_KEY))
    _, history, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/history", headers=bearer(OPS_KEY))
    return status, history


async def test_every_route_but_deliveries_and_documents_needs_a_credential(auth_server: LiveServer) -> None:
    server = auth_server
    journey_id = await start_as(server, SHOP_KEY)
    # A refused submission is logged: a real delivery id for the inbound log's routes.
    refused = f"/api/v1/journeys/{journey_id}/steps/waitForCallback"
    async with server.http.post(server.url(refused), json={"paymentId": "pay-123", "status": "SUCCESS"}) as answer:
        assert answer.status == 401
        delivery_id = answer.headers["Journeys-Delivery-Id"]
    before = await _snapshot(server, journey_id)
    values = {
        "journeyName": "payment-callback",
        "journeyId": journey_id,
        "stepId": "waitForCallback",
        "source": "midtrans",
        "deliveryId": delivery_id,
        "name": "swagger-ui.css",
    }

    routes = _routes(server)
    guarded = [(m, p) for m, p in routes if (m, p) not in DELIVERIES and p not in PUBLIC_PATHS]
    assert len(guarded) >= 17, routes  # 11 operations; GET routes come with their HEAD twins
    assert {("POST", "/api/v1/journeys/{journeyId}/steps/cancel"), ("GET", "/api/v1/inbound/stats")} <= set(guarded)
    for method, template in routes:
        url = server.url(_fill(template, values))
        for headers in ({}, bearer(RETIRED_KEY), {"Authorization": f"Basic {SHOP_KEY}"}):
            async with server.http.request(method, url, json={}, headers=headers) as response:
                where = f"{method} {template} with {headers or 'no credential'}"
                if (method, template) in guarded:
                    assert response.status == 401, where
                    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="journeys"'), where
                    if method != "HEAD":
                        assert response.content_type == "application/problem+json", where
                        problem = await response.json()
                        assert problem["type"] == "urn:journeys:problem:unauthenticated", where
                        assert SHOP_KEY not in problem["detail"] and RETIRED_KEY not in problem["detail"], where
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
