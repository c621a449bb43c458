"""What the contract runner adds to arazzo-runner's requests as they leave the HTTP session (`Session.send`).

- The client credential: arazzo-runner takes security-scheme secrets only from environment variables (and then
  overrides a step's own headers with them), so a `token` is sent here instead, as `Authorization: Bearer`, on
  every request that does not carry its own `Authorization`. Operations that need no credential (step
  submissions, deliveries) ignore it.
- Signatures: a step carrying `x-journeys-verification` (a submission to a step fed by an inbound source) is
  signed just before it is sent, on the bytes arazzo-runner serialised, with the secret in the workflow input
  the extension names (`delivery_signing`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from arazzo_runner.models import ExecutionState

from journeys.contracts.delivery_signing import sign_request
from journeys.contracts.inbound_contract import VERIFICATION_EXTENSION

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`, lower-cased, the scheme's default port filled in: what a credential is
    scoped to (RFC 6454), so `http://h` and `http://H:80/x` are one origin."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: an origin nothing else shares
        port = -1
    return scheme, (parts.hostname or "").lower(), port if port is not None else _DEFAULT_PORTS.get(scheme)


class RunnerSession:
    """Wraps `session.send` while in use (`with`), and puts the session's own `send` back afterwards. The token
    goes only to `base_url`'s origin."""

    def __init__(self, session: requests.Session, base_url: str, token: str | None = None) -> None:
        self._session = session
        self._origin = origin(base_url)
        self._token = token
        self._own: Any = None
        self.verification: Mapping[str, Any] | None = None
        self.secret: str | None = None

    def __enter__(self) -> RunnerSession:
        send = self._session.send
        self._own = self._session.__dict__.get("send")  # a caller's own wrapper, to put back

        def wrapped_send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            if (
                self._token is not None
                and "Authorization" not in request.headers
                and origin(request.url or "") == self._origin
            ):
                request.headers["Authorization"] = f"Bearer {self._token}"
            if self.verification is not None and self.secret is not None:
                sign_request(request, self.verification, self.secret, time.time())
            return send(request, **kwargs)

        self._session.send = wrapped_send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._own is None:
            del self._session.send  # the class's own method again
        else:
            self._session.send = self._own  # type: ignore[method-assign]

    def signing(self, step: Mapping[str, Any], state: ExecutionState) -> None:
        """Sign the requests sent until the next call with `step`'s verification, if it has one."""
        verification = step.get(VERIFICATION_EXTENSION)
        self.verification = verification if isinstance(verification, Mapping) else None
        secret = state.inputs.get(str(self.verification.get("secretInput"))) if self.verification else None
        self.secret = secret if isinstance(secret, str) else None
