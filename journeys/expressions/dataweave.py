"""`lang: dataweave`: a DataWeave 2.x dialect compiled to Python closures.

Why a dialect: journeys need DataWeave's look and feel for predicates and mappers, not a JVM.
The grammar (`dataweave_grammar.lark`) covers what journey definitions use; semantics that
differ from DataWeave on purpose are listed below so definitions stay portable where it matters.

Supported constructs
    * optional header `%dw 2.x`, `output application/json`, header `var`s, then `---`
    * `//` and `/* */` comments
    * literals: numbers (integers stay int), single/double-quoted strings with escapes,
      `true`/`false`/`null`, arrays and objects (bare or quoted keys, trailing commas)
    * null-safe selectors `a.b`, `a."x-y"`, `a[0]` (negative from the end), `a["key"]`;
      date parts (`.year .month .day .hour .minutes .seconds .milliseconds .dayOfWeek
      .dayOfYear`) on RFC 3339 strings, so `now().hour` works
    * operators: `++ - + * / == != < <= > >= <=> default and or not !` and `as String|Number|
      Boolean|DateTime`; `default:` is accepted as a spelling of `default`
    * string interpolation `"id-$(expr)"` and `"Hi $name"` (see `dataweave_interpolation`); null
      interpolates as nothing, objects and arrays are evaluation errors
    * `if (c) a else b`, `if c then a else b`, `else if` chains
    * `do { var x = ... --- body }` (the `---` may be omitted, as in the examples)
    * lambdas `(x) -> ...`, `(item, acc = 0) -> ...`, as arguments of map/filter/reduce/
      orderBy/any/all (infix `xs map (x) -> ...` or prefix `map(xs, (x) -> ...)`)
    * builtins: see `dataweave_builtins.BUILTINS` and `dataweave_higher_order.HIGHER_ORDER`;
      two-argument builtins listed in the grammar may be written infix (`a contains b`)

Precedence, tightest first: selectors/calls, unary `-` `!`, `as`, `* /`, `+ - ++`, `default`,
`< <= > >= <=>`, `== !=`, infix functions (`contains`, `map`, ...), `not`, `and`, `or`, then
`if`/lambda bodies, which extend as far right as possible. Hence `x default 0 + 1` is
`x default (0 + 1)` and `a * 24 as String` is `a * (24 as String)`.

Deliberate differences from DataWeave
    * `++` on objects is a right-biased shallow merge (keys on the right overwrite); `null ++ x`
      is `x`.
    * `object - "key"` / `object - ["k1", "k2"]` remove keys; `array - x` removes elements.
    * no implicit coercions: `"a" * 2`, `"10" < 9`, `"PT" ++ 5` and non-boolean conditions are
      evaluation errors; use `as`. `null as T` is null.
    * `/` yields an int when both operands are ints and the division is exact.
    * date-times are RFC 3339 strings; `now()` returns one (UTC, millisecond precision);
      `durationBetween(a, b)` returns whole totals `{days, hours, minutes, seconds, milliseconds}`.
    * `orderBy` with a two-parameter lambda sorts with it as a comparator (see
      `dataweave_higher_order`); `<=>` is a three-way comparison returning -1, 0 or 1.
    * field selection on an array yields null (no implicit multi-value selection).

Not supported: interpolation in object keys, `$`/`$$` implicit lambda parameters,
`fun` declarations, `import`, dynamic or conditional object keys, `match`/`case`, types other
than the four coercion targets, descendant selectors (`..`), and `log` (expressions are pure).
"""

from __future__ import annotations

from typing import Any

from journeys.expressions.dataweave_compiler import compile_tree
from journeys.expressions.dataweave_higher_order import Evaluator
from journeys.expressions.dataweave_parser import parse
from journeys.expressions.errors import ExpressionEvaluationError, ExpressionSyntaxError


class DataWeaveExpression:
    """A compiled `lang: dataweave` expression; `evaluate` is pure and safe to call concurrently."""

    __slots__ = ("_evaluator", "_local_slots", "lang", "source")

    def __init__(self, source: str, evaluator: Evaluator, local_slot_count: int) -> None:
        self.lang = "dataweave"
        self.source = source
        self._evaluator = evaluator
        self._local_slots = (None,) * local_slot_count

    def evaluate(self, context: Any, payload: Any = None, platform: Any = None) -> Any:
        """Evaluate against the bindings; any failure is raised as ExpressionEvaluationError."""
        try:
            return self._evaluator([context, payload, platform, *self._local_slots])
        except ExpressionEvaluationError:
            raise
        except Exception as error:  # a defect or resource exhaustion must still be typed
            raise ExpressionEvaluationError(f"dataweave evaluation failed: {error!r}") from error

    def __repr__(self) -> str:
        return f"DataWeaveExpression({self.source!r})"


def compile_dataweave(source: str) -> DataWeaveExpression:
    """Parse and compile once; raises ExpressionSyntaxError with a line and column."""
    try:
        program = compile_tree(parse(source))
    except RecursionError:
        raise ExpressionSyntaxError("expression is nested too deeply") from None
    return DataWeaveExpression(source, program.evaluator, program.local_slot_count)
