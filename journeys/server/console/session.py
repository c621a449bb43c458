"""Who is looking at the console, and whether a form post really comes from one of its own pages.

The console is a browser application: it cannot send `Authorization: Bearer`, so it keeps the credential an
operator signed in with in a cookie, `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page makes
the browser send it), `Path=/console` (the API never sees it) and `Secure` when the sign-in came over https. The
cookie's value is `<session id>` or `<session id>.<credential, base64url>`: the session id is random, made anew at
every sign-in and sign-out, and is what the CSRF token of every form is bound to (an HMAC under a key made at
process start, so nothing is stored server-side). The credential is checked again on every request with the
server's `Authenticator`: a key removed from the config or an expired token signs the browser out.

With no client configured (the open loopback setup of the quickstart) the console needs no sign-in, as the API
needs no credential; its forms still carry CSRF tokens, bound to a session id the cookie then holds alone. A script
may read pages with `Authorization: Bearer` as it reads the API (no browser sends that header by itself); its posts
have no session, so they are refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from aiohttp import web
from yarl import URL

from journeys.server.auth import AUTHENTICATOR
from journeys.server.auth.credentials import CredentialRejected
from journeys.server.auth.scopes import Principal

COOKIE = "journeys_console"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf"
MAX_COOKIE_BYTES = 4000  # browsers keep cookies of up to 4096 bytes (name, value and attributes)


@dataclass(frozen=True, slots=True)
class Viewer:
    """A console user: `name` is the principal (None on an open server), `operator` whether it may act."""

    name: str | None
    operator: bool
    csrf: str
    signed_in: bool


@dataclass(frozen=True, slots=True)
class Session:
    """What the request's cookie holds; `fresh` when there was none and a new session id must be set."""

    sid: str
    credential: str | None
    fresh: bool


class NotSignedIn(Exception):
    """No usable credential: the reason is safe to show (it never quotes the credential)."""


class ConsoleKeys:
    """The per-process key CSRF tokens are made with. A restart (or another process behind the same load
    balancer) makes the tokens of pages already open stale: their next post is refused and the page reloaded."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def csrf(self, sid: str) -> str:
        return self.sign(f"csrf:{sid}")

    def sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()


KEYS: web.AppKey[ConsoleKeys] = web.AppKey("console_keys", ConsoleKeys)


def session_of(request: web.Request) -> Session:
    raw = request.cookies.get(COOKIE, "")
    sid, _, encoded = raw.partition(".")
    if not sid or not sid.replace("-", "").replace("_", "").isalnum():
        return Session(secrets.token_urlsafe(24), None, fresh=True)
    return Session(sid, _decoded(encoded), fresh=False)


def _decoded(encoded: str) -> str | None:
    if not encoded:
        return None
    try:
        return base64.urlsafe_b64decode(encoded.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError, binascii.Error):
        return None


def cookie_value(sid: str, credential: str | None = None) -> str:
    if credential is None:
        return sid
    return f"{sid}.{base64.urlsafe_b64encode(credential.encode('utf-8')).decode('ascii')}"


def set_session_cookie(request: web.Request, response: web.StreamResponse, value: str) -> None:
    response.set_cookie(
        COOKIE, value, path=COOKIE_PATH, httponly=True, samesite="Strict", secure=request.secure or None
    )


def authenticate(request: web.Request, credential: str) -> Principal:
    """The principal of `credential`, which must read every journey (`journeys:read:all`, or `operator`)."""
    return _reader(request, f"Bearer {credential}")


def _reader(request: web.Request, authorization: str) -> Principal:
    try:
        principal = request.app[AUTHENTICATOR].authenticate(authorization)
    except CredentialRejected as rejected:
        raise NotSignedIn(rejected.detail) from rejected
    if not principal.reads_all:
        raise NotSignedIn(
            f"client '{principal.name}' may not use the console: it needs the scope journeys:read:all (to read) "
            "or operator (to read and act)"
        )
    return principal


def viewer_of(request: web.Request, session: Session) -> Viewer:
    """The viewer the request's session stands for (or its `Authorization: Bearer`, as the API takes it: no
    browser sends one by itself); NotSignedIn when the server has clients and neither holds a credential that
    still holds."""
    csrf = request.app[KEYS].csrf(session.sid)
    if not request.app[AUTHENTICATOR].configured:
        return Viewer(None, operator=True, csrf=csrf, signed_in=False)
    if session.credential is not None:
        principal = authenticate(request, session.credential)
    elif "Authorization" in request.headers:  # a script reading a page; its posts have no session: refused
        principal = _reader(request, request.headers["Authorization"])
    else:
        raise NotSignedIn("sign in with an API key or token")
    return Viewer(principal.name, operator=principal.operator, csrf=csrf, signed_in=True)


def cross_site_refusal(request: web.Request, form: dict[str, str], session: Session) -> str | None:
    """Why a form post must be refused as possibly forged, or None: it must come from a page of this origin
    (Origin, else Referer, when the browser sends one) and carry the token of the session it was posted in."""
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if claimed is not None and not _same_host(claimed, request.host):
        return "the form was posted from another site"
    expected = request.app[KEYS].csrf(session.sid)
    if session.fresh or not hmac.compare_digest(form.get(CSRF_FIELD, ""), expected):
        return "the form's security token is missing or stale (reload the page and try again)"
    return None


def _same_host(claimed: str, host: str) -> bool:
    """Origin and Referer name the page's scheme, host and port; a proxy in front may end TLS, so the scheme is
    not compared, only where the page was served from."""
    try:
        url = URL(claimed)
    except ValueError:
        return False
    if not url.is_absolute() or url.host is None:
        return False
    netloc = url.host if url.explicit_port is None else f"{url.host}:{url.explicit_port}"
    return netloc.lower() == host.lower()
