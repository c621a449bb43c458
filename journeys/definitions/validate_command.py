"""`journeys validate PATH...`: check definition files without starting a server (for CI and editors)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from journeys.definitions.errors import DefinitionError, DefinitionErrors
from journeys.definitions.loader import duplicate_name_errors, find_definition_files, load_definition
from journeys.definitions.model import JourneyDefinition


def run_validate(paths: Sequence[str], out: TextIO) -> int:
    """Print `OK ...` per valid file and every error of every invalid one; return 0 only if all are valid."""
    files, errors = find_definition_files(paths)
    loaded: list[JourneyDefinition] = []
    failures: dict[str, list[DefinitionError]] = {}
    for file in files:
        try:
            loaded.append(load_definition(file))
        except DefinitionErrors as failure:
            failures[str(file)] = failure.errors
    for error in duplicate_name_errors(loaded):
        failures.setdefault(error.file, []).append(error)

    for error in errors:
        print(error, file=out)
    valid = {str(definition.source): definition for definition in loaded}
    for file in map(str, files):
        if file in failures:
            for error in failures[file]:
                print(error, file=out)
        else:
            definition = valid[file]
            print(f"OK {file} ({definition.name} {definition.version}, {len(definition.states)} states)", file=out)

    if not files and not errors:
        print("no definition files found (expected *.journey.yaml, *.journey.yml or *.journey.json)", file=out)
        return 1
    invalid = len(failures) + len(errors)
    if invalid:
        print(f"{invalid} of {len(files) + len(errors)} definition file(s) invalid", file=out)
        return 1
    return 0
