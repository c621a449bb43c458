"""Parsing `spec.cookies` (DSL 22): the per-run cookie jar and which of its cookies go back to the client.

A jar lives for one run of the graph in memory (see docs/dsl.md): an API invocation, or a journey that never
pauses. A journey that can pause would need its jar (session cookies: credentials) stored with it, which this
engine does not do, so `spec.cookies` on such a journey is rejected as not supported rather than half-kept.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from journeys.definitions.fields import Block, describe

RETURN_MODES = ("none", "allFromAllowedDomains", "filtered")


@dataclass(frozen=True, slots=True)
class CookieSpec:
    domains: tuple[str, ...]
    """`jar.domains[*].pattern`: `api.example.com` (that host) or `.example.com` (its subdomains, not itself)."""
    return_mode: Literal["none", "allFromAllowedDomains", "filtered"] = "none"
    names: frozenset[str] = frozenset()
    name_patterns: tuple[re.Pattern[str], ...] = ()

    def returns(self, name: str) -> bool:
        """Whether a jar cookie called `name` goes back to the client (as `Set-Cookie`) when the run succeeds."""
        if self.return_mode == "allFromAllowedDomains":
            return True
        if self.return_mode == "filtered":
            return name in self.names or any(pattern.search(name) for pattern in self.name_patterns)
        return False


def _strings(block: Block, key: str) -> list[str]:
    value = block.data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        block.report(key, f"must be a list of non-empty strings, not {describe(value)}")
        return []
    return value


def _domains(jar: Block) -> tuple[str, ...]:
    jar.allow("domains")
    patterns: list[str] = []
    for item in jar.blocks("domains") or []:
        item.allow("pattern")
        pattern = item.string("pattern", required=True)
        if pattern is not None and (pattern.strip(".") == "" or " " in pattern or "/" in pattern):
            item.report("pattern", f"'{pattern}' is not a host name or a .domain suffix")
        elif pattern is not None:
            patterns.append(pattern.lower())
    return tuple(patterns)


def _include(returned: Block) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    include = returned.block("include")
    if include is None:
        return frozenset(), ()
    include.allow("names", "namePatterns")
    compiled: list[re.Pattern[str]] = []
    for index, source in enumerate(_strings(include, "namePatterns")):
        try:
            compiled.append(re.compile(source))
        except re.error as error:
            include.ctx.report((*include.at("namePatterns"), index), f"'{source}' is not a regular expression: {error}")
    return frozenset(_strings(include, "names")), tuple(compiled)


def _report_jarless_tasks(spec: Block) -> None:
    """`task.cookies` only chooses whether the jar is attached: without a jar it would do nothing, unseen."""
    states = spec.data.get("states")
    for state_id, state in states.items() if isinstance(states, Mapping) else ():
        task = state.get("task") if isinstance(state, Mapping) else None
        if isinstance(task, Mapping) and "cookies" in task:
            location = ("spec", "states", state_id, "task", "cookies")
            spec.ctx.report(location, "task.cookies needs a cookie jar: declare spec.cookies.jar")


def parse_cookies(spec: Block, kind: str, pausing_states: Collection[str]) -> CookieSpec | None:
    """`spec.cookies`; `pausing_states`: the wait/webhook/timer states, which a journey with a jar may not have (nor
    retry policies: a retry's backoff is a pause too)."""
    cookies = spec.block("cookies")
    if cookies is None or not isinstance(cookies.data.get("jar"), Mapping):
        _report_jarless_tasks(spec)
    if cookies is None:
        return None
    cookies.allow("jar", "returnToClient")
    pauses = sorted(pausing_states) + (["retry backoffs of spec.policies"] if spec.has("policies") else [])
    if kind == "Journey" and pauses:
        stored = "it would be stored with the journey"
        message = f"a cookie jar across pauses ({', '.join(pauses)}) is not supported: {stored}"
        spec.report("cookies", message, unsupported=True)
    jar = cookies.block("jar")
    domains = _domains(jar) if jar is not None else ()
    returned = cookies.block("returnToClient")
    if returned is None:
        return CookieSpec(domains) if jar is not None else None
    if jar is None:
        cookies.report("returnToClient", "returnToClient needs a jar to return cookies from; declare cookies.jar")
    returned.allow("mode", "include")
    mode = returned.one_of("mode", RETURN_MODES, required=True) or "none"
    names, patterns = _include(returned)
    return CookieSpec(domains, mode, names, patterns)  # type: ignore[arg-type]
