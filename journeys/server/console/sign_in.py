"""Signing in to the console with an API key or a JWT, and signing out.

The credential is posted in a form body (never in a URL, so no access log or browser history holds it), checked
with the server's `Authenticator` as a bearer credential would be, and must read every journey. Refusals say why
without quoting it, and the form is never filled in again with it. Signing in and out both start a new session id,
so a session id planted in the browser before sign-in is worth nothing after it.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from journeys.server.auth import AUTHENTICATOR
from journeys.server.console.rendering import CONSOLE, html, refusal
from journeys.server.console.session import (
    KEYS,
    MAX_COOKIE_BYTES,
    NotSignedIn,
    Session,
    authenticate,
    cookie_value,
    cross_site_refusal,
    session_of,
    set_session_cookie,
)
from journeys.server.console.visits import Flash, flash_of, forget_flash, read_form, see_other

HOME = f"{CONSOLE}/"


def _next_page(value: str | None) -> str:
    """Where to go after signing in: a console page, never another site (`//host`, `/\\host`) nor the API."""
    if value and value.startswith(f"{CONSOLE}/") and "\\" not in value and not value.startswith("//"):
        return value
    return HOME


def _form(
    request: web.Request, session: Session, next_page: str | None, status: int = 200, flash: Flash | None = None
) -> web.Response:
    csrf = request.app[KEYS].csrf(session.sid)
    response = html("login.html", status, viewer=None, flash=flash, csrf=csrf, next=_next_page(next_page))
    if session.fresh:
        set_session_cookie(request, response, cookie_value(session.sid))
    return response


def _refused(request: web.Request, session: Session, form: dict[str, str], why: str) -> web.Response:
    """The form again, still going where it was going; the credential is not put back in it."""
    return _form(request, session, form.get("next"), 403, Flash("error", f"Sign-in refused: {why}."))


async def sign_in_form(request: web.Request) -> web.StreamResponse:
    if not request.app[AUTHENTICATOR].configured:
        return see_other(request, HOME)  # an open server: nothing to sign in to
    flash = flash_of(request)
    response = _form(request, session_of(request), request.query.get("next"), flash=flash)
    if flash is not None:
        forget_flash(response)
    return response


async def sign_in(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    form = await read_form(request)
    forged = cross_site_refusal(request, form, session)
    if forged is not None:
        return refusal(request, 403, "Forbidden", f"Sign-in refused: {forged}.")
    if not request.app[AUTHENTICATOR].configured:
        return see_other(request, HOME)
    credential = form.get("credential", "").strip()
    if not credential:
        return _refused(request, session, form, "paste an API key or a token")
    try:
        authenticate(request, credential)
    except NotSignedIn as why:
        return _refused(request, session, form, str(why))
    value = cookie_value(secrets.token_urlsafe(24), credential)
    if len(value) > MAX_COOKIE_BYTES:
        return _refused(request, session, form, "the token is too long to be kept in a browser cookie")
    response = see_other(request, _next_page(form.get("next")))
    set_session_cookie(request, response, value)
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    forged = cross_site_refusal(request, await read_form(request), session)
    if forged is not None:
        return refusal(request, 403, "Forbidden", f"Sign-out refused: {forged}.")
    response = see_other(request, f"{CONSOLE}/login", Flash("ok", "Signed out."))
    set_session_cookie(request, response, cookie_value(secrets.token_urlsafe(24)))
    return response
