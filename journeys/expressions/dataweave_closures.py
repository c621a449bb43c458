"""The closures a compiled DataWeave expression is made of (see `dataweave_compiler`).

Each builder returns an *evaluator*, a closure over the already compiled operands that takes the environment
(the list of slots) and returns a JSON value. They are the hot path (~1000 journeys/s, several expressions
each), so each shape gets its own closure: a field path is one loop over a tuple of keys, `x == <literal>` skips
the generic deep equality, a builtin call is specialised by its number of arguments. Kept apart from the tree
walk, which decides *which* closure a node becomes; these only say what it does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from journeys.expressions.dataweave_higher_order import Evaluator
from journeys.expressions.dataweave_values import (
    NUMBER_TYPES,
    interpolated_text,
    require_boolean,
    select_from_non_object,
)


def always(value: Any) -> Evaluator:
    """A literal: the same value whatever the environment."""
    return lambda env: value


def with_assignments(assignments: list[tuple[int, Evaluator]], body: Evaluator) -> Evaluator:
    """`var` declarations (a header's or a `do` block's): each slot assigned in order, then the body."""
    if not assignments:
        return body
    steps = tuple(assignments)

    def evaluate(env: list[Any]) -> Any:
        for slot, value in steps:
            env[slot] = value(env)
        return body(env)

    return evaluate


def slot_path(slot: int, keys: tuple[str, ...]) -> Evaluator:
    """`slot.k1.k2...`, null-safe: a missing key or a null along the way yields null."""
    if not keys:
        return lambda env: env[slot]
    if len(keys) == 1:
        (key,) = keys

        def evaluate_one(env: list[Any]) -> Any:
            value = env[slot]
            if type(value) is dict:
                return value.get(key)
            return select_from_non_object(value, key)

        return evaluate_one

    def evaluate(env: list[Any]) -> Any:
        value = env[slot]
        for key in keys:
            value = value.get(key) if type(value) is dict else select_from_non_object(value, key)
        return value

    return evaluate


def evaluator_path(base: Evaluator, keys: tuple[str, ...]) -> Evaluator:
    """Like `slot_path`, for selectors applied to a computed value (`now().hour`, `(a ++ b).c`)."""

    def evaluate(env: list[Any]) -> Any:
        value = base(env)
        for key in keys:
            value = value.get(key) if type(value) is dict else select_from_non_object(value, key)
        return value

    return evaluate


def equals_constant(operand: Evaluator, constant: Any, negated: bool) -> Evaluator:
    """`x == <literal>` without the generic deep-equality call: the common predicate shape."""
    if constant is None or type(constant) is bool:
        if negated:
            return lambda env: operand(env) is not constant
        return lambda env: operand(env) is constant
    expected_types = NUMBER_TYPES if type(constant) in NUMBER_TYPES else (str,)

    def evaluate(env: list[Any]) -> bool:
        value = operand(env)
        return (type(value) in expected_types and value == constant) is not negated

    return evaluate


def default_to(left: Evaluator, right: Evaluator) -> Evaluator:
    """`left default right`: the right operand only when the left one is null."""

    def evaluate(env: list[Any]) -> Any:
        value = left(env)
        return right(env) if value is None else value

    return evaluate


def logical_and(left: Evaluator, right: Evaluator) -> Evaluator:
    """Short-circuit `and` over booleans (anything else is an evaluation error)."""

    def evaluate(env: list[Any]) -> bool:
        if require_boolean(left(env), "'and'"):
            return require_boolean(right(env), "'and'")
        return False

    return evaluate


def logical_or(left: Evaluator, right: Evaluator) -> Evaluator:
    """Short-circuit `or` over booleans (anything else is an evaluation error)."""

    def evaluate(env: list[Any]) -> bool:
        if require_boolean(left(env), "'or'"):
            return True
        return require_boolean(right(env), "'or'")

    return evaluate


def if_then_else(condition: Evaluator, then_branch: Evaluator, else_branch: Evaluator) -> Evaluator:
    def evaluate(env: list[Any]) -> Any:
        if require_boolean(condition(env), "if condition"):
            return then_branch(env)
        return else_branch(env)

    return evaluate


def call(function: Callable[..., Any], evaluators: list[Evaluator]) -> Evaluator:
    """A builtin call with 0 to 3 arguments, without building an argument list per call."""
    if not evaluators:
        return lambda env: function()
    if len(evaluators) == 1:
        (only,) = evaluators
        return lambda env: function(only(env))
    if len(evaluators) == 2:
        first, second = evaluators
        return lambda env: function(first(env), second(env))
    first, second, third = evaluators
    return lambda env: function(first(env), second(env), third(env))


def interpolate(parts: tuple[str | Evaluator, ...]) -> Evaluator:
    """`"id-$(expr)"`: literal pieces and evaluated pieces joined into one string."""

    def evaluate(env: list[Any]) -> str:
        return "".join(part if type(part) is str else interpolated_text(part(env)) for part in parts)

    return evaluate
