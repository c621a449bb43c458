"""`apiKeyValidate:v1` for one definition: the check a task makes, and the one a retried submission must pass.

A retry of a delivery is answered from the delivery log without running the graph; the log would then answer
anybody, so a retry to a step must pass one of the API-key checks the step's submission meets before the journey
pauses again (`admits_retry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeys.definitions.model import ApiKeyValidateTask
from journeys.engine.api_keys import ApiKeyProfile, match_key
from journeys.engine.errors import EngineConfigurationError
from journeys.engine.runs import InboundRequest, Run


class ApiKeyChecks:
    """The configured key profiles, and per step the key checks its submission meets before the next pause."""

    def __init__(
        self, api_keys: Mapping[str, ApiKeyProfile], guards: Mapping[str, tuple[ApiKeyValidateTask, ...]]
    ) -> None:
        self._api_keys = api_keys
        self._guards = guards

    def admits_retry(self, step_id: str, request: InboundRequest) -> dict[str, Any] | None:
        """None when a retry to `step_id` may be answered from the log; else the 401 problem of its key check."""
        problem = None
        for task in self._guards.get(step_id, ()):
            _, problem = self.check(task, request)
            if problem is None:
                return None
        return problem

    def check(self, task: ApiKeyValidateTask, request: InboundRequest) -> tuple[str | None, dict[str, Any] | None]:
        profile = self._api_keys.get(task.profile)
        if profile is None:
            raise EngineConfigurationError(f"API key profile '{task.profile}' is not configured on this server")
        location = task.source_location or profile.source_location
        name = task.source_name or profile.source_name
        if not name:
            raise EngineConfigurationError(f"API key profile '{task.profile}' has no key source (header/query name)")
        presented = (request.query if location == "query" else request.headers).get(name)
        return match_key(profile, presented)

    def validate(self, task: ApiKeyValidateTask, run: Run, request: InboundRequest) -> None:
        namespace = run.context.get(task.auth_var)
        if not isinstance(namespace, dict):
            namespace = run.context[task.auth_var] = {}
        if request.operator is not None:
            namespace["apiKey"] = {"operator": request.operator}
            return
        key_id, problem = self.check(task, request)
        if problem is None:
            namespace["apiKey"] = {"keyId": key_id}
        else:
            namespace["apiKey"] = {"problem": problem}
            run.auth_problem = problem
