"""The credentials a scenario's request carries besides its `headers`: a JWT the runner signs (`bearer`) and a
client certificate sent as a trusted proxy would (`clientCert`), so auth-task journeys run without tokens or
certificates pasted into the file."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import jwt

from journeys.scenarios.scenario_model import Request, ScenarioFile

TOKEN_LIFETIME_SECONDS = 3600


def request_headers(file: ScenarioFile, request: Request, now: datetime) -> dict[str, str]:
    """The request's headers, with `Authorization: Bearer <signed bearer claims>` and the client certificate."""
    headers = dict(request.headers)
    if request.bearer is not None:
        headers["Authorization"] = f"Bearer {signed_token(file, dict(request.bearer), now)}"
    if request.client_cert is not None:
        if file.client_cert_header is None:
            raise ValueError(f"{file.path}: clientCert needs clientCertHeader (the header a trusted proxy would set)")
        headers[file.client_cert_header] = quote(request.client_cert)
    return headers


def signed_token(file: ScenarioFile, claims: dict[str, object], now: datetime) -> str:
    """HS256 with the `default` JWT profile's first secret; `iat` now and `exp` an hour later unless given (a claim
    given as null is left out)."""
    profile = file.credentials.jwt.get("default")
    if profile is None or not profile.keys.secrets:
        raise ValueError(f"{file.path}: bearer needs jwtProfiles.default with a secret to sign the token with")
    issued = int(now.timestamp())
    claims = {"iat": issued, "exp": issued + TOKEN_LIFETIME_SECONDS, **claims}
    payload = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(payload, profile.keys.secrets[0], algorithm="HS256")
