"""The per-run cookie jar of `spec.cookies` (DSL 22), following RFC 6265 where the DSL leaves it to HTTP.

Downstream `Set-Cookie`s are kept when their effective domain (the `Domain` attribute, else the request host) is on
the definition's allow-list, keyed by (domain, path, name), last writer wins; an expired one deletes and is
remembered, so the client can be told to delete it too. Calls get the cookies whose domain, path and `Secure` fit
the URL. The jar lives in memory for one run (an API invocation, or a journey that cannot pause): it holds session
credentials, which are never written to the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from journeys.definitions.cookie_spec import CookieSpec


@dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    value: str
    domain: str
    path: str
    host_only: bool
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None
    expires: datetime | None = None

    def set_cookie(self) -> str:
        """The `Set-Cookie` value that hands this cookie to the client (Domain only when the downstream gave one)."""
        parts = [f"{self.name}={self.value}", f"Path={self.path}"]
        if not self.host_only:
            parts.append(f"Domain={self.domain}")
        if self.expires is not None:
            parts.append("Expires=" + self.expires.strftime("%a, %d %b %Y %H:%M:%S GMT"))
        parts += ["Secure"] * self.secure + ["HttpOnly"] * self.http_only
        if self.same_site:
            parts.append(f"SameSite={self.same_site}")
        return "; ".join(parts)


def domain_allowed(domain: str, patterns: tuple[str, ...]) -> bool:
    """`api.example.com` allows that host only; `.example.com` its subdomains, not example.com itself."""
    return any(
        domain.endswith(pattern) and domain != pattern[1:] if pattern.startswith(".") else domain == pattern
        for pattern in patterns
    )


def _default_path(request_path: str) -> str:
    """RFC 6265 5.1.4: the request path up to its last `/`, or `/`."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rindex("/")]


def _path_matches(cookie_path: str, request_path: str) -> bool:
    """RFC 6265 5.1.4: the same path, or one below it (`/a` matches `/a/b`, not `/ab`)."""
    if request_path == cookie_path:
        return True
    prefix = request_path.startswith(cookie_path)
    return prefix and (cookie_path.endswith("/") or request_path[len(cookie_path)] == "/")


def _expiry(attributes: dict[str, str], now: datetime) -> datetime | None:
    """Max-Age wins over Expires (RFC 6265 5.3 step 3); an unparseable value is ignored, as browsers do."""
    max_age = attributes.get("max-age")
    if max_age is not None and max_age.lstrip("-").isdigit():
        return now + timedelta(seconds=int(max_age)) if int(max_age) > 0 else datetime.min.replace(tzinfo=UTC)
    expires = attributes.get("expires")
    if expires:
        try:
            moment = parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return None


def parse_set_cookie(header: str, host: str, request_path: str, now: datetime) -> Cookie | None:
    """One `Set-Cookie` value as received from `host` (None when it is malformed or names a foreign domain)."""
    pair, *rest = header.split(";")
    name, equals, value = pair.partition("=")
    name, value = name.strip(), value.strip()
    if not equals or not name:
        return None
    attributes: dict[str, str] = {}
    for item in rest:
        key, _, attribute = item.partition("=")
        attributes[key.strip().lower()] = attribute.strip()
    domain = attributes.get("domain", "").lstrip(".").lower()
    if domain and host != domain and not host.endswith("." + domain):
        return None  # RFC 6265 5.3 step 6: a host may not set cookies for a domain it is not in
    path = attributes.get("path", "")
    return Cookie(
        name=name,
        value=value,
        domain=domain or host,
        path=path if path.startswith("/") else _default_path(request_path),
        host_only=not domain,
        secure="secure" in attributes,
        http_only="httponly" in attributes,
        same_site=attributes.get("samesite") or None,
        expires=_expiry(attributes, now),
    )


class CookieJar:
    def __init__(self, spec: CookieSpec) -> None:
        self.spec = spec
        self._cookies: dict[tuple[str, str, str], Cookie] = {}
        self._deleted: dict[tuple[str, str, str], Cookie] = {}

    def absorb(self, url: str, set_cookies: tuple[str, ...], now: datetime) -> None:
        """Apply the `Set-Cookie` values of a response to a call to `url`."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        for header in set_cookies:
            cookie = parse_set_cookie(header, host, parts.path or "/", now)
            if cookie is None or not domain_allowed(cookie.domain, self.spec.domains):
                continue
            key = (cookie.domain, cookie.path, cookie.name)
            if cookie.expires is not None and cookie.expires <= now:
                self._cookies.pop(key, None)
                self._deleted[key] = cookie
            else:
                self._cookies[key] = cookie
                self._deleted.pop(key, None)

    def cookie_header(self, url: str, now: datetime) -> str | None:
        """The `Cookie` header for a call to `url`: longer paths first (RFC 6265 5.4), None when none fits."""
        parts = urlsplit(url)
        host, path = (parts.hostname or "").lower(), parts.path or "/"
        if not domain_allowed(host, self.spec.domains):
            return None
        fitting = [
            cookie
            for cookie in self._cookies.values()
            if (host == cookie.domain or (not cookie.host_only and host.endswith("." + cookie.domain)))
            and _path_matches(cookie.path, path)
            and (parts.scheme == "https" or not cookie.secure)
            and (cookie.expires is None or cookie.expires > now)
        ]
        fitting.sort(key=lambda cookie: -len(cookie.path))
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in fitting) or None

    def returned(self) -> list[str]:
        """The `Set-Cookie` values for the client's answer (`returnToClient`), deletions of selected names included."""
        values = [cookie.set_cookie() for cookie in self._cookies.values() if self.spec.returns(cookie.name)]
        for cookie in self._deleted.values():
            if self.spec.returns(cookie.name):
                domain = "" if cookie.host_only else f"; Domain={cookie.domain}"
                values.append(f"{cookie.name}=; Path={cookie.path}{domain}; Max-Age=0")
        return values
