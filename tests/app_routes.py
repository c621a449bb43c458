"""Every route of the app, walked from its router, and a real value for each of their path parameters.

Tests that must cover every route (client authentication's, the hostile sweep's) take the list from the app
itself, so a route added later is covered without touching them, and a path parameter they have no value for
fails loudly instead of being skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from journeys.server.app import build_app
from journeys.server.auth import ClientAuth
from tests.server.helpers import PAYMENT
from tests.support import LiveServer, server_config

PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # as the router has it, e.g. /api/v1/journeys/{journeyId}/steps/{stepId}

    @property
    def parameters(self) -> list[str]:
        return PARAMETER.findall(self.template)

    @property
    def reads_body(self) -> bool:
        return self.method == "POST"

    def path(self, values: Mapping[str, str]) -> str:
        """The route's path with `values` in place of its parameters."""
        return PARAMETER.sub(lambda match: values[match[1]], self.template)


async def walk_routes(
    server: LiveServer, client_auth: ClientAuth, journey_id: str
) -> tuple[list[Route], dict[str, str]]:
    """The app's routes (ordered by path, then method) and a real value for every path parameter: `journey_id`
    (a journey waiting in `waitForCallback`) and the id of a delivery logged for it.

    The delivery is a submission to that step without its secret: refused, so the journey keeps waiting, and
    logged, so the inbound log's routes have a real id.
    """
    step = f"/api/v1/journeys/{journey_id}/steps/waitForCallback"
    async with server.http.post(
        server.url(step), json={"paymentId": PAYMENT["paymentId"], "status": "SUCCESS"}
    ) as sent:
        assert sent.status == 401, await sent.text()
        delivery_id = sent.headers["Journeys-Delivery-Id"]
    values = {
        "journeyName": "payment-callback",
        "journeyId": journey_id,
        "stepId": "waitForCallback",
        "source": "midtrans",
        "deliveryId": delivery_id,
        "name": "swagger-ui.css",
        "apiName": "no-such-api",  # a kind: Api path: client authentication answers before the lookup
    }
    app = build_app(server_config("sqlite://", client_auth=client_auth), engine=server.engine)
    routes = sorted(
        {Route(route.method, route.resource.canonical) for route in app.router.routes() if route.resource},
        key=lambda route: (route.template, route.method),
    )
    unknown = {name for route in routes for name in route.parameters} - set(values)
    assert not unknown, f"routes with path parameters there is no value for: {unknown}"
    return routes, values
