"""Who is calling and what it may do: the principal a credential stands for, and the scopes of the Journeys API.

- `journeys:start:<journey name>` starts journeys of that definition, `journeys:start:*` of any;
- `journeys:read` lists journeys and reads their status, result and history, `journeys:cancel` cancels them: both
  only on the journeys the principal started;
- `journeys:read:all` reads every client's journeys and changes nothing (an observer, a metrics scraper);
- `operator` does everything, on every journey, and reads and replays the inbound log.

The scope names are part of what the API promises, so they live in `journeys.http_api` (the generated documents
name them too); this module decides what a principal holding them may do.

A principal's name is what a journey records as its starter (`started_by`), what ownership compares and what
scopes an idempotency key. Configured clients are named by the config; a JWT's subject is named `jwt:<sub>`, in
a namespace of its own, so no identity provider's token can be (or become) a configured client by choosing its
subject. Names must fit that column and be plain text (`name_fault`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from journeys.http_api import CANCEL, OPERATOR, READ, READ_ALL, SCOPES, START_ANY, START_PREFIX

JWT_PREFIX = "jwt:"
MAX_NAME_LENGTH = 200  # the width of journey_instance.started_by (journeys/store/tables.py), which records it
# Control characters (NUL among them: PostgreSQL text cannot hold it) and lone surrogates (no driver or JSON
# encoder takes them) can be neither stored nor shown.
_UNSTORABLE = frozenset({"Cc", "Cs"})


def name_fault(name: str) -> str | None:
    """Why `name` cannot be a principal's name (it is never quoted: it may be anything), or None when it can."""
    if not name:
        return "is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters"
    if not name.isprintable() and any(unicodedata.category(char) in _UNSTORABLE for char in name):
        return "holds a control character or a lone surrogate"
    return None


def checked_scopes(scopes: object, where: str) -> frozenset[str]:
    """The scopes a config grants; a typo would silently lock a client out (or in), so unknown ones are refused."""
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise ValueError(f"{where}: scopes must be a list of strings, some of {', '.join(SCOPES)}")
    for scope in scopes:
        named = scope.startswith(START_PREFIX) and scope != START_PREFIX
        known = scope in (READ, READ_ALL, CANCEL, OPERATOR) or named
        if not known:
            raise ValueError(f"{where}: unknown scope '{scope}'; known: {', '.join(SCOPES)}")
    return frozenset(scopes)


@dataclass(frozen=True, slots=True)
class Principal:
    """A configured client (named in the config) or the subject of a verified JWT (named `jwt:<sub>`), with
    what it was granted."""

    name: str
    scopes: frozenset[str]

    @classmethod
    def of(cls, name: str, scopes: Iterable[str]) -> Principal:
        return cls(name, frozenset(scopes))

    @property
    def operator(self) -> bool:
        return OPERATOR in self.scopes

    @property
    def reads_all(self) -> bool:
        """Whether every client's journeys are this principal's to read (not to change)."""
        return self.operator or READ_ALL in self.scopes

    def allows(self, scope: str) -> bool:
        if self.operator or scope in self.scopes:
            return True
        if scope == READ:
            return READ_ALL in self.scopes
        return scope.startswith(START_PREFIX) and START_ANY in self.scopes
