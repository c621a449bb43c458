"""The `order-review` journey in two versions, and the helpers the version, reload and migration tests share."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.server.helpers import call
from tests.support import LiveServer

# Version 1 waits in `review`; approving succeeds with the decision, anything else fails REJECTED.
ORDER_REVIEW_V1 = """
apiVersion: v1
kind: Journey
metadata: {name: order-review, version: "1"}
spec:
  start: review
  states:
    review:
      type: wait
      wait:
        input:
          schema: {type: object, required: [approved], properties: {approved: {type: boolean}}}
      next: decide
    decide:
      type: choice
      choices:
        - when: {predicate: {lang: jsonata, expr: context.payload.approved = true}}
          next: approved
      default: rejected
    approved:
      type: succeed
    rejected:
      type: fail
      errorCode: REJECTED
      reason: The reviewer said no.
"""

# Version 2 renames the step to `managerReview` and routes an approval to a second look instead of success.
ORDER_REVIEW_V2 = """
apiVersion: v1
kind: Journey
metadata: {name: order-review, version: "2"}
spec:
  start: managerReview
  states:
    managerReview:
      type: wait
      wait:
        input:
          schema: {type: object, required: [approved], properties: {approved: {type: boolean}}}
      next: decide
    decide:
      type: choice
      choices:
        - when: {predicate: {lang: jsonata, expr: context.payload.approved = true}}
          next: secondLook
      default: rejected
    secondLook:
      type: fail
      errorCode: SECOND_LOOK
      reason: Approvals now need a second look.
    rejected:
      type: fail
      errorCode: REJECTED
      reason: The reviewer said no.
"""

# A parcel waits for a status line on the `fixture-text` source (a fixture of tests/fixtures/journeys).
PARCEL = """
apiVersion: v1
kind: Journey
metadata: {name: parcel, version: "1"}
spec:
  input:
    schema: {type: object, required: [orderId], properties: {orderId: {type: string}}}
  start: waitForStatus
  states:
    waitForStatus:
      type: webhook
      webhook:
        source: fixture-text
        correlationKey: "${context.orderId}"
        input:
          schema: {type: string}
      next: delivered
    delivered:
      type: succeed
"""

Start = Callable[..., Any]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def definitions_dir(directory: Path, **files: str) -> Path:
    """A definitions directory holding exactly `files` (journey name -> YAML text)."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / f"{name}.journey.yaml").write_text(text, encoding="utf-8")
    return directory


async def serve(start_server: Start, database_url: str, definitions: Path, now: datetime = NOW) -> LiveServer:
    return await start_server(database_url, definitions=(definitions,), now=now)  # type: ignore[no-any-return]


async def start_review(server: LiveServer) -> dict[str, Any]:
    status, body, _ = await call(server, "POST", "/api/v1/journeys/order-review/start", {})
    assert status == 200, body
    return body  # type: ignore[no-any-return]


async def approve(server: LiveServer, journey_id: str, step: str) -> dict[str, Any]:
    """Approve at `step`, then return the journey's result."""
    status, body, _ = await call(server, "POST", f"/api/v1/journeys/{journey_id}/steps/{step}", {"approved": True})
    assert status == 200, body
    status, result, _ = await call(server, "GET", f"/api/v1/journeys/{journey_id}/result")
    assert status == 200, result
    return result  # type: ignore[no-any-return]
