"""The op table: every built-in operation, defined once, with its derivative and its notation beside it.

An ``Op`` says how to compute an operation (``forward``), how to differentiate
it (``rule``) and how to write it (a symbol for drawings, an expression and
local-derivative formulas for explanations, a Python and a JavaScript template
for compiled code). The engine (``micrograd_id.engine``) records Ops in a graph
and runs their rules; everything that reads a graph reads the Ops.

A rule is ``rule(g, out, *inputs) -> one gradient per input``, each
``g · ∂out/∂input``: ``g`` is the gradient arriving at the op's output. Rules
use only arithmetic that floats, Values and numpy arrays share, plus the
helpers of a ``Helpers`` table (sign, step, IEEE division, power and log, sin,
cos) that every built-in rule takes as the keyword ``helpers``. The engine
calls rules without it (``HELPERS``: floats and Values); compile_graph hands
in its own table (tracing, numpy, JavaScript), so one rule serves every
backend. A rule never captures its output node, so a graph holds no
reference cycles and is freed by reference counting the moment it is dropped.

This module knows nothing of Value: a graph node reaches a helper as any
object whose ``data`` is a float.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Iterable, Sequence
from typing import Any, Callable, NamedTuple

from micrograd_id._checks import real_float

__all__ = ["Op", "Helpers", "HELPERS", "OPS", "power_op", "user_op", "JS_HELPERS", "CODE_NAMES",
           "js_number", "SUM", "PRODUCT", "UNARY", "POWER", "ATOM",
           "ADD", "SUB", "MUL", "DIV", "POW", "NEG", "EXP", "LOG", "SQRT", "ABS", "TANH", "SIGMOID", "RELU",
           "SIN", "COS", "TAN", "ARCSIN", "ARCCOS", "ARCTAN"]

Forward = Callable[..., float]
Rule = Callable[..., Sequence[Any]]

# How tightly a Python code template binds (Python's own levels), for printing without extra parentheses.
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5


class Op:
    """One operation, defined once: how to compute it, differentiate it and write it.

    name         what a node records as ``v.op``: "*", "sigmoid", "**2"
    arity        how many inputs it takes
    forward      floats -> float; raises a clear error outside the op's domain
    rule         rule(g, out, *inputs) -> (g·∂out/∂input for each input); a built-in
                 rule also takes ``helpers=`` (a ``Helpers`` table)
    symbol       the op's mark in a drawn graph ("×")
    notation     the expression, with {0}, {1} for the inputs: "{0}·{1}", "sigmoid({0})"
    derivatives  per input, ∂out/∂input as text over {0}, {1} and {out}: ("{1}", "{0}")
    code         optional: the forward as a Python expression over {0}, {1}, for
                 compile_graph; None: the compiled code calls ``forward``
    js           optional: the forward as a JavaScript expression over {0}, {1}
                 (it may call the functions of ``JS_HELPERS``); None: no JavaScript form
    builtin      True for this table's ops and every ``power_op(k)``: their rules take ``helpers=``
    power        k for the op ``a ** k`` made by ``power_op(k)``, else None
    precedence   how tightly ``code`` binds: SUM 1, PRODUCT 2, UNARY 3, POWER 4, ATOM 5
                 (a call); a user's template: 0 (it is always parenthesised)
    """

    __slots__ = ("name", "arity", "forward", "rule", "symbol", "notation", "derivatives", "code", "js", "builtin",
                 "power", "precedence")

    def __init__(self, name: str, arity: int, forward: Forward, rule: Rule, *, symbol: str | None = None,
                 notation: str | None = None, derivatives: Iterable[str] | None = None,
                 code: str | None = None, js: str | None = None, builtin: bool = False,
                 power: float | None = None, precedence: int | None = None) -> None:
        self.name = name
        self.arity = arity
        self.forward = forward
        self.rule = rule
        self.symbol = symbol or name
        inputs = ", ".join(f"{{{i}}}" for i in range(arity))
        braced = name.replace("{", "{{").replace("}", "}}")  # the name's own braces are not fields
        self.notation = notation or f"{braced}({inputs})"
        # A user's op without written derivatives says what it is, never a wrong formula.
        self.derivatives = tuple(derivatives) if derivatives else tuple(
            f"∂{{out}}/∂{{{i}}}" for i in range(arity))
        self.code = code
        self.js = js
        self.builtin = builtin
        self.power = power
        self.precedence = (ATOM if code is None else 0) if precedence is None else precedence

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


# ----- forward values with errors that name the domain ----------------------------------

def _log_forward(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"log({x:g}): math domain error, log needs a positive input")
    return math.log(x)


def _exp_forward(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp({x:g}) overflows a float (inputs above 709.78 do)") from None


def _sqrt_forward(x: float) -> float:
    if x < 0.0:
        raise ValueError(f"sqrt({x:g}): math domain error, sqrt needs an input >= 0")
    return math.sqrt(x)


def _unit_interval(name: str, function: Callable[[float], float]) -> Forward:
    def forward(x: float) -> float:
        if not -1.0 <= x <= 1.0:
            raise ValueError(f"{name}({x:g}): math domain error, {name} needs an input in [-1, 1]")
        return function(x)
    return forward


def _finite_only(name: str, function: Callable[[float], float]) -> Forward:
    def forward(x: float) -> float:
        if math.isinf(x):
            raise ValueError(f"{name}({x:g}): math domain error, {name} needs a finite input")
        return function(x)
    return forward


def _sigmoid_forward(x: float) -> float:
    if x >= 0.0:  # two branches so exp never overflows
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu_forward(x: float) -> float:
    return 0.0 if x <= 0.0 else x  # nan stays nan


def _div_forward(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"division by zero: {a:g} / {b:g}")
    return a / b


def _power_forward(a: float, b: float) -> float:
    """a ** b on floats, refusing complex results and naming overflow."""
    if a < 0.0 and math.isfinite(b) and not b.is_integer():  # also where IEEE says (-inf) ** 0.5 = inf
        raise ValueError(f"{a:g} ** {b:g} is not real: a negative base needs an integer exponent")
    try:
        data = a ** b
    except ZeroDivisionError:
        raise ZeroDivisionError(f"{a:g} ** {b:g}: zero cannot be raised to a negative power") from None
    except OverflowError:
        raise OverflowError(f"{a:g} ** {b:g} overflows a float") from None
    return data


# ----- what the rules may call besides arithmetic -------------------------------------
# On a float these use math and IEEE arithmetic (inf and nan, as PyTorch gives,
# instead of an error); on a graph node (a Value under create_graph) the same
# on its number; on anything else (a numpy array, a tracer) they call the
# method of the same name, which is also how numpy's ufuncs treat objects.

class Helpers(NamedTuple):
    """The functions a built-in rule calls besides arithmetic; compile_graph swaps in its own."""

    sign: Callable[[Any], Any]  # -1, 0 or 1; a constant (its derivative is 0 wherever it has one)
    step: Callable[[Any], Any]  # 1 where x > 0, else 0; a constant too
    divide: Callable[[Any, Any], Any]  # x / y, where y = 0 gives inf or nan instead of raising
    power: Callable[[Any, Any], Any]  # a ** k, where 0 ** negative gives inf instead of raising
    log: Callable[[Any], Any]  # log x, where 0 gives -inf and a negative nan instead of raising
    sin: Callable[[Any], Any]
    cos: Callable[[Any], Any]


def _number(x: Any) -> Any:
    """The float in x: x itself, or a graph node's data; anything else (an array, a tracer) as it is."""
    data = getattr(x, "data", x)
    return data if isinstance(data, float) else x


