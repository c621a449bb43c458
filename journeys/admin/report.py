"""What an operator command hands back: the data for `--json` and the layout for a person, side by side.

A command builds both from the same answers, so `--json` is never a second code path that could drift: it is the
server's JSON (or a small envelope around several answers), printed as is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Report:
    data: Any
    """Printed by `--json`: plain JSON values, as the server sent them."""
    text: str
    """Printed otherwise: tables and label/value blocks (`journeys.admin.tables`)."""
    exit_status: int = 0
    """1 when the command did what it could but not all of it (a migration with refused journeys)."""

    def render(self, *, as_json: bool) -> str:
        """The output, ending in a newline. JSON keeps non-ASCII text as it is (escaping only what JSON must)."""
        text = json.dumps(self.data, indent=2, ensure_ascii=False) if as_json else self.text
        return text.rstrip("\n") + "\n"
