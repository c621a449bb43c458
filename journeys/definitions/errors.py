"""Errors reported while loading journey definitions.

Loading collects every problem in a file instead of stopping at the first one, so an author fixes a
definition in one pass. Each problem names the file, the state and the dotted field path, because a
message without a location is useless in a 500-line YAML document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DefinitionError:
    """One problem in one definition file.

    `field` is a dotted path from the document root (for example `spec.states.route.choices[0].next`);
    it is empty for problems that concern the whole file (unreadable file, YAML syntax error).
    `unsupported` marks constructs that are valid JourneyForge DSL but not implemented by this engine, so
    callers can tell "the definition is wrong" apart from "this engine cannot run it yet".
    """

    file: str
    state: str | None
    field: str
    message: str
    line: int | None = None
    unsupported: bool = False

    def __str__(self) -> str:
        parts = [self.file if self.line is None else f"{self.file}:{self.line}"]
        if self.state is not None:
            parts.append(f"state '{self.state}'")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


@dataclass(frozen=True, slots=True)
class DefinitionWarning:
    """Something in a definition that loads but is most likely a mistake (e.g. reading a name nothing writes).

    Warnings never stop a definition from loading or a server from starting: they are printed by
    `journeys validate`, whose exit status they do not change.
    """

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"WARN {where}: {self.field}: {self.message}"


class DefinitionErrors(Exception):
    """All problems found while loading one or more definition files."""

    def __init__(self, errors: Iterable[DefinitionError]) -> None:
        self.errors: list[DefinitionError] = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)
