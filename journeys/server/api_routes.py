"""`kind: Api` endpoints over HTTP: `POST /api/v1/apis/{apiName}` (or the segment of the Api's `route.path`).

The request body is the context, and the answer is the Api's own: its output with the status its mapping gives,
or its problem document. Calling one needs the same scope as starting a journey of that name.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from journeys.engine.api_endpoints import UnknownApi
from journeys.http_api import API_PREFIX, PROBLEM_CONTENT_TYPE
from journeys.server.app_keys import ENGINE
from journeys.server.auth import Access, guard
from journeys.server.declared_length import add_post
from journeys.server.problems import ProblemError
from journeys.server.request_bodies import read_json
from journeys.server.routes import inbound_request

API_PATH = f"{API_PREFIX}/apis/{{apiName}}"
BODILESS = (204, 205, 304)  # RFC 9110: these answers carry no content


def _not_found(segment: str) -> ProblemError:
    return ProblemError(404, "api-not-found", "API not found", f"no API is served at {API_PREFIX}/apis/{segment}")


async def invoke_api(request: web.Request) -> web.Response:
    engine, segment = request.app[ENGINE], request.match_info["apiName"]
    if engine.apis.find(segment) is None:  # before reading the body: the more useful answer
        raise _not_found(segment)
    body = await read_json(request)
    try:
        answer = await engine.apis.invoke(segment, body, inbound_request(request))
    except UnknownApi as error:  # removed by a reload while the body arrived
        raise _not_found(segment) from error
    content_type = PROBLEM_CONTENT_TYPE if answer.problem else "application/json"
    if answer.status in BODILESS or answer.status < 200:
        response = web.Response(status=answer.status)
    else:
        response = web.Response(status=answer.status, body=orjson.dumps(answer.body), content_type=content_type)
    for cookie in answer.set_cookies:
        response.headers.add("Set-Cookie", cookie)
    return response


def add_api_routes(app: web.Application) -> None:
    guard(app, add_post(app, API_PATH, invoke_api), Access.INVOKE)
