"""The journeys list (`/console/`): filters, counts by phase, keyset pages, and flags on journeys that need a look.

The filters are the list API's (`GET /api/v1/journeys`) plus what an operator hunting a stuck journey asks:
current state, start/update time ranges, and business keys as `key.<name>=value` (the definition's
`spec.metadata.searchKeys`, an indexed point lookup). The form has one key name/value pair (`keyName`,
`keyValue`: a plain form cannot name its fields after what is typed); links write every key as `key.<name>`.
Times are UTC; a time without an offset (what a `datetime-local` field sends) is read as UTC.

A waiting journey is flagged *overdue* when its step's deadline (`onTimeout`) has passed without the timer firing
(the scheduler is behind or stopped), and *idle* when it has not moved for longer than `idleHours` (24 by
default): the two ways a journey that waits for something that will not come shows up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from journeys.engine import Snapshot
from journeys.engine.lifecycle import PHASES, RUNNING
from journeys.http_api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from journeys.server.app_keys import ENGINE
from journeys.server.console.rendering import refusal, wants_html
from journeys.server.console.visits import Visit
from journeys.server.problems import ProblemError
from journeys.server.query_params import decode_page_token, next_page_token

KEY_PREFIX = "key."
DEFAULT_IDLE_HOURS = 24.0
TIME_FILTERS = ("startedAfter", "startedBefore", "updatedAfter", "updatedBefore")


class FilterError(ValueError):
    """A filter the list cannot apply; the message names the field."""


@dataclass(frozen=True)
class Filters:
    journey_name: str | None = None
    phase: str | None = None
    current_state: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)  # TIME_FILTERS present -> UTC datetime
    idle_hours: float = DEFAULT_IDLE_HOURS
    limit: int = DEFAULT_PAGE_SIZE

    def engine_filters(self, *, with_phase: bool = True) -> dict[str, Any]:
        """`engine.list`/`engine.phase_counts` keyword arguments (every client's journeys: `started_by` unset)."""
        return {
            "journey_name": self.journey_name,
            "phase": self.phase if with_phase else None,
            "current_state": self.current_state,
            "keys": dict(self.keys),
            "started_after": self.times.get("startedAfter"),
            "started_before": self.times.get("startedBefore"),
            "updated_after": self.times.get("updatedAfter"),
            "updated_before": self.times.get("updatedBefore"),
        }

    def query(self, **changes: str | None) -> str:
        """The list URL's query for these filters, with `changes` (None removes a parameter)."""
        params: dict[str, str] = {}
        if self.journey_name:
            params["journeyName"] = self.journey_name
        if self.phase:
            params["phase"] = self.phase
        if self.current_state:
            params["currentState"] = self.current_state
        params.update((KEY_PREFIX + name, value) for name, value in self.keys.items())
        params.update((name, value.isoformat(timespec="seconds")) for name, value in self.times.items())
        if self.idle_hours != DEFAULT_IDLE_HOURS:
            params["idleHours"] = f"{self.idle_hours:g}"
        if self.limit != DEFAULT_PAGE_SIZE:
            params["limit"] = str(self.limit)
        for name, value in changes.items():
            params.pop(name, None)
            if value is not None:
                params[name] = value
        return urlencode(params)

    def form_time(self, name: str) -> str:
        """A time filter as a `datetime-local` field shows it."""
        value = self.times.get(name)
        return "" if value is None else value.strftime("%Y-%m-%dT%H:%M:%S")


def _text(query: Any, name: str) -> str | None:
    value = (query.get(name) or "").strip()
    if "\x00" in value:
        raise FilterError(f"{name} must not contain NUL characters")
    return value or None


def _time(name: str, raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip())
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise FilterError(f"{name} must be a date and time like 2026-01-31T14:00 (UTC), got '{raw[:40]}'") from error


def _number(query: Any, name: str, default: float, low: float, high: float) -> float:
    raw = (query.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise FilterError(f"{name} must be a number from {low:g} to {high:g}")
    return value


def parse_filters(query: Any) -> Filters:
    phase = _text(query, "phase")
    if phase is not None:
        phase = next((known for known in PHASES if known.lower() == phase.lower()), None)
        if phase is None:
            raise FilterError(f"phase must be one of {', '.join(PHASES)}")
    keys = {name[len(KEY_PREFIX) :]: value for name, value in query.items() if name.startswith(KEY_PREFIX) and value}
    key_name, key_value = _text(query, "keyName"), _text(query, "keyValue")
    if key_name and key_value:
        keys[key_name] = key_value
    if any("\x00" in part for pair in keys.items() for part in pair):
        raise FilterError("business keys must not contain NUL characters")
    return Filters(
        journey_name=_text(query, "journeyName"),
        phase=phase,
        current_state=_text(query, "currentState"),
        keys=keys,
        times={name: _time(name, query[name]) for name in TIME_FILTERS if (query.get(name) or "").strip()},
        idle_hours=_number(query, "idleHours", DEFAULT_IDLE_HOURS, 0, 24 * 365),
        limit=int(_number(query, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)),
    )


@dataclass(frozen=True, slots=True)
class Row:
    """A journey as the list shows it, with the flags an operator looks for."""

    snapshot: Snapshot
    overdue: bool  # waiting past its step's deadline: the timer has not fired
    idle: timedelta | None  # how long a running journey has not moved, when longer than the threshold


def row_of(snapshot: Snapshot, now: datetime, idle_after: timedelta) -> Row:
    record = snapshot.record
    overdue = record.waiting and record.due_at is not None and record.due_at < now
    still = now - record.updated_at
    idle = still if record.phase == RUNNING and still > idle_after else None
    return Row(snapshot, overdue, idle)


def _choices(visit: Visit, filters: Filters) -> dict[str, list[str]]:
    """What the form offers to pick from: the loaded journeys, the states of the chosen one, the key names."""
    definitions = visit.request.app[ENGINE].definitions
    chosen = definitions.get(filters.journey_name or "")
    states = list(chosen.states) if chosen else sorted({s for d in definitions.values() for s in d.states})
    key_names = sorted({name for d in definitions.values() for name in d.search_keys})
    return {"journeys": sorted(definitions), "states": states, "keys": key_names}


def _page(
    visit: Visit,
    filters: Filters,
    status: int = 200,
    *,
    rows: list[Row] | None = None,
    counts: dict[str, int] | None = None,
    next_page: str | None = None,
    first_page: bool = False,
    error: str | None = None,
) -> web.Response:
    return visit.render(
        "journeys.html",
        status,
        filters=filters,
        rows=rows or [],
        counts=counts or {},
        next_page=next_page,
        first_page=first_page,
        error=error,
        choices=_choices(visit, filters),
    )


async def journey_list(visit: Visit) -> web.Response:
    query = visit.request.query
    try:
        filters = parse_filters(query)
        after = decode_page_token(query.get("pageToken"))
    except (FilterError, ProblemError) as error:
        detail = error.detail if isinstance(error, ProblemError) else str(error)
        if not wants_html(visit.request):
            return refusal(visit.request, 400, "Invalid query parameter", detail, "invalid-query")
        return _page(visit, Filters(), 400, error=detail)
    engine = visit.request.app[ENGINE]
    fetched = await engine.list(limit=filters.limit + 1, after=after, **filters.engine_filters())
    counts = await engine.phase_counts(**filters.engine_filters(with_phase=False))
    token = next_page_token(fetched, filters.limit, lambda s: (s.record.created_at, s.record.id))
    now, idle_after = engine.clock(), timedelta(hours=filters.idle_hours)
    return _page(
        visit,
        filters,
        rows=[row_of(snapshot, now, idle_after) for snapshot in fetched[: filters.limit]],
        counts=counts,
        next_page=None if token is None else filters.query(pageToken=token),
        first_page=after is not None,
    )
