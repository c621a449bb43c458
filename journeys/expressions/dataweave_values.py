"""Runtime semantics of DataWeave-dialect values: operators, selectors, coercions, date-times.

Values are plain JSON-shaped Python objects (dict, list, str, int, float, bool, None) so that
results flow into journey context without conversion. Every function here raises
ExpressionEvaluationError with a message naming the operator and the offending JSON types; no
other exception type may escape, because callers turn these errors into journey failures.

Type checks use `type(x) is ...` rather than isinstance on purpose: `bool` is a subclass of
`int` in Python but must never behave as a number here (`true + 1` is an error, `1 == true`
is false), and exact type checks are also the cheapest on the hot path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from journeys.expressions.errors import ExpressionEvaluationError

NUMBER_TYPES = (int, float)
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def type_name(value: Any) -> str:
    """JSON type name used in error messages, so authors see `string`, not `str`."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is bool:
        return "boolean"
    if kind in NUMBER_TYPES:
        return "number"
    if kind is str:
        return "string"
    if kind is list:
        return "array"
    if kind is dict:
        return "object"
    return kind.__name__


def _operand_error(operator: str, left: Any, right: Any) -> ExpressionEvaluationError:
    return ExpressionEvaluationError(
        f"operator '{operator}' cannot be applied to {type_name(left)} and {type_name(right)}"
    )


def is_number(value: Any) -> bool:
    """True for JSON numbers only (booleans excluded)."""
    return type(value) in NUMBER_TYPES


def require_boolean(value: Any, where: str) -> bool:
    """Conditions must be real booleans: silently treating null or "" as false hides bugs."""
    if value is True or value is False:
        return value
    raise ExpressionEvaluationError(f"{where} expects a boolean, got {type_name(value)}")


# --- equality and ordering -------------------------------------------------------------------


def equals(left: Any, right: Any) -> bool:
    """Deep JSON equality: numbers by value (1 == 1.0), booleans never equal numbers."""
    left_type = type(left)
    right_type = type(right)
    if left_type is right_type:
        if left_type is dict:
            return left.keys() == right.keys() and all(equals(v, right[k]) for k, v in left.items())
        if left_type is list:
            return len(left) == len(right) and all(map(equals, left, right))
        return bool(left == right)
    return left_type in NUMBER_TYPES and right_type in NUMBER_TYPES and left == right


def compare(left: Any, right: Any, operator: str = "<=>") -> int:
    """Three-way comparison of two numbers or two strings (RFC 3339 strings order correctly).

    Anything else is an error rather than an arbitrary order, so `"10" < 9` cannot quietly pass.
    """
    if (type(left) in NUMBER_TYPES and type(right) in NUMBER_TYPES) or (type(left) is str and type(right) is str):
        return (left > right) - (left < right)
    raise _operand_error(operator, left, right)


def less(left: Any, right: Any) -> bool:
    return compare(left, right, "<") < 0


def less_equal(left: Any, right: Any) -> bool:
    return compare(left, right, "<=") <= 0


def greater(left: Any, right: Any) -> bool:
    return compare(left, right, ">") > 0


def greater_equal(left: Any, right: Any) -> bool:
    return compare(left, right, ">=") >= 0


def not_equals(left: Any, right: Any) -> bool:
    return not equals(left, right)


# --- arithmetic and structural operators -----------------------------------------------------


def add(left: Any, right: Any) -> Any:
    if type(left) in NUMBER_TYPES and type(right) in NUMBER_TYPES:
        return left + right
    raise _operand_error("+", left, right)


def multiply(left: Any, right: Any) -> Any:
    if type(left) in NUMBER_TYPES and type(right) in NUMBER_TYPES:
        return left * right
    raise _operand_error("*", left, right)


def divide(left: Any, right: Any) -> Any:
    """Exact integer division stays an int (`6 / 3` is 3) so counters do not turn into 2.0."""
    if type(left) in NUMBER_TYPES and type(right) in NUMBER_TYPES:
        if right == 0:
            raise ExpressionEvaluationError("division by zero")
        if type(left) is int and type(right) is int and left % right == 0:
            return left // right
        return left / right
    raise _operand_error("/", left, right)


def subtract(left: Any, right: Any) -> Any:
    """Numbers subtract; `object - "key"` / `object - ["k1", "k2"]` drop keys; `array - x` drops x."""
    left_type = type(left)
    if left_type in NUMBER_TYPES and type(right) in NUMBER_TYPES:
        return left - right
    if left_type is dict:
        if type(right) is str:
            return {k: v for k, v in left.items() if k != right}
        if type(right) is list and all(type(k) is str for k in right):
            drop = set(right)
            return {k: v for k, v in left.items() if k not in drop}
    elif left_type is list:
        return [item for item in left if not equals(item, right)]
    raise _operand_error("-", left, right)


