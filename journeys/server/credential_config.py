"""The config keys of inbound credentials beyond API keys: `jwtProfiles` and `mtlsProfiles` (the profiles of the
`jwtValidate:v1` and `mtlsValidate:v1` tasks, see journeys.engine.jwt_checks and mtls_checks), `tls` (HTTPS, see
journeys.server.tls) and `clientCertHeader` (a trusted proxy's client certificate header)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from journeys.definitions.auth_tasks import JwtValidateTask, MtlsValidateTask
from journeys.engine.auth_checks import CredentialProfiles
from journeys.engine.jwt_checks import parse_jwt_profiles
from journeys.engine.mtls_checks import parse_mtls_profiles
from journeys.server.tls import parse_cert_header, parse_tls

CREDENTIAL_KEYS = frozenset({"jwtProfiles", "mtlsProfiles", "tls", "clientCertHeader"})


def credential_changes(current: CredentialProfiles, document: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """ServerConfig changes for the keys of `document` this module owns; raises ValueError naming the key."""
    changes: dict[str, Any] = {}
    if "jwtProfiles" in document or "mtlsProfiles" in document:
        changes["credentials"] = CredentialProfiles(
            jwt=parse_jwt_profiles(document["jwtProfiles"] or {}, base) if "jwtProfiles" in document else current.jwt,
            mtls=parse_mtls_profiles(document["mtlsProfiles"] or {}, base)
            if "mtlsProfiles" in document
            else current.mtls,
        )
    if "tls" in document:
        changes["tls"] = parse_tls(document["tls"], base)
    if "clientCertHeader" in document:
        changes["client_cert_header"] = parse_cert_header(document["clientCertHeader"])
    return changes


def unconfigured_profile(task: object, credentials: CredentialProfiles) -> str | None:
    """What a start-up warning says of a jwtValidate/mtlsValidate task whose profile the config lacks."""
    if isinstance(task, JwtValidateTask):
        setting, profiles = "jwtProfiles", credentials.jwt
    elif isinstance(task, MtlsValidateTask):
        setting, profiles = "mtlsProfiles", credentials.mtls
    else:
        return None
    if task.profile in profiles:
        return None
    return (
        f"uses {task.kind} profile '{task.profile}', which is not configured ({setting}): the requests that reach "
        "it will be answered 500 until it is"
    )
