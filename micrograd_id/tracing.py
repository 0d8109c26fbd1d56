"""Rules run on symbols: each op's own derivative rule, written down as an expression to print.

compile_graph knows no derivative. It runs each built-in op's ``rule`` on
``Symbol`` objects, which record the arithmetic done to them instead of
doing it, and hands the rule ``RECORDING``, a ``Helpers`` table whose
functions record a call (``helpers.sign(a)``) instead of computing one.
The result is an expression tree, printed as Python (``PythonPrinter``: the
same tree of operations in the same order, so on floats the generated line
computes exactly what the rule computes) or as JavaScript
(``JavaScriptPrinter``, for the explorer page).

A rule that asks a question about its numbers (``a ** b`` with a Value
exponent branches on whether a is 0) cannot be written down: the symbol
raises ``Untraceable``, and the compiler calls that rule as a function
instead. That is the only failure that means "call the rule"; any other
error in a rule is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from micrograd_id.notation import printable
from micrograd_id.ops import ATOM, HELPERS, POWER, PRODUCT, SUM, UNARY, Helpers, Op, js_number

__all__ = ["Symbol", "symbol", "Untraceable", "RECORDING", "trace_rule", "trace_branches", "placeholders",
           "PythonPrinter", "JavaScriptPrinter", "js_forward", "Printed", "python_number", "comment"]

Printed = tuple[str, int]  # source text and how tightly it binds (ops.SUM ... ops.ATOM)


class Untraceable(Exception):
    """A rule asked a question about its numbers (a branch, a comparison): it cannot be written down."""


class Symbol:
    """A number in a program being written: a name, a constant, or an expression over symbols.

    ``kind`` is one of "name" (``parts = (key,)``), "number" (``(value,)``),
    "binary" (``(operator, left, right)``), "neg" (``(operand,)``), "helper"
    (``(field, *arguments)``: a call to a Helpers function), "forward"
    (``(op, *arguments)``: an op's forward value), and for rules traced down
    their branches "compare" (``(operator, left, right)``) and "select"
    (``(conditions with their outcomes, then, otherwise)``).
    """

    __slots__ = ("kind", "parts")
    __array_ufunc__ = None  # numpy must hand arithmetic back to the symbol

    def __init__(self, kind: str, *parts: Any) -> None:
        self.kind = kind
        self.parts = parts

    @staticmethod
    def name(key: str) -> Symbol:
        return Symbol("name", key)

    def __add__(self, other: Any) -> Symbol:
        return _binary("+", self, other)

    def __radd__(self, other: Any) -> Symbol:
        return _binary("+", other, self)

    def __sub__(self, other: Any) -> Symbol:
        return _binary("-", self, other)

    def __rsub__(self, other: Any) -> Symbol:
        return _binary("-", other, self)

    def __mul__(self, other: Any) -> Symbol:
        return _binary("*", self, other)

    def __rmul__(self, other: Any) -> Symbol:
        return _binary("*", other, self)

    def __truediv__(self, other: Any) -> Symbol:
        return _binary("/", self, other)

    def __rtruediv__(self, other: Any) -> Symbol:
        return _binary("/", other, self)

    def __pow__(self, other: Any) -> Symbol:
        return _binary("**", self, other)

    def __rpow__(self, other: Any) -> Symbol:
        return _binary("**", other, self)

    def __neg__(self) -> Symbol:
        return Symbol("neg", self)

    def _question(self, *_: Any) -> Any:
        raise Untraceable("the rule compares or converts a symbolic number")

    def _compare(self, other: Any, operator: str) -> bool:
        decider = _decider.get()
        if decider is None:
            raise Untraceable("the rule compares a symbolic number")
        return decider.decide(Symbol("compare", operator, self, symbol(other)))

    def __eq__(self, other: Any) -> bool:
        return self._compare(other, "==")

    def __ne__(self, other: Any) -> bool:
        return self._compare(other, "!=")

    def __lt__(self, other: Any) -> bool:
        return self._compare(other, "<")

    def __le__(self, other: Any) -> bool:
        return self._compare(other, "<=")

    def __gt__(self, other: Any) -> bool:
        return self._compare(other, ">")

    def __ge__(self, other: Any) -> bool:
        return self._compare(other, ">=")

    __bool__ = __float__ = __int__ = __index__ = __abs__ = _question
    __hash__ = object.__hash__

    def names(self) -> set[str]:
        """The keys of every name in the expression."""
        found, stack = set(), [self]
        while stack:
            symbol = stack.pop()
            if symbol.kind == "name":
                found.add(symbol.parts[0])
            elif symbol.kind != "number":
                stack.extend(p for p in symbol.parts if isinstance(p, Symbol))
        return found


def symbol(x: Any) -> Symbol:
    """x as a Symbol: a plain number becomes a constant; anything else cannot be written down."""
    if isinstance(x, Symbol):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Symbol("number", float(x))
    raise Untraceable(f"the rule used a {type(x).__name__}")


def _binary(operator: str, left: Any, right: Any) -> Symbol:
    return Symbol("binary", operator, symbol(left), symbol(right))


def _recording(field: str) -> Callable[..., Any]:
    """The Helpers function ``field`` that, given a symbol, writes a call to itself (on numbers: computes)."""
    compute = getattr(HELPERS, field)

    def helper(*args: Any) -> Any:
        if not any(isinstance(a, Symbol) for a in args):
            return compute(*args)
        if field == "power" and not isinstance(args[1], Symbol) and args[1] >= 0.0:
            return symbol(args[0]) ** args[1]  # no 0 ** negative to guard: the plain power, which reads better
        return Symbol("helper", field, *map(symbol, args))
    return helper


RECORDING = Helpers(**{field: _recording(field) for field in Helpers._fields})


class _Decider:
    """Answers a rule's comparisons from a script (then True), recording each question and answer."""

    def __init__(self, script: list[bool]) -> None:
        self.script = script
        self.asked: list[tuple[Symbol, bool]] = []

    def decide(self, condition: Symbol) -> bool:
        k = len(self.asked)
        answer = self.script[k] if k < len(self.script) else True
        self.asked.append((condition, answer))
        return answer


_decider: ContextVar[_Decider | None] = ContextVar("micrograd_id_trace_decider", default=None)
Path = tuple[list[tuple[Symbol, bool]], list[Symbol]]  # (conditions and their outcomes, the gradients)


def trace_branches(op: Op) -> list[Path]:
    """A built-in rule that branches on its numbers, traced down every branch it can take.

    Each comparison the rule makes is answered both ways in turn (a depth-first
    walk over the answers), so the result is one path per outcome: the
    conditions that lead there and the rule's expressions at its end. For
    targets with a conditional expression (JavaScript's ``c ? a : b``).
    """
    g, out, inputs = placeholders(op.arity)
    paths: list[Path] = []
    scripts: list[list[bool]] = [[]]
    while scripts:
        script = scripts.pop()
        decider = _Decider(script)
        token = _decider.set(decider)
        try:
            grads = [symbol(d) for d in op.rule(g, out, *inputs, helpers=RECORDING)]
        finally:
            _decider.reset(token)
        answers = [answer for _, answer in decider.asked]
        paths.append((decider.asked, grads))
        scripts.extend(answers[:i] + [not answers[i]] for i in range(len(script), len(answers)))
    return paths


def placeholders(arity: int) -> tuple[Symbol, Symbol, list[Symbol]]:
    """The symbols a rule is traced on: its output's gradient "g", its value "out", its inputs "0", "1", ..."""
    return Symbol.name("g"), Symbol.name("out"), [Symbol.name(str(i)) for i in range(arity)]


def trace_rule(op: Op, constants: Sequence[float | None]) -> list[Symbol] | None:
    """op's rule as one expression per input, over ``placeholders`` (None: the rule must be called).

    constants[i] is input i's number when it is a constant of the graph (its
    value then appears in the expression, as the rule would compute with it),
    else None. A user's rule (``op.builtin`` False) is the user's code: always called.
    """
    if not op.builtin:
        return None
    g, out, inputs = placeholders(op.arity)
    args = [x if c is None else c for x, c in zip(inputs, constants)]
    try:
        return [symbol(d) for d in op.rule(g, out, *args, helpers=RECORDING)]
    except Untraceable:
        return None


# ----- printing ----------------------------------------------------------------------------------

def python_number(x: float) -> str:
    """A float as Python source that evaluates to exactly that float (inf and nan: names the program defines)."""
    text = repr(x)
    return f"({text})" if text.startswith("-") else text


def _wrap(printed: Printed, bare_ok: bool) -> str:
    return printed[0] if bare_ok else f"({printed[0]})"


class PythonPrinter:
    """Symbols as Python with as few parentheses as Python's precedence allows (so: the same order).

    names: what each name key prints as (with its binding strength; a key
    not in it prints as itself). forward_call(op): the source of op's forward
    as a function (``ops.exp``), or None where op's ``code`` template is used.
    """

    def __init__(self, names: Mapping[str, Printed], forward_call: Callable[[Op], str | None]) -> None:
        self.names = names
        self.forward_call = forward_call

    def text(self, x: Symbol) -> str:
        return self.print(x)[0]

    def print(self, x: Symbol) -> Printed:
        kind, parts = x.kind, x.parts
        if kind == "name":
            return self.names.get(parts[0], (parts[0], ATOM))
        if kind == "number":
            return python_number(parts[0]), ATOM
        if kind == "neg":
            operand = self.print(parts[0])
            return f"-{_wrap(operand, operand[1] == ATOM)}", UNARY
        if kind == "helper":
            return f"helpers.{parts[0]}({', '.join(self.text(a) for a in parts[1:])})", ATOM
        if kind == "binary":
            strength = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "**": POWER}[parts[0]]
            return self._infix(f"{{0}} {parts[0]} {{1}}", strength, [self.print(a) for a in parts[1:]])
        op, args = parts[0], [self.print(a) for a in parts[1:]]
        call = self.forward_call(op)
        if call is not None:
            return f"{call}({', '.join(a[0] for a in args)})", ATOM
        return self._infix(op.code, op.precedence, args)

    @staticmethod
    def _infix(template: str, strength: int, args: list[Printed]) -> Printed:
        """A template binding with ``strength`` on printed arguments, parenthesised only where Python needs it."""
        if strength == ATOM:  # a call: its arguments sit inside its parentheses
            return template.format(*(a[0] for a in args)), ATOM
        if strength == UNARY:
            return template.format(_wrap(args[0], args[0][1] == ATOM)), UNARY
        if strength == POWER:  # right-associative, and its right side may be -x
            bare = [args[0][1] > POWER] + [a[1] >= UNARY for a in args[1:]]
        elif strength in (SUM, PRODUCT):  # left-associative
            bare = [args[0][1] >= strength] + [a[1] > strength for a in args[1:]]
        else:  # a user's template: every input in parentheses, the whole binding loosest of all
            bare = [a[1] == ATOM for a in args]
        return template.format(*(_wrap(a, ok) for a, ok in zip(args, bare))), strength