def _is_node(x: Any) -> bool:
    return type(x) is not float and isinstance(getattr(x, "data", None), float)


def _constant(x: float, *operands: Any) -> Any:
    """x as a float, or, when an operand is a graph node (create_graph), as a node without history.

    Used for the inf or nan a rule gives at a singular point: there is nothing
    to differentiate further, and detect_anomaly's gradient check names the op.
    """
    node = next((o for o in operands if _is_node(o)), None)
    if node is None:
        return x
    value = type(node)(0.0)  # made from a finite number (detect_anomaly refuses an inf leaf), then set
    value.data = x
    return value


def _elementary(name: str, on_float: Callable[[float], float]) -> Callable[[Any], Any]:
    def function(x: Any) -> Any:
        return on_float(x) if type(x) is float else getattr(x, name)()
    function.__name__ = name
    return function


def _sign(x: Any) -> Any:
    if type(x) is not float:
        number = _number(x)
        if not isinstance(number, float):
            return x.sign()  # numpy arrays, compile_graph's tracer
        x = float(number)
    return float((x > 0.0) - (x < 0.0))


def _step(x: Any) -> Any:
    if type(x) is not float:
        number = _number(x)
        if not isinstance(number, float):
            return x.step()
        x = number
    return float(x > 0.0)


def _divide(x: Any, y: Any) -> Any:
    a, b = _number(x), _number(y)
    if isinstance(a, float) and isinstance(b, float) and b == 0.0:
        q = math.nan if a == 0.0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1.0, b)
        return _constant(q, x, y)
    return x / y


