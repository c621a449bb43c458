"""Operator endpoints: reload the definitions from disk, migrate waiting journeys between stored versions, retry a
failed journey, submit a step on a caller's behalf.

All need the `operator` scope: they change what every client's new journeys run, or journeys of any owner, and
each is recorded with who asked (and why, where a reason is given).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from journeys.engine.migrations import MAX_BATCH, MOVED, REFUSED, WOULD_MOVE, Migration, MigrationReport
from journeys.engine.versions import Reloaded
from journeys.http_api import API_PREFIX
from journeys.server.app_keys import ENGINE
from journeys.server.auth import Access, guard, principal_name
from journeys.server.declared_length import add_post
from journeys.server.problems import ProblemError
from journeys.server.reloading import DefinitionReloader, ReloadRefused
from journeys.server.representations import status_body
from journeys.server.request_bodies import read_json

RELOADER: web.AppKey[DefinitionReloader] = web.AppKey("definition_reloader", DefinitionReloader)


def _json(body: Any) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def reloaded_body(reloaded: Reloaded) -> dict[str, Any]:
    return {
        "journeys": [
            {
                "journeyName": j.name,
                "journeyVersion": j.label,
                "digest": j.digest,
                "previousDigest": j.previous_digest,
                "change": j.change,
                "pinned": j.pinned,
            }
            for j in reloaded.journeys
        ],
        "removed": list(reloaded.removed),
        "sources": list(reloaded.sources),
    }


async def reload_definitions(request: web.Request) -> web.Response:
    try:
        reloaded = await request.app[RELOADER].reload()
    except ReloadRefused as refused:
        detail = f"the reload was refused and the previous definitions stay loaded: {refused.problems[0]}"
        if len(refused.problems) > 1:
            detail += f" (and {len(refused.problems) - 1} more problems, in `problems`)"
        raise ProblemError(422, "reload-refused", "Reload refused", detail, problems=refused.problems) from refused
    return _json(reloaded_body(reloaded))


def _invalid(detail: str) -> ProblemError:
    return ProblemError(400, "invalid-migration", "Migration cannot be run as asked", detail)


def _text(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise _invalid(f"`{name}` must be a non-empty string")
    return value


def _state_map(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
        raise _invalid("`map` must be an object from state names of the old version to state names of the new one")
    return dict(value)


def _migration(name: str, body: object, by: str | None) -> Migration:
    if not isinstance(body, dict):
        raise _invalid('the body must be a JSON object like {"from": "1.0.0", "to": "2.0.0"}')
    unknown = sorted(set(body) - {"from", "to", "map", "dryRun", "after", "limit"})
    if unknown:
        raise _invalid(f"unknown members {unknown}; known: after, dryRun, from, limit, map, to")
    dry_run, limit = body.get("dryRun", False), body.get("limit", MAX_BATCH)
    if not isinstance(dry_run, bool):
        raise _invalid("`dryRun` must be true or false")
    if isinstance(limit, float) and limit.is_integer():
        limit = int(limit)  # 500.0 is a JSON Schema integer
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
        raise _invalid(f"`limit` must be a whole number from 1 to {MAX_BATCH}")
    return Migration(
        journey_name=name,
        source=_text(body, "from", required=True) or "",
        target=_text(body, "to", required=True) or "",
        state_map=_state_map(body.get("map")),
        dry_run=dry_run,
        by=by,
        after=_text(body, "after", required=False),
        limit=limit,
    )


def migration_body(report: MigrationReport) -> dict[str, Any]:
    counts = {outcome: sum(1 for m in report.moves if m.outcome == outcome) for outcome in (MOVED, WOULD_MOVE, REFUSED)}
    return {
        "journeyName": report.journey_name,
        "from": {"journeyVersion": report.source.label, "digest": report.source.digest},
        "to": {"journeyVersion": report.target.label, "digest": report.target.digest},
        "dryRun": report.dry_run,
        "moved": counts[MOVED],
        "wouldMove": counts[WOULD_MOVE],
        "refused": counts[REFUSED],
        "items": [
            {
                "journeyId": m.journey_id,
                "fromState": m.from_state,
                "toState": m.to_state,
                "outcome": m.outcome,
                "reason": m.reason,
            }
            for m in report.moves
        ],
        "nextAfter": report.next_after,
    }


async def migrate_journeys(request: web.Request) -> web.Response:
    migration = _migration(request.match_info["journeyName"], await read_json(request), principal_name(request))
    return _json(migration_body(await request.app[ENGINE].migrations.migrate(migration)))


def _members(body: object, required: tuple[str, ...], optional: tuple[str, ...], example: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ProblemError(
            400, "invalid-request", "Invalid request body", f"the body must be a JSON object like {example}"
        )
    unknown = sorted(set(body) - {*required, *optional})
    missing = [name for name in required if not isinstance(body.get(name), str) or not body[name]]
    reason = body.get("reason")
    if unknown or missing or not (reason is None or isinstance(reason, str)):
        detail = f"expected {example}" + (f"; unknown members {unknown}" if unknown else "")
        raise ProblemError(400, "invalid-request", "Invalid request body", detail)
    return body


async def retry_journey(request: web.Request) -> web.Response:
    body = _members(await read_json(request), ("fromState",), ("reason",), '{"fromState": "callPsp", "reason": "..."}')
    interventions = request.app[ENGINE].interventions
    snapshot = await interventions.retry(
        request.match_info["journeyId"], body["fromState"], by=principal_name(request), reason=body.get("reason")
    )
    return _json(status_body(snapshot))


async def submit_for_caller(request: web.Request) -> web.Response:
    example = '{"step": "waitForCallback", "body": {...}, "reason": "lost callback, confirmed by phone"}'
    body = _members(await read_json(request), ("step",), ("body", "reason"), example)
    interventions = request.app[ENGINE].interventions
    snapshot = await interventions.submit_for(
        request.match_info["journeyId"],
        body["step"],
        body.get("body"),
        by=principal_name(request),
        reason=body.get("reason"),
    )
    return _json(status_body(snapshot))


def add_operator_routes(app: web.Application, reloader: DefinitionReloader) -> None:
    app[RELOADER] = reloader
    guard(app, add_post(app, f"{API_PREFIX}/definitions/reload", reload_definitions), Access.OPERATOR)
    migrations = add_post(app, f"{API_PREFIX}/journeys/{{journeyName}}/migrations", migrate_journeys)
    guard(app, migrations, Access.OPERATOR)
    journey = f"{API_PREFIX}/journeys/{{journeyId}}"
    guard(app, add_post(app, f"{journey}/retry", retry_journey), Access.OPERATOR)
    guard(app, add_post(app, f"{journey}/submissions", submit_for_caller), Access.OPERATOR)
