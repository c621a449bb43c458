"""`apiKeyValidate:v1`: the check a task makes against the configured key profiles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeys.definitions.model import ApiKeyValidateTask
from journeys.engine.api_keys import ApiKeyProfile, match_key
from journeys.engine.errors import EngineConfigurationError
from journeys.engine.runs import InboundRequest


def api_key_view(
    task: ApiKeyValidateTask, api_keys: Mapping[str, ApiKeyProfile], request: InboundRequest
) -> dict[str, Any]:
    """`{keyId}` of the matching key, or `{problem}` (401, APIKEY_MISSING or APIKEY_INVALID)."""
    profile = api_keys.get(task.profile)
    if profile is None:
        raise EngineConfigurationError(f"API key profile '{task.profile}' is not configured on this server")
    location = task.source_location or profile.source_location
    name = task.source_name or profile.source_name
    if not name:
        raise EngineConfigurationError(f"API key profile '{task.profile}' has no key source (header/query name)")
    presented = (request.query if location == "query" else request.headers).get(name)
    key_id, problem = match_key(profile, presented)
    return {"keyId": key_id} if problem is None else {"problem": problem}
