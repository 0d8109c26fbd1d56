"""Every op in the engine's table reaches every consumer: nothing may lack an op.

The table (``engine.OPS``, plus ``power_op(k)`` and a user's ``define_op``)
is the one place an op is defined; backward, grad, jvp, explain and draw_dot
all read it. This walks every op through all of them and fails on the first
consumer that lacks one, and checks that a user's op without written
derivatives gets the generic notation ∂out/∂input, never a made-up formula.
"""

import html
import math
import operator

import numpy as np
import pytest

from micrograd_id import Value, define_op, grad, jvp, ops
from micrograd_id.engine import OPS, Op, power_op
from micrograd_id.explain import explain
from micrograd_id.viz import draw_dot

softplus = define_op("softplus", forward=lambda a: math.log1p(math.exp(a)),
                     rule=lambda g, out, a: (g * (1.0 - np.exp(-out)),))

CALL = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
        "neg": operator.neg, "abs": abs}
EXTRA = {"**2": lambda v: v ** 2, "**0.5": lambda v: v ** 0.5, "**-1": lambda v: v ** -1, "softplus": softplus}


def every_op():
    """The names of the table's ops, three powers and a user op (their Ops are looked up in the test)."""
    return list(OPS) + list(EXTRA)


def op_and_call(name):
    """(the Op, a function applying it to Values); looked up at run time, not collection time."""
    if name in EXTRA:
        return (softplus.op if name == "softplus" else power_op(float(name[2:]))), EXTRA[name]
    return OPS[name], CALL.get(name) or (lambda v: getattr(v, name)())


CASES = every_op()
NAMES = ["a", "b"]
POINT = [0.3, 0.7]  # inside every op's domain, on no kink


@pytest.mark.parametrize("name", CASES)
def test_an_op_reaches_every_consumer(name):
    op, apply = op_and_call(name)
    assert isinstance(op, Op) and op.arity in (1, 2)
    leaves = [Value(x, label=n) for x, n in zip(POINT[:op.arity], NAMES)]
    out = apply(*leaves)
    out.label = "y"
    # its own node: the table's op, its forward value
    assert out.operation is op and out.op == op.name and out.children == tuple(leaves)
    assert out.data == op.forward(*POINT[:op.arity])
    # the rule: one g·∂out/∂input per input, linear in g
    local = op.rule(1.0, out.data, *POINT[:op.arity])
    assert len(local) == op.arity and all(math.isfinite(d) for d in local)
    assert op.rule(-2.0, out.data, *POINT[:op.arity]) == pytest.approx([-2.0 * d for d in local], rel=1e-15)
    # notation: a symbol, an expression over every input, a derivative per input
    assert isinstance(op.symbol, str) and op.symbol
    expression = op.notation.format(*NAMES[:op.arity])
    assert all(n in expression for n in NAMES[:op.arity])
    assert len(op.derivatives) == op.arity
    texts = [d.format(*NAMES[:op.arity], out="y") for d in op.derivatives]
    # backward, grad (first and second order), jvp
    out.backward()
    assert [leaf.grad for leaf in leaves] == pytest.approx(local, rel=1e-15)
    assert grad(out, leaves) == pytest.approx(local, rel=1e-15)
    firsts = grad(out, leaves, create_graph=True)
    assert [d.data for d in firsts] == pytest.approx(local, rel=1e-15)
    for d in firsts:
        assert all(math.isfinite(x) for x in grad(d, leaves))
    tangents = [1.5, -0.5][:op.arity]
    assert jvp(out, leaves, tangents) == pytest.approx(sum(d * t for d, t in zip(local, tangents)), rel=1e-14)
    # explain writes each input's local-derivative formula; draw_dot draws the op's symbol
    for leaf, text in zip(leaves, texts):
        assert text in explain(out, wrt=leaf), (op.name, text)
    assert html.escape(op.symbol, quote=False) in draw_dot(out).source


def test_the_walk_covers_the_whole_table():
    assert set(CASES) >= set(OPS) and all(op_and_call(name)[0].name == name for name in CASES)


def test_an_unknown_user_op_gets_the_generic_notation_never_a_formula():
    mystery = define_op("mystery", forward=lambda a, b: a * math.exp(b), rule=lambda g, out, a, b: (g * out / a, g * out))
    a, b = Value(0.3, label="a"), Value(0.7, label="b")
    y = mystery(a, b)
    y.label = "y"
    assert y.operation.derivatives == ("∂{out}/∂{0}", "∂{out}/∂{1}")
    assert y.operation.notation == "mystery({0}, {1})" and y.operation.symbol == "mystery"
    text = explain(y, wrt=b)
    assert "= ∂y/∂b\n" in text  # the formula line is the generic symbol itself
    assert f"= {y.data:.6g}" in text  # and the number comes from the user's rule
    assert "mystery" in draw_dot(y).source


