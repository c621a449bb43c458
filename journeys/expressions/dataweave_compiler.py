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

This module decides which closure each node becomes (scoping, slots, constant folding); the closures
themselves are built by `dataweave_closures`, and literal tokens are decoded by `dataweave_literals`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from journeys.expressions.dataweave_builtins import BUILTINS
from journeys.expressions.dataweave_closures import (
    always,
    call,
    default_to,
    equals_constant,
    evaluator_path,
    if_then_else,
    interpolate,
    logical_and,
    logical_or,
    slot_path,
    with_assignments,
)
from journeys.expressions.dataweave_higher_order import HIGHER_ORDER, Evaluator, HigherOrder, Lambda
from journeys.expressions.dataweave_literals import (
    NO_CONSTANT,
    constant_of,
    decode_string,
    key_text,
    parse_number,
    syntax_error,
)
from journeys.expressions.dataweave_values import (
    COERCIONS,
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
    select_index,
    subtract,
)

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


class _Compiler:
    """One-shot tree walker; holds the lexical scopes and the slot counter while compiling."""

    def __init__(self) -> None:
        self.slot_count = len(_ROOT_SLOTS)
        self._scopes: list[dict[str, int]] = []
        self._handlers: dict[str, Callable[[Tree[Token]], Evaluator]] = {
            "number": self._number,
            "string": self._string,
            "interpolation": self._interpolation,
            "true": lambda node: always(True),
            "false": lambda node: always(False),
            "null": lambda node: always(None),
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
        evaluator = with_assignments(assignments, self.expression(body))
        self._scopes.pop()
        return evaluator

    def expression(self, node: Tree[Token]) -> Evaluator:
        return self._handlers[node.data](node)

    def _declare(self, name: Token) -> int:
        scope = self._scopes[-1]
        if name.value in scope:
            raise syntax_error(f"'{name.value}' is already declared in this scope", name)
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
            raise syntax_error(f"unsupported DataWeave version {version.value}, expected 2.x", version)
        assignments = []
        for directive in directives:
            if directive.data == "output_directive":
                (mime_type,) = directive.children
                if mime_type.value.lower() != "application/json":
                    raise syntax_error(
                        f"unsupported output {mime_type.value}: expressions produce JSON values", mime_type
                    )
            else:
                assignments.append(self._var_decl(directive))
        return assignments

    def _var_decl(self, node: Tree[Token]) -> tuple[int, Evaluator]:
        name, value = node.children
        evaluator = self.expression(value)  # compiled before declaring: no self-reference
        return self._declare(name), evaluator

    # --- literals ------------------------------------------------------------------------------

    def _number(self, node: Tree[Token]) -> Evaluator:
        return always(parse_number(node.children[0]))

    def _string(self, node: Tree[Token]) -> Evaluator:
        return always(decode_string(node.children[0]))

    def _interpolation(self, node: Tree[Token]) -> Evaluator:
        parts = tuple(part if isinstance(part, str) else self.expression(part) for part in node.children)
        return interpolate(parts)

    def _object(self, node: Tree[Token]) -> Evaluator:
        entries = tuple(
            (key_text(pair.children[0]), self.expression(pair.children[1]))
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
            return slot_path(_CONTEXT_SLOT, (name.value,))
        return lambda env: env[slot]

    def _select_field(self, node: Tree[Token]) -> Evaluator:
        """Fuse a run of `.field` selectors into one loop over a tuple of keys."""
        keys: list[str] = []
        while node.data == "select_field":
            node, key = node.children
            keys.append(key_text(key))
        keys.reverse()
        if node.data == "name":
            name = node.children[0].value
            slot = self._lookup(name)
            if slot is None:
                return slot_path(_CONTEXT_SLOT, (name, *keys))
            return slot_path(slot, tuple(keys))
        return evaluator_path(self.expression(node), tuple(keys))

    def _select_index(self, node: Tree[Token]) -> Evaluator:
        base_node, index_node = node.children
        base = self.expression(base_node)
        constant = constant_of(index_node)
        if constant is not NO_CONSTANT:
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
            constant = constant_of(right_node)
            if constant is not NO_CONSTANT:
                return equals_constant(left, constant, negated)
            constant = constant_of(left_node)
            if constant is not NO_CONSTANT:
                return equals_constant(right, constant, negated)
        function = _BINARY_OPERATORS[operator.type]
        return lambda env: function(left(env), right(env))

    def _default(self, node: Tree[Token]) -> Evaluator:
        left_node, right_node = node.children
        return default_to(self.expression(left_node), self.expression(right_node))

    def _coerce(self, node: Tree[Token]) -> Evaluator:
        operand_node, type_token = node.children
        coercion = COERCIONS.get(type_token.value)
        if coercion is None:
            raise syntax_error(
                f"unknown type '{type_token.value}' after 'as', expected one of: {', '.join(COERCIONS)}",
                type_token,
            )
        operand = self.expression(operand_node)
        return lambda env: coercion(operand(env))

    def _negate(self, node: Tree[Token]) -> Evaluator:
        constant = constant_of(node)
        if constant is not NO_CONSTANT:
            return always(constant)
        operand = self.expression(node.children[1])
        return lambda env: negate(operand(env))

    def _not(self, node: Tree[Token]) -> Evaluator:
        operand = self.expression(node.children[0])
        return lambda env: not require_boolean(operand(env), "not")

    def _and(self, node: Tree[Token]) -> Evaluator:
        return logical_and(self.expression(node.children[0]), self.expression(node.children[1]))

    def _or(self, node: Tree[Token]) -> Evaluator:
        return logical_or(self.expression(node.children[0]), self.expression(node.children[1]))

    def _if(self, node: Tree[Token]) -> Evaluator:
        condition, then_branch, else_branch = (self.expression(child) for child in node.children)
        return if_then_else(condition, then_branch, else_branch)

    def _do_block(self, node: Tree[Token]) -> Evaluator:
        self._scopes.append({})
        assignments = [
            self._var_decl(child)
            for child in node.children[:-1]
            if isinstance(child, Tree)  # skips the optional `---` token
        ]
        evaluator = with_assignments(assignments, self.expression(node.children[-1]))
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
            raise syntax_error(f"unknown function '{name.value}'", name)
        if not builtin.min_args <= len(arguments) <= builtin.max_args:
            raise syntax_error(
                f"{name.value}() takes {_count(builtin.min_args, builtin.max_args)}, got {len(arguments)}",
                name,
            )
        if builtin.check_literal is not None:
            for position, argument in enumerate(arguments):
                constant = constant_of(argument)
                if constant is not NO_CONSTANT and (problem := builtin.check_literal(position, constant)):
                    raise syntax_error(problem, argument)
        return call(builtin.function, [self.expression(argument) for argument in arguments])

    def _higher_order_call(self, name: Token, higher_order: HigherOrder, arguments: list[Tree[Token]]) -> Evaluator:
        if len(arguments) != 2 or arguments[1].data != "lambda":
            raise syntax_error(f"{name.value} expects an array and a lambda such as (item) -> ...", name)
        subject = self.expression(arguments[0])
        return higher_order.build(subject, self._lambda(name.value, higher_order, arguments[1]))

    def _lambda(self, function: str, higher_order: HigherOrder, node: Tree[Token]) -> Lambda:
        _open, *parameters, body = node.children
        parameters = [parameter for parameter in parameters if parameter is not None]
        if len(parameters) not in higher_order.arities:
            expected = " or ".join(str(arity) for arity in higher_order.arities)
            raise syntax_error(
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
                raise syntax_error(f"parameter defaults are not meaningful for {function}", parameter)
        self._scopes.append({})
        slots = tuple(self._declare(parameter.children[0]) for parameter in parameters)
        compiled_body = self.expression(body)
        self._scopes.pop()
        return Lambda(slots, tuple(defaults), compiled_body)

    def _misplaced_lambda(self, node: Tree[Token]) -> Evaluator:
        raise syntax_error(f"a lambda can only be the function argument of {', '.join(HIGHER_ORDER)}", node)


def _count(minimum: int, maximum: int) -> str:
    if minimum == maximum:
        return f"{minimum} argument{'s' if minimum != 1 else ''}"
    return f"{minimum} to {maximum} arguments"
