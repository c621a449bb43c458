"""`journeys validate PATH...`: check definition and source files without starting a server (CI, editors)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from journeys.definitions.context_reads import unwritten_reads
from journeys.definitions.errors import DefinitionErrors
from journeys.definitions.inbound_sources import find_source_files, load_source_files, source_reference_errors
from journeys.definitions.loader import duplicate_name_errors, find_definition_files, load_definition
from journeys.definitions.model import JourneyDefinition


def run_validate(paths: Sequence[str], out: TextIO) -> int:
    """Print `OK ...` per valid file and every error of every invalid one; return 0 only if all are valid.

    A journey's `webhook.source` must name a source among the files given (the server would refuse it too).
    A valid journey's warnings (`WARN file:line: field: message`, see `context_reads`) follow its `OK` line; they
    never change the exit status.
    """
    files, errors = find_definition_files(paths)
    source_files = find_source_files(paths)
    loaded: list[JourneyDefinition] = []
    sources, failures = load_source_files(source_files)
    for file in files:
        try:
            loaded.append(load_definition(file))
        except DefinitionErrors as failure:
            failures[str(file)] = failure.errors
    for error in duplicate_name_errors(loaded):
        failures.setdefault(error.file, []).append(error)
    for error in source_reference_errors({d.name: d for d in loaded}, sources):
        failures.setdefault(error.file, []).append(error)

    for error in errors:
        print(error, file=out)
    valid = {str(definition.source): definition for definition in loaded}
    valid_sources = {str(source.source): source for source in sources.values()}
    for file in map(str, [*files, *source_files]):
        if file in failures:
            for error in failures[file]:
                print(error, file=out)
        elif file in valid:
            definition = valid[file]
            print(f"OK {file} ({definition.name} {definition.version}, {len(definition.states)} states)", file=out)
            for warning in unwritten_reads(definition):
                print(warning, file=out)
        else:
            source = valid_sources[file]
            print(f"OK {file} (source {source.name}, preset {source.verify.preset})", file=out)

    checked = len(files) + len(source_files)
    if not checked and not errors:
        print(
            "no definition files found (expected *.journey.yaml, *.journey.yml, *.journey.json or *.source.yaml)",
            file=out,
        )
        return 1
    invalid = len(failures) + len(errors)
    if invalid:
        print(f"{invalid} of {checked + len(errors)} definition file(s) invalid", file=out)
        return 1
    return 0
