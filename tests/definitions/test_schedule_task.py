"""schedule:v1 is checked at load: its literals, its `start`, and that no scheduled run can wait for input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from journeys.definitions import DefinitionErrors, load_definition_text
from journeys.definitions.durations import parse_duration
from journeys.definitions.schedule_task import ScheduleTask
from journeys.engine.schedule_desk import next_occurrence

SWEEP = {
    "sweep": {"type": "transform", "transform": {"mapper": {"lang": "dataweave", "expr": "context"}}, "next": "end"}
}


def _journey(task: dict[str, Any], states: dict[str, Any] | None = None, kind: str = "Journey") -> str:
    defaults = {"kind": "schedule:v1", "start": "sweep", "interval": "P1D", "maxRuns": 3, **task}
    schedule = {key: value for key, value in defaults.items() if value is not None}  # None: leave the field out
    document = {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": "t", "version": "1"},
        "spec": {
            "start": "bind",
            "states": {
                "bind": {"type": "task", "task": schedule, "next": "end"},
                **(states or SWEEP),
                "end": {"type": "succeed"},
            },
        },
    }
    return yaml.safe_dump(document, sort_keys=False)


def _errors(text: str) -> dict[str, str]:
    with pytest.raises(DefinitionErrors) as failure:
        load_definition_text(text, Path("t.journey.yaml"))
    return {error.field: error.message for error in failure.value.errors}


def test_a_schedule_with_literals_and_mappers_loads() -> None:
    mapper = {"mapper": {"lang": "dataweave", "expr": "context.firstRunAt"}}
    definition = load_definition_text(_journey({"startAt": mapper, "onExisting": "upsert"}), Path("t.journey.yaml"))
    task = definition.states["bind"].task  # type: ignore[union-attr]
    assert isinstance(task, ScheduleTask)
    assert (task.start, task.interval, task.max_runs, task.on_existing) == ("sweep", "P1D", 3, "upsert")
    assert task.start_at is not None and task.start_at.source == "context.firstRunAt"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("task", "field", "words"),
    [
        ({"interval": "PT30S"}, "interval", "at least one minute"),
        ({"interval": "daily"}, "interval", "ISO-8601"),
        ({"maxRuns": 0}, "maxRuns", "positive integer"),
        ({"maxRuns": "12"}, "maxRuns", "positive integer"),
        ({"startAt": "tomorrow"}, "startAt", "RFC 3339"),
        ({"onExisting": "replace"}, "onExisting", "fail, upsert, addAnother"),
        ({"subjectId": "t-1"}, "subjectId", "must be a mapping"),
        ({"start": "swept"}, "start", "did you mean 'sweep'"),
        ({"interval": {"expr": "context.interval"}}, "interval.expr", "unknown field 'expr'"),
    ],
)
def test_a_bad_field_is_reported_at_its_field(task: dict[str, Any], field: str, words: str) -> None:
    errors = _errors(_journey(task))
    assert words in errors[f"spec.states.bind.task.{field}"], errors


def test_interval_and_max_runs_are_required() -> None:
    errors = _errors(_journey({"interval": None, "maxRuns": None}))
    assert {"spec.states.bind.task.interval", "spec.states.bind.task.maxRuns"} <= set(errors)


def test_a_scheduled_path_that_can_wait_for_input_is_rejected_naming_the_step() -> None:
    states = {
        "sweep": {"type": "transform", "transform": {"mapper": {"lang": "dataweave", "expr": "context"}}, "next": "ok"},
        "ok": {"type": "wait", "wait": {"input": {"schema": {"type": "object"}}}, "next": "end"},
    }
    errors = _errors(_journey({}, states))
    assert "'ok'" in errors["spec.states.bind.task.start"] and "must not wait" in errors["spec.states.bind.task.start"]


def test_an_api_cannot_schedule() -> None:
    errors = _errors(_journey({}, kind="Api"))
    assert "kind: Api" in errors["spec.states.bind.task.kind"]


def test_occurrences_keep_their_phase_and_skip_what_was_missed() -> None:
    anchor = datetime(2026, 1, 31, 23, tzinfo=UTC)
    monthly = parse_duration("P1M")
    assert next_occurrence(anchor, monthly, anchor) == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert next_occurrence(anchor, monthly, datetime(2026, 3, 1, tzinfo=UTC)) == datetime(2026, 3, 31, 23, tzinfo=UTC)
    daily = parse_duration("P1D")
    missed = anchor + timedelta(days=10, hours=5)
    assert next_occurrence(anchor, daily, missed) == anchor + timedelta(days=11)
    assert next_occurrence(anchor, daily, anchor + timedelta(days=1)) == anchor + timedelta(days=2)
