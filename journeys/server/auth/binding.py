"""Where an unauthenticated API may listen: loopback only, unless the operator says otherwise out loud."""

from __future__ import annotations

import ipaddress

from journeys.server.auth.settings import ClientAuth

INSECURE_FLAG = "--insecure-no-client-auth"


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address; a name that needs resolving (or empty: every interface) is not."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_refusal(host: str, auth: ClientAuth, *, insecure: bool) -> str | None:
    """Why the server must not listen on `host`, or None when it may."""
    if auth.configured or insecure or is_loopback(host):
        return None
    return (
        f"refusing to listen on {host or 'every interface'} without client authentication: anyone who can reach "
        "the port could read and cancel every journey. Configure `clients:` (or `jwt:`) in the config file or "
        f"JOURNEYS_CLIENTS, listen on 127.0.0.1, or pass {INSECURE_FLAG} if something in front of the server "
        "authenticates clients"
    )
