"""`journeys list`, `journeys show ID` and `journeys cancel ID`: journeys as the API gives them, laid out to read.

Each command is an `Action`: it asks the server through an `AdminClient` and returns a `Report` (the JSON for
`--json`, the tables otherwise). Nothing here decides anything the server decides: filters are passed through
and the server validates them.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from journeys.admin.client import AdminClient, segment
from journeys.admin.report import Report
from journeys.admin.tables import fields, table

Action = Callable[[AdminClient, argparse.Namespace], Awaitable[Report]]

RUNNING = "Running"  # the one phase with no result yet (the API's `JourneyStatus.phase`)
LIST_COLUMNS = ("journeyId", "journey", "version", "phase", "currentState", "updated")
HISTORY_COLUMNS = ("seq", "at", "event", "phase", "states", "detail")
# A longer walk shows the state it left and the last two it reached around an ellipsis (`--json` has every one).
WALK_SHOWN = 4
# Links every status carries; the others are what can be done to the journey now (its step, `cancel`).
READ_LINKS = frozenset({"self", "result"})


def journey_path(journey_id: str, *rest: str) -> str:
    return "/".join(("/journeys", segment(journey_id), *rest))


def when(timestamp: str | None) -> str:
    """An API timestamp to the second, for a table: `2026-01-01T10:00:00.123456Z` -> `2026-01-01 10:00:00Z`."""
    if not timestamp:
        return ""
    date, _, time = timestamp.partition("T")
    return f"{date} {time.split('.')[0].removesuffix('Z')}Z" if time else timestamp


async def list_journeys(client: AdminClient, args: argparse.Namespace) -> Report:
    """`GET /journeys` with the filters given; with `--all`, every page (`nextPageToken`) in turn."""
    given = {"journeyName": args.journey, "phase": args.phase, "journeyVersion": args.journey_version}
    query = {name: value for name, value in given.items() if value is not None}
    if args.limit is not None:
        query["limit"] = str(args.limit)
    page = await client.get("/journeys", query)
    items, token = list(page["items"]), page.get("nextPageToken")
    while args.all and token:
        page = await client.get("/journeys", {**query, "pageToken": token})
        items += page["items"]
        token = page.get("nextPageToken")
    rows = [
        (j["journeyId"], j["journeyName"], j.get("journeyVersion"), j["phase"], j["currentState"], when(j["updatedAt"]))
        for j in items
    ]
    text = table(LIST_COLUMNS, rows) if rows else "No journeys match."
    if token:
        text += "\n(more journeys: pass --all to list every page)"
    return Report({"items": items, "nextPageToken": token}, text)


async def show_journey(client: AdminClient, args: argparse.Namespace) -> Report:
    """Status, history and, once the journey has ended, its result."""
    status = await client.get(journey_path(args.journey_id))
    history = (await client.get(journey_path(args.journey_id, "history")))["items"]
    result = None if status["phase"] == RUNNING else await client.get(journey_path(args.journey_id, "result"))
    sections = [_status_block(status)]
    if result is not None:
        sections.append("Result\n" + _outcome_block(result, whose=False))
    walked = table(HISTORY_COLUMNS, [_history_row(t) for t in history], max_width=64) if history else "none"
    sections.append(f"History\n{walked}")
    return Report({"status": status, "result": result, "history": history}, "\n\n".join(sections))


async def cancel_journey(client: AdminClient, args: argparse.Namespace) -> Report:
    """`POST .../steps/cancel`: the outcome (an ended journey is left as it was and its outcome shown)."""
    outcome = await client.post(journey_path(args.journey_id, "steps", "cancel"))
    return Report(outcome, _outcome_block(outcome))


def _status_block(status: dict[str, Any]) -> str:
    actions = [name for name in status.get("_links", {}) if name not in READ_LINKS]
    return fields(
        [
            ("journeyId", status["journeyId"]),
            ("journey", status["journeyName"]),
            ("version", status.get("journeyVersion")),
            ("phase", status["phase"]),
            ("currentState", status["currentState"]),
            ("updated", when(status["updatedAt"])),
            ("actions", ", ".join(actions) or None),
        ]
    )


def _outcome_block(outcome: dict[str, Any], *, whose: bool = True) -> str:
    """The outcome's fields; `whose=False` leaves out which journey it is (shown above it already)."""
    error = outcome.get("error") or {}
    identity = [("journeyId", outcome["journeyId"]), ("journey", outcome["journeyName"])] if whose else []
    return fields(
        [
            *identity,
            ("phase", outcome["phase"]),
            ("status", outcome.get("status")),
            ("error", error.get("code")),
            ("reason", error.get("reason")),
            ("output", outcome.get("output")),
            ("updated", when(outcome["updatedAt"]) if whose else None),
        ]
    )


def _walk(transition: dict[str, Any]) -> str:
    """The states an advance walked through (`path`, from the state it left), or the state it stayed in."""
    states = transition.get("path") or [transition["toState"]]
    if len(states) > WALK_SHOWN:
        states = [states[0], "…", *states[-2:]]
    return " > ".join(states)


def _history_row(transition: dict[str, Any]) -> tuple[Any, ...]:
    return (
        transition["seq"],
        when(transition["at"]),
        transition["event"],
        transition["phase"],
        _walk(transition),
        transition.get("detail"),
    )
