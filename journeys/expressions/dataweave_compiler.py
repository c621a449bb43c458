"""Compilation of DataWeave-dialect parse trees into nested Python closures.

The tree is walked exactly once, at definition load. Every node becomes an *evaluator*: a
closure taking the evaluation environment and returning a JSON value. Evaluation then never
looks at the tree again, which keeps the hot path (~1000 journeys/s, several expressions each)
down to plain function calls.

The environment is a flat list of slots. Slots 0-2 hold `context`, `payload` and `platform`;
every `var` and lambda parameter gets its own slot number, fixed at compile time by lexical
scoping, so a name reference is a single list index instead of a dictionary chain. Lambdas
cannot escape as values (they are only allowed as the function argument of `map`, `filter`,
...), so a slot is never needed by two live activations at once and plain assignment into the
list is safe.

Name resolution, innermost first: `var`/lambda parameters, then `context`, `payload` and
`platform`, then any other bare name reads the top-level context key of that name
(`paymentId` is `context.paymentId`); a key that does not exist evaluates to null.

Compile-time checks (raised as ExpressionSyntaxError with a position): unknown functions,
wrong argument counts, literal arguments a builtin rejects (`Builtin.check_literal`, e.g. an
unknown hash algorithm), lambdas outside a function-argument position, unknown `as` types and
malformed string escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from journeys.expressions.dataweave_builtins import BUILTINS
from journeys.expressions.dataweave_higher_order import HIGHER_ORDER, Evaluator, HigherOrder, Lambda
from journeys.expressions.dataweave_values import (
    COERCIONS,
    NUMBER_TYPES,
    add,
    compare,
    concat,
    divide,
    equals,
    greater,
    greater_equal,
    less,
    less_equal,
    multiply,
    negate,
    not_equals,
    require_boolean,
    select_from_non_object,
    select_index,
    subtract,
)
from journeys.expressions.errors import ExpressionSyntaxError

_ROOT_SLOTS = {"context": 0, "payload": 1, "platform": 2}
_CONTEXT_SLOT = 0

_BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "EQ": equals,
    "NE": not_equals,
    "LT": less,
    "LE": less_equal,
    "GT": greater,
    "GE": greater_equal,
    "SPACESHIP": compare,
    "PLUS": add,
    "MINUS": subtract,
    "CONCAT": concat,
    "STAR": multiply,
    "SLASH": divide,
}

_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "$": "$",
}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")

_NO_CONSTANT = object()


@dataclass(frozen=True, slots=True)
class CompiledProgram:
    """The root evaluator and how many local slots its environment needs after the 3 roots."""

    evaluator: Evaluator
    local_slot_count: int


def compile_tree(tree: Tree[Token]) -> CompiledProgram:
    """Turn a parse tree from `dataweave_parser.parse` into a CompiledProgram."""
    compiler = _Compiler()
    evaluator = compiler.start(tree)
    return CompiledProgram(evaluator, compiler.slot_count - len(_ROOT_SLOTS))


def _syntax_error(message: str, where: Tree[Token] | Token) -> ExpressionSyntaxError:
    if isinstance(where, Token):
        return ExpressionSyntaxError(message, where.line, where.column)
    meta = where.meta
    return ExpressionSyntaxError(message, getattr(meta, "line", None), getattr(meta, "column", None))


def _constant(value: Any) -> Evaluator:
    return lambda env: value


class _Compiler:
    """One-shot tree walker; holds the lexical scopes and the slot counter while compiling."""

    def __init__(self) -> None:
        self.slot_count = len(_ROOT_SLOTS)
        self._scopes: list[dict[str, int]] = []
        self._handlers: dict[str, Callable[[Tree[Token]], Evaluator]] = {
            "number": self._number,
            "string": self._string,
            "true": lambda node: _constant(True),
            "false": lambda node: _constant(False),
            "null": lambda node: _constant(None),
            "name": self._name,
            "call": self._call,
            "infix_call": self._infix_call,
            "select_field": self._select_field,
            "select_index": self._select_index,
            "object": self._object,
            "array": self._array,
            "binary": self._binary,
            "default": self._default,
            "coerce": self._coerce,
            "negate": self._negate,
            "not_": self._not,
            "and_": self._and,
            "or_": self._or,
            "if_paren": self._if,
            "if_then": self._if,
            "do_block": self._do_block,
            "lambda": self._misplaced_lambda,
        }

    # --- entry points and scoping -------------------------------------------------------------

    def start(self, tree: Tree[Token]) -> Evaluator:
        *header, body = tree.children
        if not header:
            return self.expression(body)
        self._scopes.append({})
        assignments = self._header(header[0])
        evaluator = self._with_assignments(assignments, self.expression(body))
        self._scopes.pop()
        return evaluator

    def expression(self, node: Tree[Token]) -> Evaluator:
        return self._handlers[node.data](node)

    def _declare(self, name: Token) -> int:
        scope = self._scopes[-1]
        if name.value in scope:
            raise _syntax_error(f"'{name.value}' is already declared in this scope", name)
        slot = self.slot_count
        self.slot_count += 1
        scope[name.value] = slot
        return slot

    def _lookup(self, name: str) -> int | None:
        for scope in reversed(self._scopes):
            if name in scope:
                return scope[name]
        return _ROOT_SLOTS.get(name)

    def _header(self, header: Tree[Token]) -> list[tuple[int, Evaluator]]:
        version, *directives, _separator = header.children
        if not version.value.startswith("2."):
            raise _syntax_error(f"unsupported DataWeave version {version.value}, expected 2.x", version)
        assignments = []
        for directive in directives:
            if directive.data == "output_directive":
                (mime_type,) = directive.children
                if mime_type.value.lower() != "application/json":
                    raise _syntax_error(
                        f"unsupported output {mime_type.value}: expressions produce JSON values", mime_type
                    )
            else:
                assignments.append(self._var_decl(directive))
        return assignments

    def _var_decl(self, node: Tree[Token]) -> tuple[int, Evaluator]:
        name, value = node.children
        evaluator = self.expression(value)  # compiled before declaring: no self-reference
        return self._declare(name), evaluator

    @staticmethod
    def _with_assignments(assignments: list[tuple[int, Evaluator]], body: Evaluator) -> Evaluator:
        if not assignments:
            return body
        steps = tuple(assignments)

        def evaluate(env: list[Any]) -> Any:
            for slot, value in steps:
                env[slot] = value(env)
            return body(env)

        return evaluate

    # --- literals ------------------------------------------------------------------------------

    @staticmethod
    def _constant_of(node: Tree[Token]) -> Any:
        """The literal value of `node` if it is a scalar literal, else `_NO_CONSTANT`."""
        kind = node.data
        if kind == "number":
            return _parse_number(node.children[0])
        if kind == "string":
            return _decode_string(node.children[0])
        if kind in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[kind]
        if kind == "negate" and node.children[1].data == "number":
            return -_parse_number(node.children[1].children[0])
        return _NO_CONSTANT

    def _number(self, node: Tree[Token]) -> Evaluator:
        return _constant(_parse_number(node.children[0]))

    def _string(self, node: Tree[Token]) -> Evaluator:
        return _constant(_decode_string(node.children[0]))

    def _object(self, node: Tree[Token]) -> Evaluator:
        entries = tuple(
            (_key_text(pair.children[0]), self.expression(pair.children[1]))
            for pair in node.children
            if pair is not None
        )
        return lambda env: {key: value(env) for key, value in entries}

    def _array(self, node: Tree[Token]) -> Evaluator:
        items = tuple(self.expression(item) for item in node.children if item is not None)
        return lambda env: [item(env) for item in items]

    # --- names and selectors -------------------------------------------------------------------

    def _name(self, node: Tree[Token]) -> Evaluator:
        (name,) = node.children
        slot = self._lookup(name.value)
        if slot is None:
            return _slot_path(_CONTEXT_SLOT, (name.value,))
        return lambda env: env[slot]

    def _select_field(self, node: Tree[Token]) -> Evaluator:
        """Fuse a run of `.field` selectors into one loop over a tuple of keys."""
        keys: list[str] = []
        while node.data == "select_field":
            node, key = node.children
            keys.append(_key_text(key))
        keys.reverse()
        if node.data == "name":
            name = node.children[0].value
            slot = self._lookup(name)
            if slot is None:
                return _slot_path(_CONTEXT_SLOT, (name, *keys))
            return _slot_path(slot, tuple(keys))
        return _evaluator_path(self.expression(node), tuple(keys))

    def _select_index(self, node: Tree[Token]) -> Evaluator:
        base_node, index_node = node.children
        base = self.expression(base_node)
        constant = self._constant_of(index_node)
        if constant is not _NO_CONSTANT:
            return lambda env: select_index(base(env), constant)
        index = self.expression(index_node)
        return lambda env: select_index(base(env), index(env))

    # --- operators -----------------------------------------------------------------------------

    def _binary(self, node: Tree[Token]) -> Evaluator:
        left_node, operator, right_node = node.children
        left = self.expression(left_node)
        right = self.expression(right_node)
        if operator.type in ("EQ", "NE"):
            negated = operator.type == "NE"
            constant = self._constant_of(right_node)
            if constant is not _NO_CONSTANT:
                return _equals_constant(left, constant, negated)
            constant = self._constant_of(left_node)
            if constant is not _NO_CONSTANT:
                return _equals_constant(right, constant, negated)
        function = _BINARY_OPERATORS[operator.type]
        return lambda env: function(left(env), right(env))

    def _default(self, node: Tree[Token]) -> Evaluator:
        left_node, right_node = node.children
        left = self.expression(left_node)
        right = self.expression(right_node)

        def evaluate(env: list[Any]) -> Any:
            value = left(env)
            return right(env) if value is None else value

        return evaluate

    def _coerce(self, node: Tree[Token]) -> Evaluator:
        operand_node, type_token = node.children
        coercion = COERCIONS.get(type_token.value)
        if coercion is None:
            raise _syntax_error(
                f"unknown type '{type_token.value}' after 'as', expected one of: {', '.join(COERCIONS)}",
                type_token,
            )
        operand = self.expression(operand_node)
        return lambda env: coercion(operand(env))

    def _negate(self, node: Tree[Token]) -> Evaluator:
        constant = self._constant_of(node)
        if constant is not _NO_CONSTANT:
            return _constant(constant)
        operand = self.expression(node.children[1])
        return lambda env: negate(operand(env))

    def _not(self, node: Tree[Token]) -> Evaluator:
        operand = self.expression(node.children[0])
        return lambda env: not require_boolean(operand(env), "not")

    def _and(self, node: Tree[Token]) -> Evaluator:
        left = self.expression(node.children[0])
        right = self.expression(node.children[1])

        def evaluate(env: list[Any]) -> bool:
            if require_boolean(left(env), "'and'"):
                return require_boolean(right(env), "'and'")
            return False

        return evaluate

    def _or(self, node: Tree[Token]) -> Evaluator:
        left = self.expression(node.children[0])
        right = self.expression(node.children[1])

        def evaluate(env: list[Any]) -> bool:
            if require_boolean(left(env), "'or'"):
                return True
            return require_boolean(right(env), "'or'")

        return evaluate

    def _if(self, node: Tree[Token]) -> Evaluator:
        condition, then_branch, else_branch = (self.expression(child) for child in node.children)

        def evaluate(env: list[Any]) -> Any:
            if require_boolean(condition(env), "if condition"):
                return then_branch(env)
            return else_branch(env)

        return evaluate

    def _do_block(self, node: Tree[Token]) -> Evaluator:
        self._scopes.append({})
        assignments = [
            self._var_decl(child)
            for child in node.children[:-1]
            if isinstance(child, Tree)  # skips the optional `---` token
        ]
        evaluator = self._with_assignments(assignments, self.expression(node.children[-1]))
        self._scopes.pop()
        return evaluator

    # --- functions and lambdas ------------------------------------------------------------------

    def _call(self, node: Tree[Token]) -> Evaluator:
        name, *arguments = node.children
        return self._function(name, [argument for argument in arguments if argument is not None])

    def _infix_call(self, node: Tree[Token]) -> Evaluator:
        left, infix_name, right = node.children
        return self._function(infix_name.children[0], [left, right])

    def _function(self, name: Token, arguments: list[Tree[Token]]) -> Evaluator:
        higher_order = HIGHER_ORDER.get(name.value)
        if higher_order is not None:
            return self._higher_order_call(name, higher_order, arguments)
        builtin = BUILTINS.get(name.value)
        if builtin is None:
            raise _syntax_error(f"unknown function '{name.value}'", name)
        if not builtin.min_args <= len(arguments) <= builtin.max_args:
            raise _syntax_error(
                f"{name.value}() takes {_count(builtin.min_args, builtin.max_args)}, got {len(arguments)}",
                name,
            )
        if builtin.check_literal is not None:
            for position, argument in enumerate(arguments):
                constant = self._constant_of(argument)
                if constant is not _NO_CONSTANT and (problem := builtin.check_literal(position, constant)):
                    raise _syntax_error(problem, argument)
        function = builtin.function
        evaluators = [self.expression(argument) for argument in arguments]
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

    def _higher_order_call(self, name: Token, higher_order: HigherOrder, arguments: list[Tree[Token]]) -> Evaluator:
        if len(arguments) != 2 or arguments[1].data != "lambda":
            raise _syntax_error(f"{name.value} expects an array and a lambda such as (item) -> ...", name)
        subject = self.expression(arguments[0])
        return higher_order.build(subject, self._lambda(name.value, higher_order, arguments[1]))

    def _lambda(self, function: str, higher_order: HigherOrder, node: Tree[Token]) -> Lambda:
        _open, *parameters, body = node.children
        parameters = [parameter for parameter in parameters if parameter is not None]
        if len(parameters) not in higher_order.arities:
            expected = " or ".join(str(arity) for arity in higher_order.arities)
            raise _syntax_error(
                f"the lambda given to {function} must take {expected} parameter(s), got {len(parameters)}",
                node,
            )
        defaults: list[Evaluator | None] = []
        for position, parameter in enumerate(parameters):
            if len(parameter.children) == 1:
                defaults.append(None)
            elif position == higher_order.default_param:
                defaults.append(self.expression(parameter.children[1]))
            else:
                raise _syntax_error(f"parameter defaults are not meaningful for {function}", parameter)
        self._scopes.append({})
        slots = tuple(self._declare(parameter.children[0]) for parameter in parameters)
        compiled_body = self.expression(body)
        self._scopes.pop()
        return Lambda(slots, tuple(defaults), compiled_body)

    def _misplaced_lambda(self, node: Tree[Token]) -> Evaluator:
        raise _syntax_error(f"a lambda can only be the function argument of {', '.join(HIGHER_ORDER)}", node)


# --- evaluator builders ----------------------------------------------------------------------


def _slot_path(slot: int, keys: tuple[str, ...]) -> Evaluator:
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


def _evaluator_path(base: Evaluator, keys: tuple[str, ...]) -> Evaluator:
    """Like `_slot_path`, for selectors applied to a computed value (`now().hour`, `(a ++ b).c`)."""

    def evaluate(env: list[Any]) -> Any:
        value = base(env)
        for key in keys:
            value = value.get(key) if type(value) is dict else select_from_non_object(value, key)
        return value

    return evaluate


def _equals_constant(operand: Evaluator, constant: Any, negated: bool) -> Evaluator:
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


# --- token decoding --------------------------------------------------------------------------


def _parse_number(token: Token) -> int | float:
    """Integers stay ints so counters and HTTP statuses round-trip exactly."""
    text = token.value
    if text.isdigit():
        return int(text)
    return float(text)


def _decode_string(token: Token) -> str:
    body = token.value[1:-1]
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        escape = match.group(1)
        if len(escape) == 5:
            return chr(int(escape[1:], 16))
        if escape in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[escape]
        raise _syntax_error(f"invalid escape sequence '\\{escape}' in string", token)

    return _ESCAPE.sub(replace, body)


def _key_text(token: Token) -> str:
    return _decode_string(token) if token.type == "STRING" else token.value


def _count(minimum: int, maximum: int) -> str:
    if minimum == maximum:
        return f"{minimum} argument{'s' if minimum != 1 else ''}"
    return f"{minimum} to {maximum} arguments"
