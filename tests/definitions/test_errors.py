"""Rendering of definition errors: one readable line per problem."""

from __future__ import annotations

from journeys.definitions import DefinitionError, DefinitionErrors


def test_error_names_file_line_state_and_field() -> None:
    error = DefinitionError("defs/a.journey.yaml", "route", "spec.states.route.default", "no state 'x'", line=12)

    assert str(error) == "defs/a.journey.yaml:12: state 'route': spec.states.route.default: no state 'x'"


def test_error_without_state_line_or_field_omits_them() -> None:
    assert str(DefinitionError("a.yaml", None, "spec.start", "missing required field")) == (
        "a.yaml: spec.start: missing required field"
    )
    assert str(DefinitionError("a.yaml", None, "", "cannot read file")) == "a.yaml: cannot read file"


def test_errors_render_one_per_line() -> None:
    errors = DefinitionErrors(
        [DefinitionError("a.yaml", None, "kind", "must be 'Journey'"), DefinitionError("b.yaml", "s", "x", "bad")]
    )

    assert str(errors) == "a.yaml: kind: must be 'Journey'\nb.yaml: state 's': x: bad"
    assert len(errors.errors) == 2