def test_a_user_op_with_written_derivatives_prints_them():
    cube = define_op("cube", forward=lambda a: a ** 3, rule=lambda g, out, a: (g * 3 * a * a,),
                     symbol="³", notation="{0}³", derivatives=("3·{0}^2",))
    a = Value(0.5, label="a")
    y = cube(a)
    y.label = "y"
    assert "3·a^2" in explain(y, wrt=a)
    assert "³" in draw_dot(y).source


def test_define_op_records_everything_it_is_given():
    """Made inside the test, so the Op is built at run time (mutation testing sees it)."""
    forward = lambda a, b: a * math.exp(b)  # noqa: E731
    scaled = define_op("scaled", forward=forward, rule=lambda g, out, a, b: (g * out / a, g * out),
                       symbol="⊛", notation="{0}⊛{1}", derivatives=("{out}/{0}", "{out}"),
                       code="{0} * 2.718281828459045 ** {1}")
    op = scaled.op
    assert (op.name, op.arity, op.symbol, op.notation, op.derivatives, op.code) == (
        "scaled", 2, "⊛", "{0}⊛{1}", ("{out}/{0}", "{out}"), "{0} * 2.718281828459045 ** {1}")
    assert op.forward(0.5, 1.0) == forward(0.5, 1.0) and op.rule(1.0, 2.0, 0.5, 1.0) == (4.0, 2.0)
    y = scaled(Value(0.5), 1.0)
    assert y.op == "scaled" and y.operation is op and repr(op) == "Op('scaled')"
    plain = define_op("plain", forward=lambda a: 2.0 * a, rule=lambda g, out, a: (2.0 * g,))
    assert (plain.op.symbol, plain.op.notation, plain.op.derivatives, plain.op.code) == (
        "plain", "plain({0})", ("∂{out}/∂{0}",), None)


@pytest.mark.parametrize("k, name, symbol, notation, derivative", [
    (2.0, "**2", "^2", "{0}^2", "2·{0}"), (1.0, "**1", "^1", "{0}^1", "1"), (0.0, "**0", "^0", "{0}^0", "0"),
    (3.0, "**3", "^3", "{0}^3", "3·{0}^2"), (0.25, "**0.25", "^0.25", "{0}^0.25", "0.25·{0}^(−0.75)"),
    (-1.0, "**-1", "^(−1)", "{0}^(−1)", "−1·{0}^(−2)"),
])
def test_power_op_names_and_writes_each_exponent(k, name, symbol, notation, derivative):
    op = power_op(k)
    assert (op.name, op.arity, op.symbol, op.notation, op.derivatives, op.code) == (
        name, 1, symbol, notation, (derivative,), f"{{0}} ** {k!r}")
    assert op is power_op(k)


@pytest.mark.parametrize("name, doc", [
    ("sin", "sin(self), an op recorded in the graph: ∂/∂x = cos(x)"),
    ("exp", "exp(self), an op recorded in the graph: ∂/∂x = out"),
    ("__neg__", "neg(self), an op recorded in the graph: ∂/∂x = −1"),
])
def test_the_value_methods_are_named_and_documented_from_the_table(name, doc):
    method = getattr(Value, name)
    assert method.__doc__ == doc
    assert method.__name__ == name


# ----- the table's explicit flags and the helper table --------------------------------------

def test_each_op_says_whether_it_is_built_in_and_which_power_it_is():
    assert all(op.builtin and op.power is None and op.js for op in OPS.values())
    for k in (2.0, 0.5, -1.0, 0.3 / 0.1):  # 0.3/0.1 prints as 3 but is not 3: the number, not the name, says it
        op = power_op(k)
        assert op.builtin and op.power == k and op.precedence == ops.POWER and "{0}" in op.js
    assert power_op(0.3 / 0.1).power != 3.0
    assert not softplus.op.builtin and softplus.op.power is None and softplus.op.js is None
    twice = define_op("twice", forward=lambda a: 2 * a, rule=lambda g, out, a: (2 * g,), js="(2 * {0})")
    assert twice.op.js == "(2 * {0})" and twice.op.builtin is False and twice.op.power is None
    assert twice.op.precedence == ops.ATOM and twice.op.notation == "twice({0})"  # no code: called, an atom
    pair = define_op("pair", forward=lambda a, b: a - b, rule=lambda g, out, a, b: (g, -g))
    assert pair.op.notation == "pair({0}, {1})"


@pytest.mark.parametrize("k, js", [(-2.75, "mgid.pow({0}, (-2.75))"), (math.inf, "mgid.pow({0}, Infinity)"),
                                   (-math.inf, "mgid.pow({0}, (-Infinity))"), (7.25, "mgid.pow({0}, 7.25)"),
                                   (0.5, "mgid.pow({0}, 0.5)"), (0.0, "mgid.pow({0}, 0.0)")])
def test_power_op_writes_its_exponent_as_a_javascript_literal(k, js):
    assert power_op(k).js == js
    assert power_op(math.nan).js == "mgid.pow({0}, NaN)"


