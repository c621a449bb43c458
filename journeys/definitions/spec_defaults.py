"""`spec.defaults`: what HTTP tasks get when they leave a field out (timeout, baseline headers, resilience policy).

Resolved at load, into each task: a task's own value always wins (its headers overlay the defaults, compared
without regard to case), so the compiled task is exactly what runs and the engine never looks defaults up.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from journeys.definitions.fields import Block, templates_at
from journeys.definitions.model import CompiledTemplate, HttpDefaults
from journeys.definitions.resilience import unknown_policy


def parse_defaults(defaults: Block) -> None:
    """Record `spec.defaults` in the load context (parsed after `spec.policies`, before the states)."""
    defaults.allow("http", "tasks")
    http = defaults.block("http")
    if http is not None:
        http.allow("timeoutMs", "headers")
        headers = templates_at(http.block("headers")) or MappingProxyType({})
        defaults.ctx.http_defaults = HttpDefaults(http.positive_int("timeoutMs"), headers)
    tasks = defaults.block("tasks")
    if tasks is not None:
        tasks.allow("resiliencePolicyRef")
        policy = tasks.string("resiliencePolicyRef")
        if policy is not None and policy not in defaults.ctx.resilience:
            tasks.report("resiliencePolicyRef", unknown_policy(policy, defaults.ctx.resilience))
        elif policy is not None:
            defaults.ctx.default_policy = policy


def with_default_headers(
    headers: Mapping[str, CompiledTemplate], defaults: HttpDefaults | None
) -> Mapping[str, CompiledTemplate]:
    """The defaults' headers overlaid by the task's own (a task header of any case replaces the default)."""
    if defaults is None or not defaults.headers:
        return headers
    own = {name.lower() for name in headers}
    merged = {name: value for name, value in defaults.headers.items() if name.lower() not in own}
    return MappingProxyType({**merged, **headers})