def concat(left: Any, right: Any) -> Any:
    """`++`: right-biased shallow object merge, string or array concatenation.

    The merge deliberately lets right-hand keys overwrite (real DataWeave keeps duplicates);
    journey mappers rely on `context ++ {...}` updating fields. `null` acts as the empty value
    of the other operand's type so optional inputs need no `default`.
    """
    left_type = type(left)
    if left_type is type(right):
        if left_type is dict:
            return {**left, **right}
        if left_type is str or left_type is list:
            return left + right
    if left is None and type(right) in (dict, str, list):
        return right
    if right is None and left_type in (dict, str, list):
        return left
    if left is None and right is None:
        return None
    raise _operand_error("++", left, right)


def negate(value: Any) -> Any:
    if type(value) in NUMBER_TYPES:
        return -value
    raise ExpressionEvaluationError(f"unary '-' cannot be applied to {type_name(value)}")


# --- selectors -------------------------------------------------------------------------------


def parse_datetime(text: str) -> datetime:
    """Parse an ISO-8601 / RFC 3339 timestamp; values without an offset are taken as UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ExpressionEvaluationError(f"{text!r} is not an RFC 3339 date-time") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


_DATE_PARTS: dict[str, Callable[[datetime], int]] = {
    "year": lambda moment: moment.year,
    "month": lambda moment: moment.month,
    "day": lambda moment: moment.day,
    "hour": lambda moment: moment.hour,
    "minutes": lambda moment: moment.minute,
    "seconds": lambda moment: moment.second,
    "milliseconds": lambda moment: moment.microsecond // 1000,
    "dayOfWeek": lambda moment: moment.isoweekday(),
    "dayOfYear": lambda moment: moment.timetuple().tm_yday,
}


def select_from_non_object(value: Any, key: str) -> Any:
    """Field selection on anything that is not an object: null-safe, except date-time parts.

    `now().hour` is idiomatic DataWeave; since date-times are carried as RFC 3339 strings,
    selecting a date part on a string that parses as one yields that part. Everything else
    (null, numbers, arrays, other strings) selects to null, like a missing key.
    """
    if type(value) is str and key in _DATE_PARTS:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return _DATE_PARTS[key](moment)
    return None


def select_index(value: Any, index: Any) -> Any:
    """`value[index]`: array/string position (negative counts from the end) or object key."""
    value_type = type(value)
    index_type = type(index)
    if value is None:
        return None
    if index_type is int and (value_type is list or value_type is str):
        if -len(value) <= index < len(value):
            return value[index]
        return None
    if index_type is str and value_type is dict:
        return value.get(index)
    raise ExpressionEvaluationError(f"cannot index {type_name(value)} with {type_name(index)}")


# --- coercions (`as Type`) -------------------------------------------------------------------


def _format_number(number: int | float) -> str:
    """Decimal text of a number, never in exponent notation (`1e20 as String` is all digits)."""
    text = repr(number)
    if "e" in text or "E" in text:
        return format(Decimal(text), "f")
    return text


def to_string(value: Any) -> Any:
    value_type = type(value)
    if value is None or value_type is str:
        return value
    if value_type is bool:
        return "true" if value else "false"
    if value_type in NUMBER_TYPES:
        return _format_number(value)
    raise ExpressionEvaluationError(f"cannot coerce {type_name(value)} to String")


def interpolated_text(value: Any) -> str:
    """A value spliced into a string by `$(...)`: scalars as `as String` writes them, null as nothing."""
    if value is None:
        return ""
    if type(value) in (dict, list):
        raise ExpressionEvaluationError(f"cannot interpolate {type_name(value)} into a string")
    return to_string(value)


def to_number(value: Any) -> Any:
    value_type = type(value)
    if value is None or value_type in NUMBER_TYPES:
        return value
    if value_type is str:
        text = value.strip()
        if _INTEGER_TEXT.fullmatch(text):
            return int(text)
        if _DECIMAL_TEXT.fullmatch(text):
            return float(text)
        raise ExpressionEvaluationError(f"cannot coerce string {value!r} to Number")
    raise ExpressionEvaluationError(f"cannot coerce {type_name(value)} to Number")


def to_boolean(value: Any) -> Any:
    if value is None or value is True or value is False:
        return value
    if type(value) is str and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ExpressionEvaluationError(f"cannot coerce {type_name(value)} {value!r} to Boolean")


def to_datetime(value: Any) -> Any:
    """Validates the RFC 3339 text and keeps it as is: date-times travel as strings in JSON."""
    if value is None:
        return None
    if type(value) is str:
        parse_datetime(value)
        return value
    raise ExpressionEvaluationError(f"cannot coerce {type_name(value)} to DateTime")


COERCIONS: dict[str, Callable[[Any], Any]] = {
    "String": to_string,
    "Number": to_number,
    "Boolean": to_boolean,
    "DateTime": to_datetime,
}
