"""Each file under broken/ has exactly one defect; loading it must report exactly that one, precisely.

The line an error should point at is marked in the file itself with `# expect-error`, so the expectations
below only name the state, the field and a fragment of the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.definitions import DefinitionError, DefinitionErrors, load_definition, load_definitions

BROKEN = Path(__file__).parent / "broken"

# file -> (state, field, message fragment, unsupported)
EXPECTED: dict[str, tuple[str | None, str, str, bool]] = {
    "unknown-state-type": ("pause", "spec.states.pause.type", "unknown state type 'sleep' (supported: choice,", False),
    "subjourney-unknown-ref": ("check", "spec.states.check.subjourney.ref", "no subjourney 'reveiw'", False),
    "unknown-state-field": ("checkKey", "spec.states.checkKey.retries", "unknown field 'retries'", False),
    "dangling-next": (
        "checkKey",
        "spec.states.checkKey.next",
        "no state 'dne' in spec.states (did you mean 'done'?)",
        False,
    ),
    "dangling-choice-default": ("route", "spec.states.route.default", "no state 'rejected'", False),
    "unreachable-state": ("orphan", "spec.states.orphan", "unreachable from spec.start 'done'", False),
    "invalid-schema": (
        "waitForCallback",
        "spec.states.waitForCallback.webhook.input.schema.type",
        "invalid JSON Schema 2020-12",
        False,
    ),
    "bad-expression": (
        "route",
        "spec.states.route.choices[0].when.predicate.expr",
        "jsonata expression does not parse",
        False,
    ),
    "unknown-expression-language": (
        "route",
        "spec.states.route.choices[0].when.predicate.lang",
        "expression language 'python' is not supported",
        True,
    ),
    "missing-start": (None, "spec.start", "missing required field", False),
    "start-nowhere": (None, "spec.start", "no state 'begin'", False),
    "wait-without-input-schema": ("approve", "spec.states.approve.wait.input.schema", "missing required field", False),
    "timeout-without-ontimeout": (
        "approve",
        "spec.states.approve.wait.onTimeout",
        "required when timeoutSec is set",
        False,
    ),
    "webhook-next-and-default": ("callback", "spec.states.callback.default", "alias of 'next'", False),
    "unknown-task-kind": (
        "notify",
        "spec.states.notify.task.kind",
        "unsupported task kind 'smsSend:v1' (supported: apiKeyValidate:v1",
        True,
    ),
    "bad-result-var": ("project", "spec.states.project.resultVar", "'1st-amount' is not an identifier", False),
    "reserved-response-field": (
        "approve",
        "spec.states.approve.wait.response.schema.properties.phase",
        "'phase' is a reserved JourneyStatus field",
        False,
    ),
    "yaml-syntax-error": (None, "", "YAML syntax error", False),
    "kind-api": ("approve", "spec.states.approve.type", "a wait state cannot be used in kind: Api", False),
    "unsupported-spec-block": (
        None,
        "spec.errors",
        "spec.errors is not supported by this engine yet",
        True,
    ),
    "unknown-spec-field": (None, "spec.stats", "unknown field 'stats'", False),
    "mapper-and-mapperref": (
        "project",
        "spec.states.project.transform.mapperRef",
        "either 'mapper' or 'mapperRef'",
        False,
    ),
    "unknown-mapper-ref": (
        "project",
        "spec.states.project.transform.mapperRef",
        "no mapper 'totals' in spec.mappers",
        False,
    ),
    "fail-without-error-code": ("rejected", "spec.states.rejected.errorCode", "missing required field", False),
    "wait-callback-channel": ("approve", "spec.states.approve.wait.channel", "must be 'manual'", False),
    "transform-attributes-target": (
        "tag",
        "spec.states.tag.transform.target.kind",
        "target.kind 'attributes' is not supported",
        True,
    ),
    "bad-metadata-name": (None, "metadata.name", "'Payment_Flow' is not a lowercase slug", False),
    "empty-choices": ("route", "spec.states.route.choices", "must be a non-empty list", False),
    "api-key-source-location": (
        "checkKey",
        "spec.states.checkKey.task.source.location",
        "must be one of header, query",
        False,
    ),
    "wrong-api-version": (None, "apiVersion", "must be v1", False),
    "duplicate-key": ("checkKey", "spec.states.checkKey.next", "duplicate key 'next'", False),
}


def _marked_line(path: Path) -> int:
    lines = [number for number, text in enumerate(path.read_text().splitlines(), 1) if "# expect-error" in text]
    assert len(lines) == 1, f"{path.name} must mark exactly one line with '# expect-error'"
    return lines[0]


def _single_error(path: Path) -> DefinitionError:
    with pytest.raises(DefinitionErrors) as raised:
        load_definition(path)
    errors = raised.value.errors
    assert len(errors) == 1, "expected exactly one error, got:\n" + str(raised.value)
    return errors[0]


def test_every_broken_file_has_an_expectation() -> None:
    files = {path.name.removesuffix(".journey.yaml") for path in BROKEN.glob("*.journey.yaml")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_definition_reports_its_defect(name: str) -> None:
    state, field, fragment, unsupported = EXPECTED[name]
    path = BROKEN / f"{name}.journey.yaml"

    error = _single_error(path)

    assert (error.file, error.state, error.field) == (str(path), state, field)
    assert fragment in error.message
    assert error.unsupported is unsupported
    assert error.line == _marked_line(path)
    rendered = str(error)
    assert rendered.startswith(f"{path}:{error.line}: ")
    assert error.message in rendered
    if state is not None:
        assert f"state '{state}'" in rendered


def test_duplicate_journey_names_across_files_are_rejected() -> None:
    directory = BROKEN / "duplicate-names"

    with pytest.raises(DefinitionErrors) as raised:
        load_definitions([directory])

    [error] = raised.value.errors
    assert error.file == str(directory / "second.journey.yaml")
    assert error.field == "metadata.name"
    assert "duplicate journey name 'same-name'" in error.message
    assert str(directory / "first.journey.yaml") in error.message


def test_all_problems_of_a_directory_are_reported_together() -> None:
    with pytest.raises(DefinitionErrors) as raised:
        load_definitions([BROKEN])

    reported_files = {Path(error.file).name.removesuffix(".journey.yaml") for error in raised.value.errors}
    assert reported_files == set(EXPECTED)
