"""The one way a state fails its journey: the interpreter ends the run Failed with this code and reason."""

from __future__ import annotations


class StateFailure(Exception):
    """A state could not be executed; the journey fails with `code` (naming the state) and `reason`."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
