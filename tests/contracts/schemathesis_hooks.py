"""Schemathesis hooks for `test_schemathesis_fuzz.py`; the schemathesis CLI loads this file by path.

A long poll of a running journey (`GET /journeys/{id}/result?waitSeconds=60`) is a valid request that holds its
answer for the whole wait. Fuzzing sends many; each would stall the run for up to a minute. Shortening a valid
wait keeps it valid (the answer is the same 409 or 200, only sooner), so every check still applies; invalid
values (out of range, not numbers) are sent as generated, to be refused with 400.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from journeys.server.routes import MAX_LONG_POLL_SECONDS

LONGEST_WAIT_SECONDS = 0.2


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    if not case.query or "waitSeconds" not in case.query:
        return
    try:
        seconds = float(case.query["waitSeconds"])
    except (TypeError, ValueError):
        return
    if LONGEST_WAIT_SECONDS < seconds <= MAX_LONG_POLL_SECONDS:
        case.query["waitSeconds"] = LONGEST_WAIT_SECONDS
