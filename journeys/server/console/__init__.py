"""The operator console at `/console/`: server-rendered pages over the engine, for finding a stuck journey and
fixing it from a browser. No JavaScript and nothing fetched from elsewhere: Jinja2 templates and one stylesheet,
shipped in this package.

- `GET  /console/`: journeys, filtered and paged (`journey_list`);
- `GET  /console/journeys/{journeyId}`: one journey (`journey_view`); `POST .../cancel`, `.../retry`, `.../submit`
  (`actions`);
- `GET  /console/definitions`: the loaded journeys (`definitions_view`);
- `GET|POST /console/login`, `POST /console/logout` (`sign_in`).

The routes are public to the API's bearer middleware, which reads no cookies: the console checks its own sign-in
cookie on every request (`session`, `visits`): pages need `journeys:read:all` (or `operator`), actions `operator`.
"""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web

from journeys.server.auth import Access, guard
from journeys.server.console import actions
from journeys.server.console.definitions_view import DIAGRAMS, definitions_page
from journeys.server.console.journey_list import journey_list
from journeys.server.console.journey_view import journey_page
from journeys.server.console.rendering import CONSOLE, STYLESHEET
from journeys.server.console.session import KEYS, ConsoleKeys
from journeys.server.console.sign_in import HOME, sign_in, sign_in_form, sign_out
from journeys.server.console.visits import action, page
from journeys.server.declared_length import add_post

_CSS = files("journeys.server.console").joinpath("static/console.css").read_bytes()


async def _stylesheet(request: web.Request) -> web.Response:
    return web.Response(body=_CSS, content_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


async def _home(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect(HOME)


def add_console(app: web.Application) -> None:
    app[KEYS] = ConsoleKeys()
    app[DIAGRAMS] = {}
    journey = f"{CONSOLE}/journeys/{{journeyId}}"
    routes = [
        app.router.add_get(CONSOLE, _home),
        app.router.add_get(HOME, page(journey_list)),
        app.router.add_get(journey, page(journey_page)),
        add_post(app, f"{journey}/cancel", action(actions.cancel)),
        add_post(app, f"{journey}/retry", action(actions.retry)),
        add_post(app, f"{journey}/submit", action(actions.submit)),
        app.router.add_get(f"{CONSOLE}/definitions", page(definitions_page)),
        app.router.add_get(f"{CONSOLE}/login", sign_in_form),
        add_post(app, f"{CONSOLE}/login", sign_in),
        add_post(app, f"{CONSOLE}/logout", sign_out),
        app.router.add_get(STYLESHEET, _stylesheet),
    ]
    for route in routes:
        guard(app, route, Access.PUBLIC)
