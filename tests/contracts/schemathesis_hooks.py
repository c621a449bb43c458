"""Schemathesis hooks for `test_schemathesis_fuzz.py`; the schemathesis CLI loads this file by path.

A long poll of a running journey (`GET /journeys/{id}/result?waitSeconds=60`) is a valid request that holds its
answer for the whole wait. Fuzzing sends many; each would stall the run for up to a minute. Shortening a valid
wait keeps it valid (the answer is the same 409 or 200, only sooner), so every check still applies; invalid
values (out of range, not numbers) are sent as generated, to be refused with 400.

Deliveries to an inbound source (`POST /inbound/{source}`) are refused 401/403 unless the sender proves who it
is, which generated data never does. With `JOURNEYS_FUZZ_SIGNING` set (a JSON object: source path ->
`{"verification": ..., "secret": ...}`, as the fuzz test passes it), half of the schema-valid deliveries are
signed as their gateway signs them, on the bytes actually sent, so the source's 2xx answers (applied,
buffered, unmatched, duplicate), their headers and the inbound log they feed are fuzzed too. Invalid data is
never signed: it is the sender's proof that makes a delivery acceptable, not its shape.

Schemathesis never puts a NUL character in a path segment (it filters them out: some servers route such paths
elsewhere), yet a `%00` in a journey id is what a hostile client sends and what PostgreSQL cannot store. So a
tenth of the calls to an operation with a journey or delivery id in its path carry one there instead.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from typing import Any

import requests
import schemathesis

from journeys.contracts.delivery_signing import sign_request
from journeys.http_api import MAX_LONG_POLL_SECONDS

LONGEST_WAIT_SECONDS = 0.2
HOSTILE_IDS = ("%00", "pay-%00-1")  # as sent: path parameters are already percent-encoded here
ID_PARAMETERS = ("journeyId", "deliveryId")
SIGNING: dict[str, Any] = json.loads(os.environ.get("JOURNEYS_FUZZ_SIGNING") or "{}")


class _Signed(requests.auth.AuthBase):
    """Signs the prepared request, body and headers final, just before it is sent."""

    def __init__(self, verification: dict[str, Any], secret: str) -> None:
        self.verification, self.secret = verification, secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        sign_request(request, self.verification, self.secret, time.time())
        return request


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    signing = SIGNING.get(case.operation.path)
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if signing is not None and positive and zlib.crc32(repr(case.body).encode()) % 2 == 0:
        kwargs["auth"] = _Signed(signing["verification"], signing["secret"])
    _with_hostile_ids(case)
    if not case.query or "waitSeconds" not in case.query:
        return
    try:
        seconds = float(case.query["waitSeconds"])
    except (TypeError, ValueError):
        return
    if LONGEST_WAIT_SECONDS < seconds <= MAX_LONG_POLL_SECONDS:
        case.query["waitSeconds"] = LONGEST_WAIT_SECONDS


def _with_hostile_ids(case: schemathesis.Case) -> None:
    """Put a NUL character in the journey or delivery id of a tenth of the calls (chosen by the call's content, so
    a run with the same seed puts them in the same calls)."""
    names = [name for name in ID_PARAMETERS if name in (case.path_parameters or {})]
    if not names:
        return
    draw = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())
    if draw % 10 == 0:
        assert case.path_parameters is not None
        case.path_parameters[names[0]] = HOSTILE_IDS[draw // 10 % len(HOSTILE_IDS)]
