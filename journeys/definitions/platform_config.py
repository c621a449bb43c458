"""`spec.platform.config`: the per-environment settings a journey declares and the platform supplies.

```yaml
spec:
  platform:
    config:
      itemsApiBaseUrl: { type: string, required: true, description: "Base URL of the items API" }
      riskThreshold: { type: number }
```

A definition only declares the keys (DSL 2.3.1); the values come from the server config (`platformConfig`), per
journey, and are bound read-only at `platform.config.<key>` in every expression and `${...}` template. Declaring
them lets the server refuse to start (or to reload) when a required value is missing or of the wrong type, instead
of a journey calling `null/items` in production.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from journeys.definitions.fields import Block, describe

ConfigType = Literal["string", "integer", "number", "boolean", "object"]
CONFIG_TYPES: tuple[ConfigType, ...] = ("string", "integer", "number", "boolean", "object")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class PlatformConfigKey:
    """One declared key of `spec.platform.config`."""

    name: str
    type: ConfigType
    required: bool = False
    description: str | None = None

    def accepts(self, value: Any) -> bool:
        """Whether a configured value has the declared type (JSON types: an integer is also a number)."""
        if self.type == "string":
            return isinstance(value, str)
        if self.type == "boolean":
            return isinstance(value, bool)
        if self.type == "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if self.type == "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        return isinstance(value, Mapping)


def parse_platform_config(spec: Block) -> Mapping[str, PlatformConfigKey]:
    platform = spec.block("platform")
    if platform is None:
        return MappingProxyType({})
    platform.allow("config")
    config = platform.block("config")
    if config is None:
        return MappingProxyType({})
    keys: dict[str, PlatformConfigKey] = {}
    for name in config.data:
        if not isinstance(name, str) or not _KEY.fullmatch(name):
            config.report(name, f"a config key is an identifier (letters, digits, _), not {describe(name)}")
            continue
        declaration = config.block(name)
        if declaration is None:
            continue
        declaration.allow("type", "required", "description")
        kind = declaration.one_of("type", CONFIG_TYPES, required=True)
        required = declaration.boolean("required", default=False)
        description = declaration.string("description")
        if kind is not None:
            keys[name] = PlatformConfigKey(name, kind, required, description)  # type: ignore[arg-type]
    return MappingProxyType(keys)


def platform_config_problems(
    journey: str, declared: Mapping[str, PlatformConfigKey], values: Mapping[str, Any]
) -> list[str]:
    """Why the configured `values` cannot run `journey`: missing required keys and values of the wrong type."""
    problems = []
    for key in declared.values():
        if key.name not in values or values[key.name] is None:
            if key.required:
                problems.append(f"journey '{journey}' requires platformConfig.{journey}.{key.name} ({key.type})")
        elif not key.accepts(values[key.name]):
            problems.append(
                f"platformConfig.{journey}.{key.name} must be of type {key.type}, not {describe(values[key.name])}"
            )
    return problems


def platform_config_binding(declared: Mapping[str, PlatformConfigKey], values: Mapping[str, Any]) -> dict[str, Any]:
    """`platform.config`: the configured values of the declared keys only (undeclared ones are never injected)."""
    return {name: values[name] for name in declared if values.get(name) is not None}