def _ieee_power(a: Any, k: Any) -> Any:
    base = _number(a)
    if isinstance(base, float) and base == 0.0 and _number(k) < 0.0:
        return _constant(math.inf, a, k)
    return a ** k


def _ieee_log(x: Any) -> Any:
    number = _number(x)
    if isinstance(number, float) and not number > 0.0:
        return _constant(-math.inf if number == 0.0 else math.nan, x)
    return math.log(x) if isinstance(x, float) else x.log()  # numpy's float64 is a float


HELPERS = Helpers(sign=_sign, step=_step, divide=_divide, power=_ieee_power, log=_ieee_log,
                  sin=_elementary("sin", math.sin), cos=_elementary("cos", math.cos))


def _pow_rule(g: Any, out: Any, a: Any, b: Any, helpers: Helpers = HELPERS) -> tuple[Any, Any]:
    """∂(a^b)/∂a = b·a^(b−1) and ∂(a^b)/∂b = a^b·log(a), at the edges as in PyTorch.

    At a = 0: a^0 is flat in a (0, not 0·inf), and a^b with b >= 0 is flat
    in b. A negative a (integer b) leaves log(a) undefined: nan, which
    detect_anomaly names.
    """
    at_zero = _number(a) == 0.0
    da = g * 0.0 if at_zero and _number(b) == 0.0 else g * b * helpers.power(a, b - 1.0)
    db = g * 0.0 if at_zero and _number(b) >= 0.0 else g * out * helpers.log(a)
    return da, db


# ----- the ops: one row each -----------------------------------------------------------
# name, arity, forward, rule: g · ∂out/∂input per input; then how it is written.
# (Every rule ends with the parameter `helpers`, so that compile_graph can pass its own table: a
# trailing parameter with a default, not a keyword-only one, which CPython calls faster.)

ADD = Op("+", 2, operator.add, lambda g, out, a, b, helpers=HELPERS: (g, g),
         notation="{0} + {1}", derivatives=("1", "1"), code="{0} + {1}", precedence=SUM,
         js="({0} + {1})", builtin=True)
SUB = Op("-", 2, operator.sub, lambda g, out, a, b, helpers=HELPERS: (g, -g),
         symbol="−", notation="{0} − {1}", derivatives=("1", "−1"), code="{0} - {1}", precedence=SUM,
         js="({0} - {1})", builtin=True)
