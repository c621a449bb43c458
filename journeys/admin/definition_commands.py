"""`journeys reload` and `journeys migrate`: the definition operations of a running server.

`migrate` asks the server batch by batch (`nextAfter`) until every journey of the source version was checked, and
exits 1 when any was refused, so a deploy script notices journeys left behind.
"""

from __future__ import annotations

import argparse
from typing import Any

from journeys.admin.client import AdminClient, segment
from journeys.admin.report import Report
from journeys.admin.tables import table

MOVE_COLUMNS = ("journeyId", "fromState", "toState", "outcome", "reason")


async def reload_definitions(client: AdminClient, args: argparse.Namespace) -> Report:
    reloaded = await client.post("/definitions/reload")
    rows = [
        (j["journeyName"], j["journeyVersion"], j["digest"][:12], j["change"], "pinned" if j["pinned"] else "")
        for j in reloaded["journeys"]
    ]
    text = table(("journey", "version", "digest", "change", "pin"), rows) if rows else "No journeys loaded."
    if reloaded["removed"]:
        text += f"\nRemoved (no new starts; their journeys finish by their versions): {', '.join(reloaded['removed'])}"
    return Report(reloaded, text)


async def migrate_journeys(client: AdminClient, args: argparse.Namespace) -> Report:
    body: dict[str, Any] = {"from": args.source, "to": args.target, "dryRun": args.dry_run}
    if args.map:
        body["map"] = dict(pair.split("=", 1) for pair in args.map)
    path = f"/journeys/{segment(args.journey)}/migrations"
    report = await client.post(path, body)
    items = list(report["items"])
    while report["nextAfter"]:
        report = await client.post(path, {**body, "after": report["nextAfter"]})
        items += report["items"]
    counts = {
        outcome: sum(1 for item in items if item["outcome"] == outcome)
        for outcome in ("moved", "would-move", "refused")
    }
    merged = {
        **report,
        "items": items,
        "moved": counts["moved"],
        "wouldMove": counts["would-move"],
        "refused": counts["refused"],
        "nextAfter": None,
    }
    source, target = report["from"], report["to"]
    heading = (
        f"{'Dry run: ' if args.dry_run else ''}{args.journey} {source['journeyVersion']} ({source['digest'][:12]}) -> "
        f"{target['journeyVersion']} ({target['digest'][:12]}): "
        + (f"{counts['would-move']} would move" if args.dry_run else f"{counts['moved']} moved")
        + f", {counts['refused']} refused"
    )
    rows = [tuple(item[column] for column in MOVE_COLUMNS) for item in items]
    text = heading + ("\n\n" + table(MOVE_COLUMNS, rows) if rows else "\nNo journey of that version is running.")
    return Report(merged, text, exit_status=1 if counts["refused"] else 0)
