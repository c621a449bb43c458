"""Plain (first-order) builtin functions of the DataWeave dialect.

Only pure functions live here: expressions must not perform I/O (so DataWeave's `log` is left
out). `now()` and `uuid()` are non-deterministic but side-effect free, as in DataWeave.
The table is consulted at compile time, so an unknown name or a wrong argument count is a
syntax error at definition load instead of a failed journey. Functions that take a lambda
(`map`, `filter`, ...) are in `dataweave_higher_order`.

String functions return null for a null input (DataWeave's null overloads) so optional fields
flow through; numeric functions reject null because a silent null there is almost always a bug.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from journeys.expressions.dataweave_crypto import (
    check_hash_with_literal,
    check_hmac_with_literal,
    hash_with,
    hmac_with,
    md5,
    sha1,
)
from journeys.expressions.dataweave_values import (
    equals,
    is_number,
    parse_datetime,
    to_string,
    type_name,
)
from journeys.expressions.errors import ExpressionEvaluationError
from journeys.expressions.evaluation_clock import evaluation_now


@dataclass(frozen=True, slots=True)
class Builtin:
    """A builtin and the argument counts it accepts (checked once, at compile time).

    The compiler specialises calls with zero to three arguments. `check_literal`, if set, is
    called at compile time with (position, value) for every scalar-literal argument and returns
    a problem message (raised as a syntax error) or None, e.g. to reject an unknown algorithm.
    """

    function: Callable[..., Any]
    min_args: int
    max_args: int
    check_literal: Callable[[int, Any], str | None] | None = None


def _argument_error(function: str, expected: str, value: Any) -> ExpressionEvaluationError:
    return ExpressionEvaluationError(f"{function}() expects {expected}, got {type_name(value)}")


def _now() -> str:
    """RFC 3339 UTC timestamp with millisecond precision and a `Z` suffix."""
    return evaluation_now().astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _uuid() -> str:
    return str(uuid.uuid4())


def _size_of(value: Any) -> int:
    if value is None:
        return 0
    if type(value) in (str, list, dict):
        return len(value)
    raise _argument_error("sizeOf", "a string, array or object", value)


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if type(value) in (str, list, dict):
        return len(value) == 0
    raise _argument_error("isEmpty", "a string, array or object", value)


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is str:
        return not value.strip()
    raise _argument_error("isBlank", "a string", value)


def contains(container: Any, item: Any) -> bool:
    """Substring test for strings, deep-equality membership for arrays; null contains nothing."""
    if container is None:
        return False
    if type(container) is str:
        if type(item) is not str:
            raise _argument_error("contains", "a string to search for in a string", item)
        return item in container
    if type(container) is list:
        return any(equals(element, item) for element in container)
    raise _argument_error("contains", "a string or array", container)


def _string_function(name: str, operation: Callable[[str], Any]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not str:
            raise _argument_error(name, "a string", value)
        return operation(value)

    return apply


def _require_two_strings(name: str, first: Any, second: Any) -> None:
    if type(first) is not str or type(second) is not str:
        raise ExpressionEvaluationError(f"{name}() expects two strings, got {type_name(first)} and {type_name(second)}")


def _string_predicate(name: str, operation: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def apply(value: Any, affix: Any) -> bool:
        if value is None:
            return False
        _require_two_strings(name, value, affix)
        return operation(value, affix)

    return apply


def _split_by(value: Any, separator: Any) -> Any:
    """Literal (not regex) separator; an empty string splits into no parts, as in DataWeave."""
    if value is None:
        return None
    _require_two_strings("splitBy", value, separator)
    if not value:
        return []
    return value.split(separator) if separator else list(value)


def _join_by(values: Any, separator: Any) -> Any:
    """Scalars are joined by their `as String` text; nested arrays or objects are rejected."""
    if values is None:
        return None
    if type(values) is not list:
        raise _argument_error("joinBy", "an array", values)
    if type(separator) is not str:
        raise _argument_error("joinBy", "a string separator", separator)
    parts = []
    for item in values:
        if type(item) in (list, dict) or item is None:
            raise ExpressionEvaluationError(f"joinBy() cannot join a {type_name(item)} element")
        parts.append(to_string(item))
    return separator.join(parts)


def _keys_of(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is dict:
        return list(value)
    raise _argument_error("keysOf", "an object", value)


def _values_of(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is dict:
        return list(value.values())
    raise _argument_error("valuesOf", "an object", value)


def _numeric_function(name: str, operation: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if not is_number(value):
            raise _argument_error(name, "a number", value)
        return operation(value)

    return apply


def _round(value: int | float) -> int:
    """Half away from zero (DataWeave), not Python's banker's rounding."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _duration_between(start: Any, end: Any) -> dict[str, int]:
    """Elapsed time from `start` to `end` as whole totals per unit (e.g. `.seconds`)."""
    if type(start) is not str or type(end) is not str:
        raise ExpressionEvaluationError(
            f"durationBetween() expects two RFC 3339 date-time strings, got {type_name(start)} and {type_name(end)}"
        )
    elapsed = (parse_datetime(end) - parse_datetime(start)).total_seconds()
    return {
        "days": int(elapsed / 86400),
        "hours": int(elapsed / 3600),
        "minutes": int(elapsed / 60),
        "seconds": int(elapsed),
        "milliseconds": int(elapsed * 1000),
    }


BUILTINS: dict[str, Builtin] = {
    "now": Builtin(_now, 0, 0),
    "uuid": Builtin(_uuid, 0, 0),
    "sizeOf": Builtin(_size_of, 1, 1),
    "isEmpty": Builtin(_is_empty, 1, 1),
    "isBlank": Builtin(_is_blank, 1, 1),
    "contains": Builtin(contains, 2, 2),
    "startsWith": Builtin(_string_predicate("startsWith", str.startswith), 2, 2),
    "endsWith": Builtin(_string_predicate("endsWith", str.endswith), 2, 2),
    "upper": Builtin(_string_function("upper", str.upper), 1, 1),
    "lower": Builtin(_string_function("lower", str.lower), 1, 1),
    "trim": Builtin(_string_function("trim", str.strip), 1, 1),
    "splitBy": Builtin(_split_by, 2, 2),
    "joinBy": Builtin(_join_by, 2, 2),
    "keysOf": Builtin(_keys_of, 1, 1),
    "valuesOf": Builtin(_values_of, 1, 1),
    "abs": Builtin(_numeric_function("abs", abs), 1, 1),
    "round": Builtin(_numeric_function("round", _round), 1, 1),
    "floor": Builtin(_numeric_function("floor", math.floor), 1, 1),
    "ceil": Builtin(_numeric_function("ceil", math.ceil), 1, 1),
    "durationBetween": Builtin(_duration_between, 2, 2),
    # dw::Crypto (see dataweave_crypto): lowercase hex digests of UTF-8 strings
    "MD5": Builtin(md5, 1, 1),
    "SHA1": Builtin(sha1, 1, 1),
    "hashWith": Builtin(hash_with, 1, 2, check_hash_with_literal),
    "HMACWith": Builtin(hmac_with, 2, 3, check_hmac_with_literal),
}
