"""The definitions page (`/console/definitions`): every loaded journey, what it looks like and how it is called.

For each: its state diagram, its OpenAPI document (served at `/api/v1/journeys/{name}/openapi.json`), the command
that writes its Arazzo workflows (the server does not serve them), the endpoints a client and its gateways call,
and the versions the database stores with how many journeys of each phase run by each.

A definition's diagram depends on its version only, so each is drawn once per digest and kept: the page redraws
nothing after the first visit, however many journeys are loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from markupsafe import Markup

from journeys.contracts.diagram import render_diagram
from journeys.definitions.model import ExternalInputState, JourneyDefinition
from journeys.engine import VersionSummary
from journeys.http_api import API_PREFIX
from journeys.server.app_keys import ENGINE
from journeys.server.console.visits import Visit

DIAGRAMS: web.AppKey[dict[str, Markup]] = web.AppKey("console_diagrams", dict)


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    what: str


@dataclass(frozen=True, slots=True)
class DefinitionView:
    definition: JourneyDefinition
    diagram: Markup
    endpoints: tuple[Endpoint, ...]
    versions: tuple[VersionSummary, ...]


def endpoints(definition: JourneyDefinition) -> tuple[Endpoint, ...]:
    journey = f"{API_PREFIX}/journeys"
    found = [Endpoint("POST", f"{journey}/{definition.name}/start", "start a journey (journeys:start)")]
    for state in definition.states.values():
        if isinstance(state, ExternalInputState):
            what = f"{state.type} step"
            if state.timeout_sec:
                what += f", times out after {state.timeout_sec} s to {state.on_timeout}"
            found.append(Endpoint("POST", f"{journey}/{{journeyId}}/steps/{state.id}", what))
            if state.source:
                found.append(Endpoint("POST", f"{API_PREFIX}/inbound/{state.source}", f"{state.id}'s gateway"))
    if definition.cancellable:
        found.append(Endpoint("POST", f"{journey}/{{journeyId}}/steps/cancel", "cancel (journeys:cancel)"))
    return tuple(found)


def _diagram(app: web.Application, definition: JourneyDefinition) -> Markup:
    drawn = app[DIAGRAMS]
    if definition.digest not in drawn:
        drawn[definition.digest] = Markup(render_diagram(definition))
    return drawn[definition.digest]


async def definitions_page(visit: Visit) -> web.Response:
    app = visit.request.app
    engine = app[ENGINE]
    views = [
        DefinitionView(
            definition,
            _diagram(app, definition),
            endpoints(definition),
            tuple(await engine.versions.stored(name)),
        )
        for name, definition in sorted(engine.definitions.items())
    ]
    return visit.render("definitions.html", views=views)
