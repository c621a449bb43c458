"""Expression sites: `{lang, expr}` blocks, the `spec.mappers` catalog and `mapperRef` resolution.

Expressions are compiled here, at load, so a syntax error or an unknown `lang` rejects the definition with
the exact field instead of failing a running journey.
"""

from __future__ import annotations

from journeys.definitions.fields import Block
from journeys.definitions.model import CompiledExpression
from journeys.expressions import (
    SUPPORTED_LANGS,
    ExpressionSyntaxError,
    UnknownLanguageError,
    compile_expression,
)


def compile_mapper(block: Block) -> CompiledExpression | None:
    """Compile a `{lang, expr}` block (a predicate, a mapper or a `spec.mappers` entry)."""
    block.allow("lang", "expr")
    lang = block.string("lang", required=True)
    source = block.string("expr", required=True)
    if lang is None or source is None:
        return None
    try:
        return compile_expression(lang, source)
    except UnknownLanguageError:
        supported = ", ".join(sorted(SUPPORTED_LANGS))
        block.report(
            "lang", f"expression language '{lang}' is not supported (supported: {supported})", unsupported=True
        )
    except ExpressionSyntaxError as error:
        location = block.at("expr")
        line = block.ctx.source.line_within(location, error.line) if error.line is not None else None
        block.ctx.report(location, f"{lang} expression does not parse: {error}", line=line)
    return None


def compile_spec_mappers(block: Block) -> None:
    """Compile `spec.mappers` into the context so `mapperRef` can share one compiled expression per id.

    Ids whose mapper failed to compile are kept (as None) so their references are not reported twice.
    """
    for mapper_id in block.data:
        mapper = block.block(mapper_id)
        block.ctx.mappers[str(mapper_id)] = compile_mapper(mapper) if mapper is not None else None


def mapper_or_ref(block: Block) -> CompiledExpression | None:
    """Resolve the `mapper` (inline) or `mapperRef` (catalog id) of a block; exactly one must be present."""
    if block.has("mapper") and block.has("mapperRef"):
        block.report("mapperRef", "declare either 'mapper' or 'mapperRef', not both")
        return None
    if block.has("mapperRef"):
        ref = block.string("mapperRef")
        if ref is None:
            return None
        if ref not in block.ctx.mappers:
            known = ", ".join(sorted(block.ctx.mappers)) or "none declared"
            block.report("mapperRef", f"no mapper '{ref}' in spec.mappers (known: {known})")
        return block.ctx.mappers.get(ref)
    if not block.has("mapper"):
        block.missing("mapper", " (or reference a shared mapper with 'mapperRef')")
        return None
    mapper = block.block("mapper")
    return compile_mapper(mapper) if mapper is not None else None
