"""A tiny, safe condition language for rules: `on_hand < safety_stock and abc_class == "A"`.

Rule kept here: text is parsed with Python's `ast` and only names, numbers, strings, booleans,
comparisons, `and`/`or`/`not`, unary minus and + - * / are accepted; evaluation walks that
tree itself — nothing is ever passed to eval/exec, and there are no calls, attributes or indexing.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MAX_LENGTH = 500
MAX_DEPTH = 30
Value = float | int | str | bool


class ExpressionError(ValueError):
    """The condition text is not in the rule language, or could not be evaluated."""


_COMPARE: dict[type[ast.cmpop], Callable[[object, object], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_ARITH: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
           ast.NotEq: "!=", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


@dataclass(frozen=True)
class Expression:
    source: str
    names: frozenset[str]
    tree: ast.expr

    def evaluate(self, facts: Mapping[str, Value]) -> Value:
        try:
            return _eval(self.tree, facts)
        except KeyError as exc:
            raise ExpressionError(f"no value for {exc.args[0]!r}") from None
        except ZeroDivisionError:
            raise ExpressionError("division by zero") from None
        except TypeError as exc:
            raise ExpressionError(f"values of the wrong type ({exc})") from None


def parse(source: object) -> Expression:
    """Parse and check a condition; raises ExpressionError naming what is not allowed."""
    if isinstance(source, bool | int | float):
        source = str(source)
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("a condition must be non-empty text, e.g. 'on_hand < safety_stock'")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"a condition is limited to {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"not a valid condition: {exc.msg} at column {exc.offset}") from None
    names: set[str] = set()
    _check(tree, names, 0)
    return Expression(source.strip(), frozenset(names), tree)


def _check(node: ast.AST, names: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError("condition is nested too deeply")
    if isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, bool | int | float | str):
            raise ExpressionError(f"constant {node.value!r} is not a number, text or boolean")
    elif isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, names, depth + 1)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub | ast.UAdd):
        _check(node.operand, names, depth + 1)
    elif isinstance(node, ast.Compare) and all(type(o) in _COMPARE for o in node.ops):
        for v in (node.left, *node.comparators):
            _check(v, names, depth + 1)
    elif isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        _check(node.left, names, depth + 1)
        _check(node.right, names, depth + 1)
    else:
        raise ExpressionError(f"{_describe(node)} is not allowed (only names, numbers, text, "
                              "comparisons, and/or/not and + - * /)")


def _describe(node: ast.AST) -> str:
    kinds = {ast.Call: "a function call", ast.Attribute: "attribute access",
             ast.Subscript: "indexing", ast.Lambda: "a lambda", ast.IfExp: "if/else",
             ast.Compare: "that comparison (in / is)", ast.BinOp: "that operator",
             ast.UnaryOp: "that operator"}
    for kind, text in kinds.items():
        if isinstance(node, kind):
            return text
    return f"'{type(node).__name__}'"


def _eval(node: ast.expr, facts: Mapping[str, Value]) -> Value:
    if isinstance(node, ast.Name):
        return facts[node.id]
    if isinstance(node, ast.Constant):
        return node.value  # type: ignore[no-any-return]
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_truth(_eval(v, facts)) for v in node.values)
        return any(_truth(_eval(v, facts)) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, facts)
        if isinstance(node.op, ast.Not):
            return not _truth(value)
        number = _number(value)
        return -number if isinstance(node.op, ast.USub) else number
    if isinstance(node, ast.Compare):
        left = _eval(node.left, facts)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, facts)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BinOp):
        return _ARITH[type(node.op)](_number(_eval(node.left, facts)),
                                     _number(_eval(node.right, facts)))
    raise ExpressionError(f"{_describe(node)} is not allowed")  # unreachable after parse()


def _number(value: Value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{value!r} is not a number")
    return value


def _truth(value: Value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{value!r} is not true/false (compare it, e.g. '> 0')")
    return value
