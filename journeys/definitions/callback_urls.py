"""Which callback URLs a result push may go to: the SSRF sanity checks.

A start's `callbackUrl` makes this server send a POST wherever a client says, from inside the network it runs in:
to an admin port on localhost, a cloud metadata address, an internal service. So a callback URL must be an
absolute `http` or `https` URL with a host and no credentials, and when the operator configures an allow-list
(`resultPush.allowedHosts`) its host must be on it: an exact name, or `*.example.com` for any subdomain. Without an
allow-list any host is accepted: fine where every client is trusted, and documented as the risk it is otherwise
(docs/operations.md). Redirects are never followed (the outbound connector does not), so a permitted host cannot
bounce a push elsewhere. Names are not resolved here: an allow-list of names is only as good as their DNS.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000


def callback_url_refusal(url: object, allowed_hosts: Collection[str] | None) -> str | None:
    """Why `url` may not receive result pushes, or None when it may (`allowed_hosts` None: any host)."""
    if not isinstance(url, str) or not url:
        return "must be an absolute http or https URL"
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError on a port that is no number)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not host:
        return "must be an absolute http or https URL"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials"
    if any(character.isspace() or ord(character) < 32 for character in url):
        return "must not contain whitespace or control characters"
    if allowed_hosts is not None and not host_allowed(host, allowed_hosts):
        return f"has a host ({host}) this server does not push to (resultPush.allowedHosts)"
    return None


def host_allowed(host: str, allowed_hosts: Collection[str]) -> bool:
    """`host` is one of `allowed_hosts`, or a subdomain of a `*.domain` entry (case-insensitive)."""
    host = host.lower().rstrip(".")
    for entry in allowed_hosts:
        entry = entry.lower().rstrip(".")
        if host == entry or (entry.startswith("*.") and host.endswith(entry[1:])):
            return True
    return False