MUL = Op("*", 2, operator.mul, lambda g, out, a, b, helpers=HELPERS: (g * b, g * a),
         symbol="×", notation="{0}·{1}", derivatives=("{1}", "{0}"), code="{0} * {1}", precedence=PRODUCT,
         js="({0} * {1})", builtin=True)
DIV = Op("/", 2, _div_forward,
         lambda g, out, a, b, helpers=HELPERS: (g / b, -g * out / b),  # ∂(a/b)/∂b = −a/b² = −out/b
         symbol="÷", notation="{0}/{1}", derivatives=("1/{1}", "−{out}/{1}"), code="{0} / {1}", precedence=PRODUCT,
         js="mgid.quotient({0}, {1})", builtin=True)
POW = Op("**", 2, _power_forward, _pow_rule,
         symbol="^", notation="{0}^{1}", derivatives=("{1}·{0}^({1} − 1)", "{out}·log({0})"), code="{0} ** {1}",
         precedence=POWER, js="mgid.pow({0}, {1})", builtin=True)
NEG = Op("neg", 1, operator.neg, lambda g, out, a, helpers=HELPERS: (-g,),
         symbol="−", notation="−{0}", derivatives=("−1",), code="-{0}", precedence=UNARY, js="(-{0})", builtin=True)
EXP = Op("exp", 1, _exp_forward, lambda g, out, a, helpers=HELPERS: (g * out,),
         derivatives=("{out}",), js="Math.exp({0})", builtin=True)
LOG = Op("log", 1, _log_forward, lambda g, out, a, helpers=HELPERS: (g / a,),
         derivatives=("1/{0}",), js="mgid.ln({0})", builtin=True)
SQRT = Op("sqrt", 1, _sqrt_forward, lambda g, out, a, helpers=HELPERS: (helpers.divide(g, 2.0 * out),),
          symbol="√", notation="√{0}", derivatives=("1/(2·{out})",), js="Math.sqrt({0})", builtin=True)
ABS = Op("abs", 1, abs, lambda g, out, a, helpers=HELPERS: (g * helpers.sign(a),),  # 0 at the kink, as in PyTorch
         symbol="|x|", notation="|{0}|", derivatives=("sign({0})",), code="abs({0})", precedence=ATOM,
         js="Math.abs({0})", builtin=True)
TANH = Op("tanh", 1, math.tanh, lambda g, out, a, helpers=HELPERS: (g * (1.0 - out * out),),
          derivatives=("1 − {out}^2",), js="Math.tanh({0})", builtin=True)
SIGMOID = Op("sigmoid", 1, _sigmoid_forward, lambda g, out, a, helpers=HELPERS: (g * (out * (1.0 - out)),),
             derivatives=("{out}·(1 − {out})",), js="mgid.sigmoid({0})", builtin=True)
RELU = Op("relu", 1, _relu_forward,
          lambda g, out, a, helpers=HELPERS: (g * helpers.step(out),),  # 1 above the kink, 0 at and below it
          derivatives=("[{0} > 0]",), js="mgid.relu({0})", builtin=True)
SIN = Op("sin", 1, _finite_only("sin", math.sin), lambda g, out, a, helpers=HELPERS: (g * helpers.cos(a),),
         derivatives=("cos({0})",), js="Math.sin({0})", builtin=True)
COS = Op("cos", 1, _finite_only("cos", math.cos), lambda g, out, a, helpers=HELPERS: (-g * helpers.sin(a),),
         derivatives=("−sin({0})",), js="Math.cos({0})", builtin=True)
TAN = Op("tan", 1, _finite_only("tan", math.tan), lambda g, out, a, helpers=HELPERS: (g * (1.0 + out * out),),
         derivatives=("1 + {out}^2",), js="Math.tan({0})", builtin=True)
ARCSIN = Op("arcsin", 1, _unit_interval("arcsin", math.asin),
            lambda g, out, a, helpers=HELPERS: (helpers.divide(g, (1.0 - a * a) ** 0.5),),
            derivatives=("1/√(1 − {0}^2)",), js="Math.asin({0})", builtin=True)
