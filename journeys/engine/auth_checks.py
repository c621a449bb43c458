"""The inbound auth tasks (`apiKeyValidate:v1`, `jwtValidate:v1`, `mtlsValidate:v1`) of one definition.

Each writes `context.<authVar>.<mechanism>`: the verified view, or `{problem}` (and the run's `auth_problem`, so
a step submission the graph sends back to its step is answered 401 and persists nothing). The whole mechanism
entry is replaced, so a problem never sits beside stale claims, nor claims beside an old problem.

A retry of a delivery is answered from the delivery log without running the graph; the log would then answer
anybody, so a retry to a step must pass one of the auth checks the step's submission meets before the journey
pauses again (`admits_retry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from journeys.definitions.auth_tasks import JwtValidateTask, MtlsValidateTask
from journeys.definitions.model import ApiKeyValidateTask
from journeys.engine.api_key_checks import api_key_view
from journeys.engine.api_keys import ApiKeyProfile
from journeys.engine.jwt_checks import JwtProfile, jwt_view
from journeys.engine.mtls_checks import MtlsProfile, mtls_view
from journeys.engine.runs import InboundRequest, Run

AuthTask = ApiKeyValidateTask | JwtValidateTask | MtlsValidateTask
AUTH_TASKS = (ApiKeyValidateTask, JwtValidateTask, MtlsValidateTask)
# Where each task writes under `context.<authVar>`.
MECHANISMS: dict[type, str] = {ApiKeyValidateTask: "apiKey", JwtValidateTask: "jwt", MtlsValidateTask: "mtls"}


@dataclass(frozen=True)
class CredentialProfiles:
    """The server's `jwtProfiles` and `mtlsProfiles`, by name."""

    jwt: Mapping[str, JwtProfile] = field(default_factory=dict)
    mtls: Mapping[str, MtlsProfile] = field(default_factory=dict)


NO_CREDENTIALS = CredentialProfiles()


class AuthChecks:
    """The configured profiles, and per step the auth checks its submission meets before the next pause."""

    def __init__(
        self,
        api_keys: Mapping[str, ApiKeyProfile],
        credentials: CredentialProfiles,
        guards: Mapping[str, tuple[AuthTask, ...]],
    ) -> None:
        self._api_keys = api_keys
        self._credentials = credentials
        self._guards = guards

    def admits_retry(self, step_id: str, request: InboundRequest, now: datetime) -> dict[str, Any] | None:
        """None when a retry to `step_id` may be answered from the log; else the 401 problem of its auth check."""
        problem = None
        for task in self._guards.get(step_id, ()):
            problem = self.view(task, request, now).get("problem")
            if problem is None:
                return None
        return problem

    def view(self, task: AuthTask, request: InboundRequest, now: datetime) -> dict[str, Any]:
        """What `validate` writes at `context.<authVar>.<mechanism>`: the verified view or `{problem}`."""
        if isinstance(task, JwtValidateTask):
            return jwt_view(task, self._credentials.jwt, request, now)
        if isinstance(task, MtlsValidateTask):
            return mtls_view(task, self._credentials.mtls, request, now)
        return api_key_view(task, self._api_keys, request)

    def validate(self, task: AuthTask, run: Run, request: InboundRequest, now: datetime) -> None:
        namespace = run.context.get(task.auth_var)
        if not isinstance(namespace, dict):
            namespace = run.context[task.auth_var] = {}
        if request.operator is not None:
            # An operator submits on a caller's behalf: the checks are vouched for, by that operator.
            namespace[MECHANISMS[type(task)]] = {"operator": request.operator}
            return
        view = namespace[MECHANISMS[type(task)]] = self.view(task, request, now)
        if "problem" in view:
            run.auth_problem = view["problem"]