class JavaScriptPrinter:
    """Symbols as JavaScript: fully parenthesised, powers and helpers through ops.JS_HELPERS' ``mgid``."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names

    def text(self, x: Symbol) -> str:
        kind, parts = x.kind, x.parts
        if kind == "name":
            return self.names.get(parts[0], parts[0])
        if kind == "number":
            return js_number(parts[0])
        if kind == "neg":
            return f"(-{self.text(parts[0])})"
        if kind == "helper":
            return f"mgid.{parts[0]}({', '.join(self.text(a) for a in parts[1:])})"
        if kind == "compare":
            operator = {"==": "===", "!=": "!=="}.get(parts[0], parts[0])
            return f"({self.text(parts[1])} {operator} {self.text(parts[2])})"
        if kind == "binary":
            left, right = self.text(parts[1]), self.text(parts[2])
            if parts[0] == "**":  # Python's float ** (1 ** nan is 1): the helper, not JavaScript's
                return f"mgid.power({left}, {right})"
            return f"({left} {parts[0]} {right})"
        if kind == "select":  # (conditions and outcomes, then, otherwise)
            test = " && ".join(self.text(c) if outcome else f"!{self.text(c)}" for c, outcome in parts[0])
            return f"({test} ? {self.text(parts[1])} : {self.text(parts[2])})"
        return js_forward(parts[0], [self.text(a) for a in parts[1:]])


def js_forward(op: Op, args: Sequence[str]) -> str:
    """op's forward as JavaScript over its inputs' text (each bracketed); ValueError for an op without ``js``."""
    if op.js is None:
        raise ValueError(f"op {op.name!r} has no JavaScript form: give define_op(..., js=...)")
    return "(" + op.js.format(*(f"({a})" for a in args)) + ")"


def comment(text: str, limit: int = 100) -> str:
    """text made safe for a # comment: one line, control characters escaped, bounded length."""
    safe = printable(text)
    return safe if len(safe) <= limit else safe[:limit - 1] + "…"