ARCCOS = Op("arccos", 1, _unit_interval("arccos", math.acos),
            lambda g, out, a, helpers=HELPERS: (helpers.divide(-g, (1.0 - a * a) ** 0.5),),
            derivatives=("−1/√(1 − {0}^2)",), js="Math.acos({0})", builtin=True)
ARCTAN = Op("arctan", 1, math.atan, lambda g, out, a, helpers=HELPERS: (g / (1.0 + a * a),),
            derivatives=("1/(1 + {0}^2)",), js="Math.atan({0})", builtin=True)

OPS = {op.name: op for op in (ADD, SUB, MUL, DIV, POW, NEG, EXP, LOG, SQRT, ABS, TANH, SIGMOID, RELU,
                              SIN, COS, TAN, ARCSIN, ARCCOS, ARCTAN)}


@functools.lru_cache(maxsize=256)
def power_op(k: float) -> Op:
    """The op ``a ** k`` for a plain number k (named "**2", "**0.5"), made once per k."""

    k_minus_1 = k - 1.0
    if k == 0.0:  # a^0 = 1 is flat, even at a = 0
        def rule(g: Any, out: Any, a: Any, helpers: Helpers = HELPERS) -> tuple[Any]:
            return (g * 0.0,)
    elif k_minus_1 >= 0.0:  # ∂(a^k)/∂a = k·a^(k−1)
        def rule(g: Any, out: Any, a: Any, helpers: Helpers = HELPERS) -> tuple[Any]:
            return (g * k * a ** k_minus_1,)
    else:  # the same, where 0 ** negative is inf (the plain ** would raise)
        def rule(g: Any, out: Any, a: Any, helpers: Helpers = HELPERS) -> tuple[Any]:
            return (g * k * helpers.power(a, k_minus_1),)

    def forward(a: float) -> float:
        return _power_forward(a, k)

    def written(x: float) -> str:  # as the notation writes a number: −0.5 with a true minus sign
        return f"{x:g}" if x >= 0 else f"−{-x:g}"

    def exponent(x: float) -> str:  # x^2, x^(−0.5)
        return written(x) if x >= 0 else f"({written(x)})"

    derivative = "0" if k == 0 else "1" if k == 1 else f"{written(k)}·{{0}}" if k == 2 \
        else f"{written(k)}·{{0}}^{exponent(k - 1)}"
    return Op(f"**{k:g}", 1, forward, rule, symbol=f"^{exponent(k)}", notation=f"{{0}}^{exponent(k)}",
              derivatives=(derivative,), code=f"{{0}} ** {k!r}", precedence=POWER,
              js=f"mgid.pow({{0}}, {js_number(k)})", builtin=True, power=k)


def js_number(x: float) -> str:
    """A float as a JavaScript literal that evaluates to exactly that float.

    Negative numbers, −0.0 included, are parenthesised: in ``(-{0})`` or
    ``{0} ** 2`` a bare ``-0.5`` would be a syntax error or another number.
    """
    if math.isnan(x):
        return "NaN"
    text = "Infinity" if math.isinf(x) else repr(abs(x))
    return f"(-{text})" if math.copysign(1.0, x) < 0 else text


# ----- a user's op ------------------------------------------------------------------------------

