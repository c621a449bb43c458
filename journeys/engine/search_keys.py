"""Business keys (`spec.metadata.searchKeys`) rendered from a journey's context, for the index operators search.

A key whose placeholders do not resolve yet (the context has no order id before the first call returns it) is
left out, not an error: the journey is indexed under it from the advance that produces it. A value the index
cannot hold (empty, longer than the column, with a NUL) is left out too, and said once in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from journeys.definitions.model import CompiledTemplate
from journeys.engine.inbound_messages import COLUMN_WIDTH
from journeys.expressions.errors import ExpressionEvaluationError

log = logging.getLogger("journeys.engine")
_warned: set[str] = set()


def render_search_keys(templates: Mapping[str, CompiledTemplate], context: Any, platform: Any) -> dict[str, str]:
    keys = {}
    for name, template in templates.items():
        try:
            value = template.render(context, None, platform)
        except ExpressionEvaluationError:
            continue
        if 0 < len(value) <= COLUMN_WIDTH and "\x00" not in value:
            keys[name] = value
        elif name not in _warned:
            _warned.add(name)
            log.warning(
                "search key '%s' rendered a value the index cannot hold (empty, NUL, or over %d characters)",
                name,
                COLUMN_WIDTH,
            )
    return keys
