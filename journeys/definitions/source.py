"""Reading a definition file into plain JSON-compatible data plus a line index for error messages.

YAML is parsed with the 1.2 core-schema flavour the DSL specifies rather than PyYAML's YAML 1.1 default:
`on`/`yes`/`no` stay strings and dates stay strings, so the document is JSON-compatible (schemas, mappers
and exporters all expect JSON values). While composing, the reader records the line of every key and
sequence item so each DefinitionError can point at a line, and reports duplicate keys, which YAML would
otherwise resolve silently by keeping the last one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from journeys.definitions.errors import DefinitionError, DefinitionErrors

Location = tuple[str | int, ...]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader restricted to YAML 1.2 core-schema booleans and without implicit timestamps."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Yaml12Loader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass(slots=True)
class SourceDocument:
    """The parsed document, where each key came from, and non-fatal problems found while reading it.

    `literal_lines` maps each literal block scalar (`expr: |`) to the line its content starts on, so
    an error at line N of an embedded expression can be reported at its line in the file.
    """

    data: Any
    lines: dict[Location, int] = field(default_factory=dict)
    literal_lines: dict[Location, int] = field(default_factory=dict)
    problems: list[DefinitionError] = field(default_factory=list)
    text: str = ""
    """The text the document was parsed from, kept so a journey's exact source can be stored with its version."""

    def line_of(self, location: Location) -> int | None:
        """Line of `location`, or of its closest enclosing key when it is absent (e.g. a missing field)."""
        for end in range(len(location), -1, -1):
            line = self.lines.get(location[:end])
            if line is not None:
                return line
        return None

    def line_within(self, location: Location, inner_line: int) -> int | None:
        """File line of line `inner_line` (1-based) of the string at `location`, when it is exactly known."""
        if location in self.literal_lines:
            return self.literal_lines[location] + inner_line - 1
        if inner_line == 1 and location in self.lines:  # a one-line scalar sits on its key's line
            return self.lines[location]
        return None


def read_document(path: Path, file: str) -> SourceDocument:
    """Parse `path` (YAML, or JSON for `*.json`); raise DefinitionErrors if it cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionErrors([DefinitionError(file, None, "", f"cannot read file: {error}")]) from None
    return parse_document(text, file)


def parse_document(text: str, file: str) -> SourceDocument:
    """Parse `text` read from (or stored for) the file named `file`: JSON for `*.json`, YAML otherwise."""
    document = _read_json(text, file) if file.endswith(".json") else _read_yaml(text, file)
    document.text = text
    return document


def _read_json(text: str, file: str) -> SourceDocument:
    try:
        return SourceDocument(json.loads(text))
    except json.JSONDecodeError as error:
        message = f"invalid JSON: {error.msg} (column {error.colno})"
        raise DefinitionErrors([DefinitionError(file, None, "", message, line=error.lineno)]) from None


def _read_yaml(text: str, file: str) -> SourceDocument:
    loader = _Yaml12Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return SourceDocument(None)
        document = SourceDocument(None)
        _index(node, (), document, file, set())
        document.data = loader.construct_document(node)
        return document
    except yaml.YAMLError as error:
        raise DefinitionErrors([_syntax_error(error, file)]) from None
    finally:
        loader.dispose()


def _syntax_error(error: yaml.YAMLError, file: str) -> DefinitionError:
    mark = getattr(error, "problem_mark", None)
    if isinstance(error, yaml.MarkedYAMLError) and mark is not None:
        where = f"column {mark.column + 1}"
        if error.context and error.context_mark is not None:
            where += f"; {error.context} started on line {error.context_mark.line + 1}"
        message = f"YAML syntax error: {error.problem or error.context} ({where})"
        return DefinitionError(file, None, "", message, line=mark.line + 1)
    return DefinitionError(file, None, "", f"YAML syntax error: {error}")


def _index(node: yaml.Node, location: Location, document: SourceDocument, file: str, active: set[int]) -> None:
    """Record the line of every key/item below `node` and report duplicate keys."""
    if id(node) in active:  # a recursive alias; its content is indexed where it is defined
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            child = (*location, key_node.value)
            if key_node.value in seen:
                document.problems.append(
                    DefinitionError(
                        file,
                        state_of(child),
                        dotted(child),
                        f"duplicate key '{key_node.value}' (YAML would silently keep only the last one)",
                        line=key_node.start_mark.line + 1,
                    )
                )
            seen.add(key_node.value)
            document.lines.setdefault(child, key_node.start_mark.line + 1)
            _index(value_node, child, document, file, active)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            child = (*location, position)
            document.lines.setdefault(child, item.start_mark.line + 1)
            _index(item, child, document, file, active)
    elif isinstance(node, yaml.ScalarNode) and node.style == "|":
        # The node starts at the `|` indicator; its content starts on the next line.
        document.literal_lines.setdefault(location, node.start_mark.line + 2)
    active.discard(id(node))


def dotted(location: Location) -> str:
    """`('spec', 'states', 'route', 'choices', 0, 'next')` -> `spec.states.route.choices[0].next`."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def state_of(location: Location) -> str | None:
    """The state a location belongs to, when it lies under `spec.states.<id>`."""
    if len(location) >= 3 and location[:2] == ("spec", "states"):
        return str(location[2])
    return None
