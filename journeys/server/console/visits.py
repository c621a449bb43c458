"""What every console request goes through before its handler: who is signed in, and for a form post, whether it
is genuine and the viewer may act. Also the flash message an action leaves for the page it redirects to.

Pages (`page`) need a viewer that reads every journey, else they redirect to the sign-in form. Actions (`action`)
are form posts: refused with 403, before anything is read or changed, when they come from another site or
without the session's CSRF token, and when the viewer may only read (`journeys:read:all` without `operator`).
A successful action answers 303 to the journey's page (post/redirect/get), with a flash message in a short-lived
signed cookie: the message may quote the journey (an engine's refusal does), which stays out of URLs.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

import orjson
from aiohttp import web

from journeys.server.console.rendering import CONSOLE, html, refusal
from journeys.server.console.session import (
    COOKIE_PATH,
    KEYS,
    NotSignedIn,
    Session,
    Viewer,
    cookie_value,
    cross_site_refusal,
    session_of,
    set_session_cookie,
    viewer_of,
)
from journeys.server.request_bodies import read_body

FLASH_COOKIE = "journeys_console_flash"
FLASH_SECONDS = 60
MAX_FLASH = 1500
MAX_FORM_FIELDS = 20
Form = dict[str, str]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Flash:
    kind: str  # "ok" or "error"
    text: str


@dataclass(frozen=True, slots=True)
class Visit:
    """One request to the console by a known viewer, and what its page is rendered with."""

    request: web.Request
    viewer: Viewer
    flash: Flash | None = None

    def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        return html(template, status, viewer=self.viewer, flash=self.flash, **context)

    def redirect(self, location: str, flash: Flash | None = None) -> web.Response:
        return see_other(self.request, location, flash)


def see_other(request: web.Request, location: str, flash: Flash | None = None) -> web.Response:
    """303 to `location` (a console path), leaving `flash` for the page there."""
    response = web.Response(status=303, headers={"Location": location})
    if flash is not None:
        text = flash.text[:MAX_FLASH]  # a browser drops a cookie of over 4 KiB, message and all
        payload = base64.urlsafe_b64encode(orjson.dumps([flash.kind, text])).decode("ascii")
        value = f"{payload}.{request.app[KEYS].sign('flash:' + payload)}"
        response.set_cookie(
            FLASH_COOKIE,
            value,
            path=COOKIE_PATH,
            max_age=FLASH_SECONDS,
            httponly=True,
            samesite="Strict",
            secure=request.secure or None,
        )
    return response


def flash_of(request: web.Request) -> Flash | None:
    payload, _, signature = request.cookies.get(FLASH_COOKIE, "").partition(".")
    if not payload or not hmac.compare_digest(signature, request.app[KEYS].sign("flash:" + payload)):
        return None
    try:
        kind, text = orjson.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        return None
    return Flash(str(kind), str(text))


def forget_flash(response: web.StreamResponse) -> None:
    """The flash was shown: a reload must not show it again."""
    response.del_cookie(FLASH_COOKIE, path=COOKIE_PATH)


def sign_in_location(request: web.Request) -> str:
    """The sign-in form, returning to this page afterwards."""
    return f"{CONSOLE}/login?next={quote(request.path_qs, safe='')}"


def _keep_session(request: web.Request, response: web.StreamResponse, session: Session) -> web.StreamResponse:
    if session.fresh:
        set_session_cookie(request, response, cookie_value(session.sid))
    return response


def page(handler: Callable[[Visit], Awaitable[web.StreamResponse]]) -> Handler:
    """A console page: rendered for a viewer that reads every journey, else a redirect to the sign-in form."""

    async def serve(request: web.Request) -> web.StreamResponse:
        session = session_of(request)
        try:
            viewer = viewer_of(request, session)
        except NotSignedIn as why:
            if session.credential is None:
                return _keep_session(request, see_other(request, sign_in_location(request)), session)
            # A kept credential no longer holds (a removed key, an expired token): forgotten, and said why.
            signed_out = see_other(request, sign_in_location(request), Flash("error", f"Signed out: {why}."))
            set_session_cookie(request, signed_out, cookie_value(session.sid))
            return signed_out
        flash = flash_of(request)
        response = await handler(Visit(request, viewer, flash))
        if flash is not None:
            forget_flash(response)
        return _keep_session(request, response, session)

    return serve


async def read_form(request: web.Request) -> Form:
    """The fields of an urlencoded form post (the last value of a repeated field); any other body is no form."""
    if request.content_type != "application/x-www-form-urlencoded":
        return {}
    try:
        text = (await read_body(request)).decode("utf-8")
        return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS))
    except (UnicodeDecodeError, ValueError):
        return {}


def action(handler: Callable[[Visit, Form], Awaitable[web.StreamResponse]]) -> Handler:
    """An operator's form post: checked against forgery, sign-in and the operator scope, in that order, before
    the handler changes anything."""

    async def serve(request: web.Request) -> web.StreamResponse:
        session = session_of(request)
        form = await read_form(request)
        forged = cross_site_refusal(request, form, session)
        if forged is not None:
            return refusal(request, 403, "Forbidden", f"Refused, nothing was changed: {forged}.")
        try:
            viewer = viewer_of(request, session)
        except NotSignedIn as why:
            return refusal(request, 403, "Forbidden", f"Refused, nothing was changed: {why}.")
        if not viewer.operator:
            detail = f"Refused, nothing was changed: client '{viewer.name}' may read journeys, not act on them "
            detail += "(actions need the operator scope)."
            return refusal(request, 403, "Forbidden", detail)
        return await handler(Visit(request, viewer), form)

    return serve
