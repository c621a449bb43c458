"""Client authentication in the generated documents: one bearer scheme, and what each operation needs.

Operations on journeys name the scope they need as the security requirement's role (OpenAPI 3.1 allows roles
for any scheme), and document the 401 and 403 problems the server answers; step submissions and deliveries to
inbound sources declare `security: []`: they carry no client credential, their senders are verified per step
and per source instead. The scopes themselves come from `journeys.http_api`, which the server checks them against.
"""

from __future__ import annotations

from typing import Any

from journeys.contracts.openapi_components import problem_response
from journeys.http_api import OPERATOR, READ, READ_ALL, START_ANY, START_PREFIX

CLIENT_AUTH = "clientAuth"


def security_schemes() -> dict[str, Any]:
    return {
        CLIENT_AUTH: {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "`Authorization: Bearer <credential>`: an API key of a client configured on the server (`clients:`) "
                "or a JWT it accepts (`jwt:`), granting scopes: `journeys:start:<journey name>` (or `*`), "
                "`journeys:read`, `journeys:read:all`, `journeys:cancel`, `operator`. A client that is not an operator "
                "sees (unless granted `journeys:read:all`) and cancels only the journeys it started: to it, the "
                "others' are not found (404). A server with no client "
                "configured (on a loopback address) asks for no credential."
            ),
        }
    }


def needs_scope(operation: dict[str, Any], scope: str) -> dict[str, Any]:
    """`operation`, requiring a client credential granting `scope`, with the refusals that can bring."""
    wider = [START_ANY] if scope.startswith(START_PREFIX) else [READ_ALL] if scope == READ else []
    granting = list(dict.fromkeys([scope, *wider, OPERATOR]))
    if len(granting) == 1:
        refused = f"does not grant `{scope}`"
    else:
        refused = "grants none of " + ", ".join(f"`{each}`" for each in granting)
    responses = {
        **operation["responses"],
        "401": {
            **problem_response(
                "No credential, or one that is neither a configured client's key nor a JWT the server accepts."
            ),
            "headers": {
                "WWW-Authenticate": {
                    "description": 'The bearer challenge (RFC 6750), e.g. `Bearer realm="journeys"`.',
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        },
        "403": problem_response(f"The credential {refused} (`requiredScope` names the first)."),
    }
    return {**operation, "security": [{CLIENT_AUTH: [scope]}], "responses": dict(sorted(responses.items()))}


def open_to_senders(operation: dict[str, Any]) -> dict[str, Any]:
    """`operation` with no client credential: its senders prove themselves to the step or source instead."""
    return {**operation, "security": []}
