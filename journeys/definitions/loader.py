"""Load journey definition files into compiled, immutable `JourneyDefinition`s.

Everything is validated here, once: document shape, metadata, spec blocks, every state, every schema and
expression, and the state graph. A definition that loads can therefore be run without further checks, and
one that does not load comes with every problem in the file, each naming file, line, state and field.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

from journeys.definitions.api_kind import KINDS, check_api_spec, pausing_states, route_clash_errors
from journeys.definitions.compensation import parse_compensation
from journeys.definitions.cookie_spec import parse_cookies
from journeys.definitions.errors import DefinitionError, DefinitionErrors
from journeys.definitions.fields import Block, LoadContext, compile_file, compile_text, describe
from journeys.definitions.graph import check_graph, unknown_state_message
from journeys.definitions.http_bindings import parse_bindings
from journeys.definitions.inbound_model import SOURCE_SUFFIXES
from journeys.definitions.metadata_bindings import check_definition_tags
from journeys.definitions.model import JourneyDefinition, State
from journeys.definitions.parallel_state import branch_scopes, step_scopes
from journeys.definitions.schedule_task import check_scheduled_paths
from journeys.definitions.spec_blocks import parse_spec_blocks
from journeys.definitions.states import parse_state
from journeys.definitions.subjourneys import parse_subjourneys

DEFINITION_SUFFIXES = (".journey.yaml", ".journey.yml", ".journey.json")
JOURNEY_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def load_definition(path: str | Path) -> JourneyDefinition:
    """Load and fully validate one definition file; raise DefinitionErrors listing every problem."""
    return compile_file(Path(path), _compile)


def load_definition_text(text: str, file: str) -> JourneyDefinition:
    """Compile a definition's stored source (`file`: the name it was loaded from, for messages and its format)."""
    return compile_text(text, Path(file), _compile)


def content_digest(document: Any) -> str:
    """The version identity of a parsed document: comments, layout, key order and YAML-vs-JSON do not change it,
    so re-saving a file unchanged never makes a new version, while any change to what it says does."""
    normalised = orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(normalised).hexdigest()


def load_definitions(paths: Iterable[str | Path]) -> dict[str, JourneyDefinition]:
    """Load files and directories (scanned for DEFINITION_SUFFIXES) into a name -> definition map.

    Raises DefinitionErrors with the problems of every file, including names defined by two files.
    """
    files, errors = find_definition_files(paths)
    definitions: list[JourneyDefinition] = []
    for file in files:
        try:
            definitions.append(load_definition(file))
        except DefinitionErrors as failure:
            errors.extend(failure.errors)
    errors.extend(duplicate_name_errors(definitions))
    errors.extend(route_clash_errors(definitions))
    if errors:
        raise DefinitionErrors(errors)
    return {definition.name: definition for definition in definitions}


def find_definition_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[DefinitionError]]:
    """Expand directories (not recursively) and check explicit paths exist; each file is listed once."""
    files: list[Path] = []
    errors: list[DefinitionError] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            candidates = sorted(
                child for child in path.iterdir() if child.is_file() and child.name.endswith(DEFINITION_SUFFIXES)
            )
        elif path.is_file():
            candidates = [] if path.name.endswith(SOURCE_SUFFIXES) else [path]  # a source, loaded as one
        else:
            errors.append(DefinitionError(str(path), None, "", "no such file or directory"))
            continue
        for candidate in candidates:
            if candidate.resolve() not in seen:
                seen.add(candidate.resolve())
                files.append(candidate)
    return files, errors


def duplicate_name_errors(definitions: Iterable[JourneyDefinition]) -> list[DefinitionError]:
    """Journey names are the URL key (`/journeys/{name}/start`), so two files may not share one."""
    first_source: dict[str, Path] = {}
    errors: list[DefinitionError] = []
    for definition in definitions:
        if definition.name in first_source:
            message = f"duplicate journey name '{definition.name}' (also defined in {first_source[definition.name]})"
            errors.append(DefinitionError(str(definition.source), None, "metadata.name", message))
        else:
            first_source[definition.name] = definition.source
    return errors


