"""The `platform` binding of a definition's expressions: environment and `platform.config` (DSL 2.3.1, 10).

The values of `platform.config` come from the server config (`platformConfig: {<journey>: {<key>: value}}`), and
only the keys the definition declares under `spec.platform.config` are bound. A required key without a value, or
a value of the wrong type, refuses the engine's start and a reload (`PlatformConfigError`): that is the
"rejected at initialisation" the DSL asks for, found before any journey runs into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from journeys.definitions.model import JourneyDefinition
from journeys.definitions.platform_config import platform_config_binding, platform_config_problems
from journeys.engine.errors import EngineError

PlatformConfigValues = Mapping[str, Mapping[str, Any]]
"""Journey name -> configured value of each `spec.platform.config` key."""


class PlatformConfigError(EngineError):
    """A loaded journey declares `spec.platform.config` keys the server config does not satisfy."""


def check_platform_config(definitions: Iterable[JourneyDefinition], values: PlatformConfigValues) -> None:
    problems = [
        problem
        for definition in definitions
        for problem in platform_config_problems(
            definition.name, definition.platform_config, values.get(definition.name, {})
        )
    ]
    if problems:
        raise PlatformConfigError("; ".join(problems))


def platform_base(definition: JourneyDefinition, environment: str, values: PlatformConfigValues) -> dict[str, Any]:
    """The run-independent part of `platform`: the environment and the journey's declared config values."""
    config = platform_config_binding(definition.platform_config, values.get(definition.name, {}))
    return {"environment": environment, "config": config}
