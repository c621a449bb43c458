"""`journeys validate` accepts the fixture sources and journeys, whether it is given their directory or the files.

An operator checks a changed source file before deploying it (`journeys validate definitions/stripe.source.yaml`,
or an editor hook on the one file saved): naming the file must check it as what its suffix says it is.
"""

from __future__ import annotations

import io
from pathlib import Path

from journeys.definitions.validate_command import run_validate
from tests.support import SHIPPED_DEFINITIONS, TEST_DEFINITIONS

SOURCES = sorted(TEST_DEFINITIONS.glob("fixture-*.source.yaml"))


def validate(*paths: Path) -> tuple[int, str]:
    out = io.StringIO()
    return run_validate([str(path) for path in paths], out), out.getvalue()


def test_the_fixture_directory_validates_with_every_source_listed() -> None:
    assert len(SOURCES) == 8
    code, output = validate(TEST_DEFINITIONS, SHIPPED_DEFINITIONS)
    assert code == 0, output
    for source in SOURCES:
        assert f"OK {source} (source {source.name.removesuffix('.source.yaml')}, preset " in output


def test_a_source_file_named_on_its_own_validates_as_a_source() -> None:
    source = TEST_DEFINITIONS / "fixture-stripe.source.yaml"
    code, output = validate(source)
    assert (code, output) == (0, f"OK {source} (source fixture-stripe, preset stripe)\n")