def _compile(ctx: LoadContext, data: Any, path: Path) -> JourneyDefinition | None:
    if not isinstance(data, Mapping):
        ctx.report((), f"a definition must be a mapping with apiVersion, kind, metadata and spec, not {describe(data)}")
        return None
    root = Block(ctx, (), data)
    root.allow("apiVersion", "kind", "metadata", "spec")
    api_version = root.string("apiVersion", required=True)
    if api_version is not None and api_version != "v1":
        root.report("apiVersion", f"must be v1, not '{api_version}'")
    kind = root.string("kind", required=True)
    if kind is not None and kind not in KINDS:
        root.report("kind", f"must be 'Journey' or 'Api', not '{kind}'")

    name, version, description, tags = _metadata(root)
    spec = root.block("spec", required=True)
    if spec is None:
        return None
    settings = parse_spec_blocks(spec)
    pausing = pausing_states(spec)
    if kind == "Api":
        check_api_spec(spec, pausing)
    bindings = parse_bindings(spec, kind or "Journey", [s for s, t in pausing.items() if t != "timer"])
    cookies = parse_cookies(spec, kind or "Journey", pausing)
    states, state_ids = _states(spec)
    subjourneys = parse_subjourneys(spec, states, kind)
    compensation = parse_compensation(spec, subjourneys, kind)
    start = spec.string("start", required=True)
    if start is not None and state_ids and start not in state_ids:
        spec.report("start", unknown_state_message(start, state_ids))
    check_graph(ctx, start, state_ids)
    scopes = branch_scopes(states)
    steps_in_branches = step_scopes(ctx, states, scopes)
    check_scheduled_paths(ctx, kind, states)

    if ctx.errors or name is None or version is None or start is None:
        return None
    return JourneyDefinition(
        name=name,
        version=version,
        source=path,
        start=start,
        states=MappingProxyType(states),
        input_schema=settings.input_schema,
        output_schema=settings.output_schema,
        description=description,
        start_mode=settings.start_mode,
        cancellable=settings.cancellable,
        links_enabled=settings.links_enabled,
        raw=data,
        idempotency_key=settings.idempotency_key,
        callback_url=settings.callback_url,
        source_text=ctx.source.text,
        digest=content_digest(data),
        search_keys=settings.metadata.search_keys,
        redact=settings.metadata.redact,
        execution=settings.execution,
        kind="Api" if kind == "Api" else "Journey",
        http_bindings=bindings,
        cookies=cookies,
        platform_config=settings.platform_config,
        outcomes=settings.outcomes,
        tags=tags,
        metadata_bindings=settings.metadata.bindings,
        scopes=MappingProxyType(scopes),
        step_scopes=MappingProxyType(steps_in_branches),
        subjourneys=subjourneys,
        compensation=compensation,
    )


def _metadata(root: Block) -> tuple[str | None, str | None, str | None, tuple[str, ...]]:
    metadata = root.block("metadata", required=True)
    if metadata is None:
        return None, None, None, ()
    metadata.allow("name", "version", "description", "tags")
    name = metadata.string("name", required=True)
    if name is not None and not JOURNEY_NAME.fullmatch(name):
        metadata.report("name", f"'{name}' is not a lowercase slug (expected [a-z0-9][a-z0-9-]*)")
        name = None
    raw_version = metadata.data.get("version")
    if isinstance(raw_version, int | float) and not isinstance(raw_version, bool):
        # `version: 1.0` is a YAML number; silently turning it into "1.0" would hide that `1.10` became 1.1.
        metadata.report("version", f"must be a string; quote it (YAML read it as the number {raw_version})")
        version = None
    else:
        version = metadata.string("version", required=True)
    description = metadata.string("description")
    tags = metadata.data.get("tags", [])
    if not isinstance(tags, list):
        metadata.report("tags", f"must be a list of strings, not {describe(tags)}")
    elif not all(isinstance(tag, str) and tag for tag in tags):
        metadata.report("tags", "must contain only non-empty strings")
    return name, version, description, check_definition_tags(metadata)


def _states(spec: Block) -> tuple[dict[str, State], list[str]]:
    """Parse `spec.states`; also return every declared id, so references to invalid states still resolve."""
    block = spec.block("states", required=True)
    if block is None:
        return {}, []
    if not block.data:
        spec.report("states", "must declare at least one state")
    states: dict[str, State] = {}
    for state_id, value in block.data.items():
        state = parse_state(spec.ctx, state_id, value)
        if state is not None:
            states[state.id] = state
    return states, [str(state_id) for state_id in block.data]