def user_op(name: str, forward: Forward, rule: Rule, *, symbol: str | None = None, notation: str | None = None,
            derivatives: Iterable[str] | None = None, code: str | None = None, js: str | None = None) -> Op:
    """The Op of a user's forward and rule (``micrograd_id.engine.define_op``), checked as it is made and run.

    At definition: the templates fit the arity (notation, derivatives, code and
    js may hold {0} .. {arity-1}, derivatives also {out}), and ``code``
    computes what ``forward`` does at a few points. When run: the forward must
    give a real number; the rule one gradient per input, each a real number
    (a graph node only under create_graph). Every error names the op.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"an op needs a non-empty name, got {name!r}")
    for what, function in (("forward", forward), ("rule", rule)):
        if not callable(function):
            raise TypeError(f"{what} must be callable, got {type(function).__name__}")
    arity = _arity(forward, name)
    if derivatives is not None:
        if isinstance(derivatives, str) or not all(isinstance(d, str) for d in derivatives):
            raise TypeError(f"derivatives of op {name!r} must be a list of strings, one per input, "
                            f"got {derivatives!r:.60}")
        derivatives = tuple(derivatives)
        if len(derivatives) != arity:
            raise ValueError(f"op {name!r} takes {arity} input(s) but has {len(derivatives)} derivative(s)")
    if symbol is not None and not isinstance(symbol, str):
        raise TypeError(f"symbol of op {name!r} must be a str, got {type(symbol).__name__}")
    for what, templates, out in (("notation", [notation], False), ("derivatives", derivatives or [], True),
                                 ("code", [code], False), ("js", [js], False)):
        for template in templates:
            if template is not None:
                _check_template(template, what, name, arity, out)
    if code is not None:
        _check_code(code, forward, name, arity)

    def checked_rule(g: Any, out: Any, *inputs: Any) -> tuple[Any, ...]:
        grads = rule(g, out, *inputs)
        if not isinstance(grads, (tuple, list)) or len(grads) != arity:
            raise TypeError(f"the rule of op {name!r} must return a tuple of {arity} gradient(s), "
                            f"one per input; it returned {grads!r:.80}")
        if type(out) is not float and not _is_node(out):  # numpy arrays or the compiler's symbols
            return tuple(grads)
        return tuple(_gradient(d, name, i, on_graph=_is_node(out)) for i, d in enumerate(grads))

    def checked_forward(*inputs: float) -> float:
        return real_float(forward(*inputs), f"the forward value of op {name!r}")

    return Op(name, arity, checked_forward, checked_rule, symbol=symbol, notation=notation,
              derivatives=derivatives, code=code, js=js)


def _gradient(d: Any, name: str, i: int, on_graph: bool) -> Any:
    """A gradient from a user's rule as a float, or a graph node under create_graph; else TypeError."""
    if type(d) is float or (on_graph and _is_node(d)):
        return d
    if _is_node(d):
        raise TypeError(f"the rule of op {name!r} gave a Value as gradient {i} outside create_graph "
                        f"({d!r}): it must be a number there (its inputs are numbers)")
    if getattr(d, "ndim", None) == 0:  # a 0-d numpy array
        d = d[()]
    return real_float(d, f"gradient {i} from the rule of op {name!r}")


def _check_template(template: Any, what: str, name: str, arity: int, out: bool) -> None:
    """A template's fields must be {0} .. {arity-1} (and {out} if allowed); else ValueError naming it."""
    import string

    if not isinstance(template, str):
        raise TypeError(f"{what} of op {name!r} must be a str template, got {type(template).__name__}")
    allowed = {str(i) for i in range(arity)} | ({"out"} if out else set())
    try:
        fields = [(field, spec, conversion) for _, field, spec, conversion in string.Formatter().parse(template)
                  if field is not None]
    except ValueError as error:  # a stray { or }
        raise ValueError(f"{what} of op {name!r} is not a template ({error}): {template!r}; "
                         f"write a literal brace as {{{{ or }}}}") from None
    for field, spec, conversion in fields:
        if field not in allowed or spec or conversion:
            raise ValueError(f"{what} of op {name!r} uses {{{field}}} in {template!r}; it may use only "
                             f"{', '.join('{' + a + '}' for a in sorted(allowed))} (the op takes {arity} input(s))")


