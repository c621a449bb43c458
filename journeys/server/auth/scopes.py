"""Who is calling and what it may do: the principal a credential stands for, and the scopes of the Journeys API.

- `journeys:start:<journey name>` starts journeys of that definition, `journeys:start:*` of any;
- `journeys:read` lists journeys and reads their status, result and history, `journeys:cancel` cancels them: both
  only on the journeys the principal started;
- `operator` does everything, on every journey, and reads and replays the inbound log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

START_PREFIX = "journeys:start:"
START_ANY = f"{START_PREFIX}*"
READ = "journeys:read"
CANCEL = "journeys:cancel"
OPERATOR = "operator"
SCOPES = (f"{START_PREFIX}<journey name>", START_ANY, READ, CANCEL, OPERATOR)


def start_scope(journey_name: str) -> str:
    return START_PREFIX + journey_name


def checked_scopes(scopes: object, where: str) -> frozenset[str]:
    """The scopes a config grants; a typo would silently lock a client out (or in), so unknown ones are refused."""
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise ValueError(f"{where}: scopes must be a list of strings, some of {', '.join(SCOPES)}")
    for scope in scopes:
        known = scope in (READ, CANCEL, OPERATOR) or (scope.startswith(START_PREFIX) and scope != START_PREFIX)
        if not known:
            raise ValueError(f"{where}: unknown scope '{scope}'; known: {', '.join(SCOPES)}")
    return frozenset(scopes)


@dataclass(frozen=True, slots=True)
class Principal:
    """A configured client (named in the config) or the subject of a verified JWT, with what it was granted."""

    name: str
    scopes: frozenset[str]

    @classmethod
    def of(cls, name: str, scopes: Iterable[str]) -> Principal:
        return cls(name, frozenset(scopes))

    @property
    def operator(self) -> bool:
        return OPERATOR in self.scopes

    def allows(self, scope: str) -> bool:
        if self.operator or scope in self.scopes:
            return True
        return scope.startswith(START_PREFIX) and START_ANY in self.scopes