@pytest.mark.parametrize("name, precedence", [
    ("+", 1), ("-", 1), ("*", 2), ("/", 2), ("neg", 3), ("**", 4), ("abs", 5), ("exp", 5), ("relu", 5)])
def test_precedence_is_how_tightly_the_python_template_binds(name, precedence):
    assert OPS[name].precedence == precedence
    tight = define_op("tight", forward=lambda a: a + 1.0, rule=lambda g, out, a: (g,), code="{0} + 1.0")
    assert tight.op.precedence == 0 and softplus.op.precedence == 5


def test_every_builtin_rule_takes_the_helper_table_as_a_keyword():
    """A table whose every helper records its call: the rules that need a helper reach it only through it."""
    calls = []

    def recording(name):
        return lambda *args: calls.append(name) or getattr(ops.HELPERS, name)(*args)

    table = ops.Helpers(**{name: recording(name) for name in ops.Helpers._fields})
    expected = {"abs": ["sign"], "relu": ["step"], "sqrt": ["divide"], "arcsin": ["divide"], "arccos": ["divide"],
                "sin": ["cos"], "cos": ["sin"], "**": ["power", "log"]}
    for name, op in OPS.items():
        calls.clear()
        point = POINT[:op.arity]
        assert op.rule(1.0, op.forward(*point), *point, helpers=table) == op.rule(1.0, op.forward(*point), *point)
        assert calls == expected.get(name, []), name
    calls.clear()
    assert power_op(-1.0).rule(1.0, 2.0, 0.5, helpers=table) == (-4.0,) and calls == ["power"]


@pytest.mark.parametrize("x, sign, step", [(2.5, 1.0, 1.0), (-0.5, -1.0, 0.0), (0.0, 0.0, 0.0), (-0.0, 0.0, 0.0),
                                           (math.nan, 0.0, 0.0), (math.inf, 1.0, 1.0)])
def test_sign_and_step_give_float_constants_on_floats_and_values(x, sign, step):
    for given in (x, Value(x)):
        assert type(ops.HELPERS.sign(given)) is float and ops.HELPERS.sign(given) == sign
        assert type(ops.HELPERS.step(given)) is float and ops.HELPERS.step(given) == step


@pytest.mark.parametrize("helper, args, expected", [
    ("divide", (1.0, 0.0), math.inf), ("divide", (-1.0, 0.0), -math.inf), ("divide", (1.0, -0.0), -math.inf),
    ("divide", (0.0, 0.0), math.nan), ("divide", (math.nan, 0.0), math.nan), ("divide", (3.0, 2.0), 1.5),
    ("power", (0.0, -1.0), math.inf), ("power", (-0.0, -0.5), math.inf), ("power", (0.0, 0.0), 1.0),
    ("power", (2.0, -1.0), 0.5), ("log", (0.0,), -math.inf), ("log", (-0.0,), -math.inf), ("log", (-1.0,), math.nan),
    ("log", (math.e,), 1.0), ("sin", (0.5,), math.sin(0.5)), ("cos", (0.5,), math.cos(0.5)),
])
def test_the_ieee_helpers_give_inf_and_nan_at_singular_points_instead_of_raising(helper, args, expected):
    function = getattr(ops.HELPERS, helper)
    got = function(*args)
    assert type(got) is float and (math.isnan(got) if math.isnan(expected) else got == expected)
    on_values = function(*[Value(a) for a in args])  # create_graph: a Value, constant where singular
    assert isinstance(on_values, Value)
    assert math.isnan(on_values.data) if math.isnan(expected) else on_values.data == pytest.approx(expected, rel=1e-15)
    if not math.isfinite(expected):
        assert on_values.operation is None  # a constant: nothing to differentiate further
    for position in range(len(args)):  # a Value in any position makes the result a Value
        mixed = function(*[Value(a) if i == position else a for i, a in enumerate(args)])
        assert isinstance(mixed, Value)
    if helper in ("divide", "power", "log"):  # numpy scalars count as floats: inf or nan, no error, no warning
        on_numpy = function(*[np.float64(a) for a in args])
        assert math.isnan(on_numpy) if math.isnan(expected) else on_numpy == got
        assert type(on_numpy) is float or math.isfinite(expected)


def test_the_helpers_leave_arrays_and_other_objects_to_their_own_methods():
    class Symbolic:
        def __getattr__(self, name):
            return lambda: name

    for name in ("sign", "step", "log", "sin", "cos"):
        assert getattr(ops.HELPERS, name)(Symbolic()) == name
    x = np.array([0.0, -1.0, 4.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.array_equal(ops.HELPERS.divide(np.array([1.0, 0.0, 2.0]), x), np.array([np.inf, -0.0, 0.5]))
        assert np.array_equal(ops.HELPERS.power(x, 2.0), x ** 2)
