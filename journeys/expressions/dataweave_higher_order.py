"""Lambda-taking builtins: `map`, `filter`, `reduce`, `orderBy`, `any`, `all`.

Lambdas are not runtime values in this dialect: they may only appear as the function argument
of these builtins (checked at compile time). That lets each builtin be specialised at compile
time into a loop that writes the lambda's parameters straight into their evaluation slots
(see `dataweave_compiler`) instead of allocating a frame per call.

Deviation from DataWeave, forced by the JourneyForge examples: `orderBy` with a two-parameter
lambda treats it as a comparator returning a negative/zero/positive number (the examples sort
with `(a, b) -> a.x <=> b.x`); with one parameter it is the usual sort-key criteria.
`any`/`all` mirror DataWeave's `some`/`every` and treat null as an empty array.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any

from journeys.expressions.dataweave_values import compare, is_number, require_boolean, type_name
from journeys.expressions.errors import ExpressionEvaluationError

Evaluator = Callable[[list[Any]], Any]


@dataclass(frozen=True, slots=True)
class Lambda:
    """A compiled lambda: parameter slots, per-parameter default evaluators, and the body."""

    slots: tuple[int, ...]
    defaults: tuple[Evaluator | None, ...]
    body: Evaluator


@dataclass(frozen=True, slots=True)
class HigherOrder:
    """How to build the evaluator of `subject <name> lambda`, and which lambda arities fit.

    `default_param` is the position of the one parameter that may declare a default value
    (the `reduce` accumulator); defaults anywhere else would be silently meaningless.
    """

    build: Callable[[Evaluator, Lambda], Evaluator]
    arities: tuple[int, ...]
    default_param: int | None = None


def _array_or_none(name: str, value: Any) -> list[Any] | None:
    if value is None or type(value) is list:
        return value
    raise ExpressionEvaluationError(f"{name} expects an array on its left, got {type_name(value)}")


def _apply_each(fn: Lambda, env: list[Any], items: list[Any]) -> Iterator[tuple[Any, Any]]:
    """Bind each item (and its index, when the lambda takes one) and yield (item, the lambda's result)."""
    item_slot = fn.slots[0]
    index_slot = fn.slots[1] if len(fn.slots) > 1 else None
    for index, item in enumerate(items):
        env[item_slot] = item
        if index_slot is not None:
            env[index_slot] = index
        yield item, fn.body(env)


def _build_map(subject: Evaluator, fn: Lambda) -> Evaluator:
    def evaluate(env: list[Any]) -> Any:
        items = _array_or_none("map", subject(env))
        return None if items is None else [value for _, value in _apply_each(fn, env, items)]

    return evaluate


def _build_filter(subject: Evaluator, fn: Lambda) -> Evaluator:
    def evaluate(env: list[Any]) -> Any:
        items = _array_or_none("filter", subject(env))
        if items is None:
            return None
        return [item for item, keep in _apply_each(fn, env, items) if require_boolean(keep, "filter criteria")]

    return evaluate


def _build_reduce(subject: Evaluator, fn: Lambda) -> Evaluator:
    """`items reduce (item, acc = init) -> ...`; without `init` the first item seeds `acc`."""
    body = fn.body
    item_slot, accumulator_slot = fn.slots
    initial = fn.defaults[1]

    def evaluate(env: list[Any]) -> Any:
        items = _array_or_none("reduce", subject(env))
        if items is None:
            return None
        if initial is not None:
            accumulator = initial(env)
        elif items:
            accumulator, items = items[0], items[1:]
        else:
            return None
        for item in items:
            env[item_slot] = item
            env[accumulator_slot] = accumulator
            accumulator = body(env)
        return accumulator

    return evaluate


def _build_order_by(subject: Evaluator, fn: Lambda) -> Evaluator:
    body = fn.body
    if len(fn.slots) == 1:
        (item_slot,) = fn.slots

        def sort_key(env: list[Any], item: Any) -> Any:
            env[item_slot] = item
            return body(env)

        def evaluate(env: list[Any]) -> Any:
            items = _array_or_none("orderBy", subject(env))
            if items is None:
                return None
            keyed = [(sort_key(env, item), item) for item in items]
            keyed.sort(key=cmp_to_key(lambda a, b: compare(a[0], b[0], "orderBy")))
            return [item for _, item in keyed]

        return evaluate

    first_slot, second_slot = fn.slots

    def comparator(env: list[Any], first: Any, second: Any) -> int:
        env[first_slot] = first
        env[second_slot] = second
        outcome = body(env)
        if not is_number(outcome):
            raise ExpressionEvaluationError(f"orderBy comparator must return a number, got {type_name(outcome)}")
        return (outcome > 0) - (outcome < 0)

    def evaluate_with_comparator(env: list[Any]) -> Any:
        items = _array_or_none("orderBy", subject(env))
        if items is None:
            return None
        return sorted(items, key=cmp_to_key(lambda a, b: comparator(env, a, b)))

    return evaluate_with_comparator


def _build_quantifier(name: str, wanted: bool) -> Callable[[Evaluator, Lambda], Evaluator]:
    """`any` stops at the first true, `all` at the first false (`wanted` is the stop value)."""

    def build(subject: Evaluator, fn: Lambda) -> Evaluator:
        body = fn.body
        (item_slot,) = fn.slots

        def evaluate(env: list[Any]) -> bool:
            for item in _array_or_none(name, subject(env)) or ():
                env[item_slot] = item
                if require_boolean(body(env), f"{name} criteria") is wanted:
                    return wanted
            return not wanted

        return evaluate

    return build


HIGHER_ORDER: dict[str, HigherOrder] = {
    "map": HigherOrder(_build_map, (1, 2)),
    "filter": HigherOrder(_build_filter, (1, 2)),
    "reduce": HigherOrder(_build_reduce, (2,), default_param=1),
    "orderBy": HigherOrder(_build_order_by, (1, 2)),
    "any": HigherOrder(_build_quantifier("any", True), (1,)),
    "all": HigherOrder(_build_quantifier("all", False), (1,)),
}