# The names a `code` template may use besides its inputs and arithmetic: it runs on floats and on
# numpy arrays alike (compile_graph), so no math module; a forward that needs more leaves code out.
CODE_NAMES: dict[str, Any] = {"abs": abs, "inf": math.inf, "nan": math.nan}
_CHECK_POINTS = (0.3, 0.7, 1.9, -0.6, -1.7, 3.1)


def _check_code(code: str, forward: Forward, name: str, arity: int) -> None:
    """code must be a Python expression that computes forward: tried at a few points in forward's domain."""
    inputs = [f"x{i}" for i in range(arity)]
    try:
        compiled = compile(code.format(*inputs), f"<code of op {name!r}>", "eval")
    except SyntaxError as error:
        raise ValueError(f"code of op {name!r} is not a Python expression: {code!r} ({error.msg})") from None
    for k in range(len(_CHECK_POINTS)):
        point = [_CHECK_POINTS[(k + i) % len(_CHECK_POINTS)] for i in range(arity)]
        try:
            expected = forward(*point)
        except Exception:  # noqa: BLE001 - outside forward's domain: try another point
            continue
        if not isinstance(expected, (int, float)):  # not a real number: the forward's own check reports it
            continue
        try:
            got = eval(compiled, {"__builtins__": {}, **CODE_NAMES}, dict(zip(inputs, point)))  # noqa: S307
        except Exception as error:  # noqa: BLE001 - the template cannot run: say so at definition
            raise ValueError(f"code of op {name!r} fails at {point}: {type(error).__name__}: {error}") from None
        same = isinstance(got, (int, float)) and (
            math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(got) and math.isnan(expected)))
        if not same:
            raise ValueError(f"code of op {name!r} gives {got!r} at {point} where its forward gives {expected!r}: "
                             f"{code!r} must compute the forward")


def _arity(forward: Callable[..., Any], name: str) -> int:
    import inspect  # only here: importing it costs more than the rest of the engine

    try:
        parameters = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(f"cannot tell how many inputs forward of op {name!r} takes") from None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not positional or any(p.kind == p.VAR_POSITIONAL for p in parameters):
        raise TypeError(f"forward of op {name!r} must take a fixed number (>= 1) of inputs")
    return len(positional)


# The JavaScript side of the table: the Helpers (same names, same numbers as on floats) and the
# forward values the op's `js` templates call where Math's differ from the engine's. Where the
# engine's forward raises (log of a negative, a negative base to a fraction, division by zero),
# the page gets NaN; overflow is Infinity, as in IEEE arithmetic.
JS_HELPERS = """\
const mgid = (() => {
  // a ** b with Python's float rules: 1 ** nan = 1, (-1) ** inf = 1 (JavaScript says NaN)
  const ieeePow = (a, b) => (a === 1 || b === 0) ? 1
    : (a === -1 && (b === Infinity || b === -Infinity)) ? 1 : a ** b;
  return Object.freeze({
    // the rules' helpers (micrograd_id.ops.Helpers)
    sign: (x) => (x > 0) - (x < 0),
    step: (x) => (x > 0 ? 1 : 0),
    divide: (x, y) => x / y,
    power: (a, k) => (a === 0 && k < 0 ? Infinity : ieeePow(a, k)),
    log: (x) => Math.log(x),
    sin: (x) => Math.sin(x),
    cos: (x) => Math.cos(x),
    // forward values
    quotient: (a, b) => (b === 0 ? NaN : a / b),
    pow: (a, b) => ((a === 0 && b < 0 && b > -Infinity) || (a < 0 && Number.isFinite(b) && !Number.isInteger(b))
      ? NaN : ieeePow(a, b)),
    ln: (x) => (x > 0 ? Math.log(x) : NaN),
    sigmoid: (x) => {
      if (x >= 0) return 1 / (1 + Math.exp(-x));  // two branches so exp never overflows
      const e = Math.exp(x);
      return e / (1 + e);
    },
    relu: (x) => (x <= 0 ? 0 : x),
  });
})();
"""
