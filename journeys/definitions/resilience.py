"""`spec.policies.httpResilience`: retry policies for `httpCall:v1` tasks, and which one a task uses.

A task names its policy with `resiliencePolicyRef`; without one it gets `spec.defaults.tasks.resiliencePolicyRef`,
then `spec.policies.httpResilience.default`, then none (one attempt). Each wait between attempts is a durable
`retry` timer (journeys.engine.retries), so a policy with minutes of backoff costs no memory and survives restarts.
Circuit breakers and bulkheads are part of the DSL's model but not run by this engine: a policy declaring one is
rejected at load rather than run without the protection its author relied on.
"""

from __future__ import annotations

from journeys.definitions.fields import Block, describe
from journeys.definitions.model import DEFAULT_RETRY_ON, RetryPolicy

RETRY_CONDITIONS = ("NETWORK_ERROR", "TIMEOUT", "HTTP_5XX", "HTTP_429", "HTTP_408")


def parse_policies(policies: Block) -> None:
    """Compile `spec.policies.httpResilience` into the load context, where tasks resolve their policy."""
    for key in policies.data:
        if key != "httpResilience":
            policies.report(key, f"spec.policies.{key} is not supported by this engine yet", unsupported=True)
    resilience = policies.block("httpResilience")
    if resilience is None:
        return
    resilience.allow("default", "definitions")
    definitions = resilience.block("definitions", required=True)
    catalog = policies.ctx.resilience
    if definitions is not None:
        for name in definitions.data:
            block = definitions.block(str(name))
            catalog[str(name)] = None if block is None else _policy(block, str(name))
    default = resilience.string("default")
    if default is not None and default not in catalog:
        resilience.report("default", unknown_policy(default, catalog))
    policies.ctx.default_policy = default


def _policy(block: Block, name: str) -> RetryPolicy | None:
    block.allow("maxAttempts", "retryOn", "backoff", reported=("circuitBreaker", "bulkhead"))
    for key in ("circuitBreaker", "bulkhead"):
        if block.has(key):
            block.report(key, f"{key} is not supported by this engine (only retries with backoff)", unsupported=True)
    attempts = block.positive_int("maxAttempts") or 3
    conditions, statuses = _retry_on(block)
    backoff = block.block("backoff")
    delays = _backoff(backoff) if backoff is not None else (100, 10_000, 2.0, "full")
    if conditions is None or delays is None:
        return None
    base, ceiling, factor, jitter = delays
    return RetryPolicy(name, attempts, conditions, statuses, base, ceiling, factor, jitter)  # type: ignore[arg-type]


def _retry_on(block: Block) -> tuple[frozenset[str] | None, frozenset[int]]:
    if not block.has("retryOn"):
        return DEFAULT_RETRY_ON, frozenset()
    values = block.data["retryOn"]
    if not isinstance(values, list) or not values:
        block.report("retryOn", f"must be a non-empty list of {', '.join(RETRY_CONDITIONS)} or statuses")
        return None, frozenset()
    conditions, statuses, valid = set(), set(), True
    for index, value in enumerate(values):
        if isinstance(value, int) and not isinstance(value, bool) and 400 <= value <= 599:
            statuses.add(value)
        elif value in RETRY_CONDITIONS:
            conditions.add(value)
        else:
            expected = f"{', '.join(RETRY_CONDITIONS)} or a status 400-599"
            block.ctx.report((*block.at("retryOn"), index), f"{describe(value)} is not a retry condition ({expected})")
            valid = False
    return (frozenset(conditions) if valid else None), frozenset(statuses)


def _backoff(backoff: Block) -> tuple[int, int, float, str] | None:
    """`kind` fixed|exponential, `baseDelayMs` (or `initialDelayMs`), `maxDelayMs`, `factor`, `jitter` none|full."""
    backoff.allow("kind", "baseDelayMs", "initialDelayMs", "maxDelayMs", "factor", "jitter")
    if backoff.has("baseDelayMs") and backoff.has("initialDelayMs"):
        backoff.report("initialDelayMs", "an alias of baseDelayMs; declare only one of them")
    kind = backoff.one_of("kind", ("fixed", "exponential"), default="exponential")
    base = backoff.positive_int("baseDelayMs") or backoff.positive_int("initialDelayMs") or 100
    ceiling = backoff.positive_int("maxDelayMs") or max(10_000, base)
    factor = 1.0 if kind == "fixed" else 2.0
    if backoff.has("factor"):
        value = backoff.data["factor"]
        if kind == "fixed" or isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
            backoff.report("factor", f"must be a number >= 1 with kind exponential, not {describe(value)}")
            return None
        factor = float(value)
    jitter = backoff.one_of("jitter", ("none", "full"), default="full")
    if ceiling < base:
        backoff.report("maxDelayMs", f"must be at least the base delay ({base} ms)")
        return None
    return base, ceiling, factor, str(jitter)


def resolve_policy(task: Block) -> RetryPolicy | None:
    """The policy an HTTP task runs with: its `resiliencePolicyRef`, else the journey's default, else none."""
    ctx = task.ctx
    name = task.string("resiliencePolicyRef") if task.has("resiliencePolicyRef") else ctx.default_policy
    if name is None:
        return None
    if name not in ctx.resilience:
        if task.has("resiliencePolicyRef"):
            task.report("resiliencePolicyRef", unknown_policy(name, ctx.resilience))
        return None
    return ctx.resilience[name]


def unknown_policy(name: str, catalog: dict[str, RetryPolicy | None]) -> str:
    """The message for a policy id that names nothing, listing the journey's policies."""
    known = ", ".join(sorted(catalog)) or "none declared"
    return f"no policy '{name}' in spec.policies.httpResilience.definitions (known: {known})"
