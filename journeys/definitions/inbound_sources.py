"""Load `*.source.yaml` files (`kind: InboundSource`) into compiled `InboundSource`s, and check the journeys'
`webhook.source` references against them.

Sources sit next to the journeys in the definitions directories and are validated the same way: every problem
in a file is reported at once, each naming file, line and dotted field. Secrets are never part of a source:
`verify.secrets` names a profile of `inboundSecrets` in the server config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from journeys.definitions.errors import DefinitionError, DefinitionErrors
from journeys.definitions.fields import Block, LoadContext, compile_file, describe
from journeys.definitions.inbound_model import (
    DEFAULT_INBOX_TTL_SEC,
    DEFAULT_TOLERANCE_SEC,
    HMAC_ALGORITHMS,
    SIGNATURE_ENCODINGS,
    SOURCE_SUFFIXES,
    VERIFICATION_PRESETS,
    AnswerSpec,
    InboundSource,
    VerificationPreset,
    VerifySpec,
)
from journeys.definitions.loader import JOURNEY_NAME, load_definitions
from journeys.definitions.mappers import compile_mapper
from journeys.definitions.model import CompiledExpression, ExternalInputState, JourneyDefinition

_TIMESTAMPED = ("standard-webhooks", "stripe", "hmac")
RESERVED_SOURCE_NAMES = frozenset(("deliveries", "stats"))
MAX_SOURCE_NAME = 100  # the width of the source columns


def load_source(path: str | Path) -> InboundSource:
    """Load and validate one source file; raise DefinitionErrors listing every problem."""
    return compile_file(Path(path), _compile)


def load_sources(paths: Iterable[str | Path]) -> dict[str, InboundSource]:
    """Every source file in the given directories (not recursively) or files, by name."""
    sources, failures = load_source_files(find_source_files(paths))
    if failures:
        raise DefinitionErrors([error for errors in failures.values() for error in errors])
    return sources


def load_source_files(files: Iterable[Path]) -> tuple[dict[str, InboundSource], dict[str, list[DefinitionError]]]:
    """The sources that load, by name, and the problems of the files that do not (two with one name included)."""
    sources: dict[str, InboundSource] = {}
    failures: dict[str, list[DefinitionError]] = {}
    for file in files:
        try:
            source = load_source(file)
        except DefinitionErrors as failure:
            failures[str(file)] = failure.errors
            continue
        if source.name in sources:
            message = f"duplicate source name '{source.name}' (also defined in {sources[source.name].source})"
            failures[str(file)] = [DefinitionError(str(file), None, "metadata.name", message)]
        else:
            sources[source.name] = source
    return sources, failures


def find_source_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(SOURCE_SUFFIXES))
        elif path.is_file() and path.name.endswith(SOURCE_SUFFIXES):
            files.append(path)
    return files


def load_catalog(paths: Iterable[str | Path]) -> tuple[dict[str, JourneyDefinition], dict[str, InboundSource]]:
    """Journeys and sources from the same directories, with every problem of both (references too) at once."""
    paths = list(paths)
    errors: list[DefinitionError] = []
    definitions: dict[str, JourneyDefinition] = {}
    sources: dict[str, InboundSource] = {}
    try:
        definitions = load_definitions(paths)
    except DefinitionErrors as failure:
        errors += failure.errors
    try:
        sources = load_sources(paths)
    except DefinitionErrors as failure:
        errors += failure.errors
    errors += source_reference_errors(definitions, sources) if not errors else []
    if errors:
        raise DefinitionErrors(errors)
    return definitions, sources


def source_reference_errors(
    definitions: Mapping[str, JourneyDefinition], sources: Mapping[str, InboundSource]
) -> list[DefinitionError]:
    """A webhook state naming a source that is not loaded cannot be fed: report it at its field."""
    errors = []
    for definition in definitions.values():
        for state in definition.states.values():
            if isinstance(state, ExternalInputState) and state.source and state.source not in sources:
                known = ", ".join(sorted(sources)) or "none loaded"
                message = f"no inbound source named '{state.source}' (known: {known})"
                field = f"spec.states.{state.id}.webhook.source"
                errors.append(DefinitionError(str(definition.source), state.id, field, message))
    return errors


def _compile(ctx: LoadContext, data: Any, path: Path) -> InboundSource | None:
    if not isinstance(data, Mapping):
        ctx.report((), f"a source must be a mapping with apiVersion, kind, metadata and spec, not {describe(data)}")
        return None
    root = Block(ctx, (), data)
    root.allow("apiVersion", "kind", "metadata", "spec")
    if root.string("apiVersion", required=True) not in (None, "v1"):
        root.report("apiVersion", "must be v1")
    kind = root.string("kind", required=True)
    if kind is not None and kind != "InboundSource":
        root.report("kind", f"must be 'InboundSource', not '{kind}'")
    name, description = _metadata(root)
    spec = root.block("spec", required=True)
    if spec is None:
        return None
    spec.allow("verify", "deliveryId", "correlation", "answer", "inbox", "redact")
    verify_block = spec.block("verify", required=True)
    verify = _verify(verify_block, name) if verify_block is not None else None
    delivery_id = _expression(spec.block("deliveryId"))
    correlation = None
    correlation_block = spec.block("correlation", required=True)
    if correlation_block is not None:
        correlation_block.allow("key")
        correlation = _expression(correlation_block.block("key", required=True))
    answer = _answer(spec.block("answer"))
    ttl = DEFAULT_INBOX_TTL_SEC
    inbox = spec.block("inbox")
    if inbox is not None:
        inbox.allow("ttlSec")
        ttl = _non_negative_int(inbox, "ttlSec", DEFAULT_INBOX_TTL_SEC)
    redact = _redact(spec)
    if ctx.errors or name is None or verify is None or correlation is None or answer is None:
        return None
    return InboundSource(
        name=name,
        source=path,
        verify=verify,
        correlation=correlation,
        delivery_id=delivery_id,
        answer=answer,
        inbox_ttl_sec=ttl,
        redact=redact,
        description=description,
    )


def _metadata(root: Block) -> tuple[str | None, str | None]:
    metadata = root.block("metadata", required=True)
    if metadata is None:
        return None, None
    metadata.allow("name", "description")
    name = metadata.string("name", required=True)
    if name is not None and not JOURNEY_NAME.fullmatch(name):
        metadata.report("name", f"'{name}' is not a lowercase slug (expected [a-z0-9][a-z0-9-]*): it is a URL segment")
        name = None
    elif len(name) > MAX_SOURCE_NAME:
        metadata.report("name", f"must be at most {MAX_SOURCE_NAME} characters")
        name = None
    elif name in RESERVED_SOURCE_NAMES:
        metadata.report("name", f"'{name}' is taken by /api/v1/inbound/{name} (the inbound log); choose another")
        name = None
    return name, metadata.string("description")


def _verify(block: Block, name: str | None) -> VerifySpec | None:
    block.allow(
        "preset",
        "secrets",
        "header",
        "algorithm",
        "encoding",
        "prefix",
        "signedContent",
        "timestampHeader",
        "toleranceSec",
        "rejectStatus",
    )
    preset = block.one_of("preset", VERIFICATION_PRESETS, required=True)
    secrets = block.string("secrets", default=name)
    header = block.string("header")
    if preset in ("token", "hmac") and header is None and not block.has("header"):
        block.report("header", f"required by preset '{preset}': the request header that carries the proof")
    for key in ("algorithm", "encoding", "prefix", "signedContent", "timestampHeader"):
        if block.has(key) and preset != "hmac":
            block.report(key, f"only the 'hmac' preset takes '{key}' (preset '{preset}' defines its own scheme)")
    if block.has("header") and preset in ("standard-webhooks", "stripe", "midtrans"):
        block.report("header", f"preset '{preset}' reads the headers its gateway sends; 'header' does not apply")
    if block.has("toleranceSec") and preset not in _TIMESTAMPED:
        block.report("toleranceSec", f"preset '{preset}' carries no timestamp to check")
    signed = block.string("signedContent")
    if signed is not None and "{body}" not in signed:
        block.report("signedContent", "must contain {body}: a signature that does not cover the body proves nothing")
    timestamp_header = block.string("timestampHeader")
    if timestamp_header is not None and f"{{header:{timestamp_header}}}".lower() not in (signed or "").lower():
        block.report(
            "timestampHeader",
            f"must be signed: put {{header:{timestamp_header}}} into signedContent, or anyone could refresh it",
        )
    tolerance = _positive(block, "toleranceSec", DEFAULT_TOLERANCE_SEC)
    reject = block.data.get("rejectStatus", 401)
    if reject not in (401, 403):
        block.report("rejectStatus", f"must be 401 or 403, not {describe(reject)}")
    algorithm = block.one_of("algorithm", HMAC_ALGORITHMS, default="sha256")
    encoding = block.one_of("encoding", SIGNATURE_ENCODINGS, default="hex")
    prefix = block.data.get("prefix", "")
    if not isinstance(prefix, str):
        block.report("prefix", f"must be a string such as 'sha256=', not {describe(prefix)}")
    if preset is None or secrets is None or algorithm is None or encoding is None:
        return None
    return VerifySpec(
        preset=cast(VerificationPreset, preset),
        secrets=secrets,
        header=header,
        algorithm=algorithm,
        encoding=encoding,
        prefix=prefix if isinstance(prefix, str) else "",
        signed_content=signed,
        timestamp_header=timestamp_header,
        tolerance_sec=tolerance,
        reject_status=reject if reject in (401, 403) else 401,
    )


def _answer(block: Block | None) -> AnswerSpec | None:
    if block is None:
        return AnswerSpec()
    block.allow("status", "body", "contentType")
    status = block.data.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 299:
        block.report("status", f"must be a 2xx status (senders retry anything else), not {describe(status)}")
        return None
    body = block.data.get("body")
    if body is not None and not isinstance(body, str):
        block.report("body", f"must be the literal text to answer, not {describe(body)}")
        return None
    content_type = block.string("contentType", default="text/plain" if body is not None else "application/json")
    if content_type is None:
        return None
    return AnswerSpec(status=status, body=body, content_type=content_type)


def _redact(spec: Block) -> tuple[str, ...]:
    value = spec.data.get("redact", [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        spec.report("redact", "must be a list of dotted body paths, e.g. [signature_key, card.number]")
        return ()
    return tuple(value)


def _expression(block: Block | None) -> CompiledExpression | None:
    return compile_mapper(block) if block is not None else None


def _positive(block: Block, key: str, default: int) -> int:
    value = block.positive_int(key)
    return default if value is None else value


def _non_negative_int(block: Block, key: str, default: int) -> int:
    value = block.data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        block.report(key, f"must be a whole number of seconds (0 disables the inbox), not {describe(value)}")
        return default
    return value
