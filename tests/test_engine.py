"""The engine: every op's value and gradient, backward's bookkeeping, no_grad, bad input.

Each op's gradient is checked twice, by independent means: against its
closed-form derivative written out by hand here, and against a central
difference of the engine's own forward pass. Property tests then do the same
for random expressions, and check linearity and heavy reuse of one node.
"""

import fractions
import math
import re
import sys

import numpy as np
import pytest
from conftest import FUZZ, all_nodes, same_float
from expression_trees import OutOfDomain, evaluate, in_domain, inputs, show, trees
from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from micrograd_id import AnomalyError, Value, define_op, detect_anomaly, grad, jvp, no_grad
from micrograd_id.engine import Op

PROPERTY = settings(deadline=None)


def central_difference(f, xs, i, h=None):
    """(f(x + h e_i) - f(x - h e_i)) / 2h, with f run by the engine without a graph."""
    h = h if h is not None else 1e-6 * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    with no_grad():
        return (f(*map(Value, up)).data - f(*map(Value, down)).data) / (2 * h)


def sech2(x):
    return (1.0 / math.cosh(x)) ** 2


# ----- every op: value and gradient --------------------------------------------

ANYWHERE = lambda x: True  # noqa: E731
POSITIVE = lambda x: x > 0  # noqa: E731

# name: (op on a Value, closed-form value, closed-form derivative, domain)
UNARY_OPS = {
    "-v": (lambda v: -v, lambda x: -x, lambda x: -1.0, ANYWHERE),
    "v.exp()": (lambda v: v.exp(), math.exp, math.exp, ANYWHERE),
    "v.log()": (lambda v: v.log(), math.log, lambda x: 1.0 / x, POSITIVE),
    "v.tanh()": (lambda v: v.tanh(), math.tanh, sech2, ANYWHERE),
    "v.sigmoid()": (lambda v: v.sigmoid(), lambda x: 1.0 / (1.0 + math.exp(-x)),
                    lambda x: sech2(x / 2.0) / 4.0, ANYWHERE),
    "v.relu()": (lambda v: v.relu(), lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0, ANYWHERE),
    "v**2": (lambda v: v ** 2, lambda x: x * x, lambda x: 2.0 * x, ANYWHERE),
    "v**3": (lambda v: v ** 3, lambda x: x * x * x, lambda x: 3.0 * x * x, ANYWHERE),
    "v**-1": (lambda v: v ** -1, lambda x: 1.0 / x, lambda x: -1.0 / (x * x), ANYWHERE),
    "v**-2": (lambda v: v ** -2, lambda x: 1.0 / (x * x), lambda x: -2.0 / (x * x * x), ANYWHERE),
    "v**0.5": (lambda v: v ** 0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x), POSITIVE),
    "v**1.5": (lambda v: v ** 1.5, lambda x: x * math.sqrt(x), lambda x: 1.5 * math.sqrt(x), POSITIVE),
    # Numbers mixed in, on either side (the reflected operators).
    "v+3": (lambda v: v + 3, lambda x: x + 3.0, lambda x: 1.0, ANYWHERE),
    "3+v": (lambda v: 3 + v, lambda x: 3.0 + x, lambda x: 1.0, ANYWHERE),
    "v-3": (lambda v: v - 3, lambda x: x - 3.0, lambda x: 1.0, ANYWHERE),
    "1-v": (lambda v: 1 - v, lambda x: 1.0 - x, lambda x: -1.0, ANYWHERE),
    "v*2": (lambda v: v * 2, lambda x: 2.0 * x, lambda x: 2.0, ANYWHERE),
    "2*v": (lambda v: 2 * v, lambda x: 2.0 * x, lambda x: 2.0, ANYWHERE),
    "v/4": (lambda v: v / 4, lambda x: x / 4.0, lambda x: 0.25, ANYWHERE),
    "1/v": (lambda v: 1 / v, lambda x: 1.0 / x, lambda x: -1.0 / (x * x), ANYWHERE),
    "2**v": (lambda v: 2 ** v, lambda x: 2.0 ** x, lambda x: math.log(2.0) * 2.0 ** x, ANYWHERE),
    "0.5**v": (lambda v: 0.5 ** v, lambda x: 0.5 ** x, lambda x: math.log(0.5) * 0.5 ** x, ANYWHERE),
}
# Negative and large inputs included; none sits on a kink (relu at 0 is tested apart).
POINTS = [-500.0, -30.0, -2.5, -1.0, -0.3, 0.2, 1.0, 3.7, 40.0, 500.0]
UNARY_CASES = [(name, x) for name, spec in UNARY_OPS.items() for x in POINTS if spec[3](x)]

# name: (op on two Values, closed-form value, closed-form partial derivatives)
BINARY_OPS = {
    "a+b": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "a-b": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "a*b": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a)),
    "a/b": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1.0 / b, -a / (b * b))),
    "a**b": (lambda a, b: a ** b, lambda a, b: a ** b,
             lambda a, b: (b * a ** (b - 1.0), a ** b * math.log(a))),
}
PAIRS = [(-3.0, 2.0), (0.7, -1.5), (2.5, 0.4), (-40.0, -7.0), (1000.0, 3.0), (0.05, 25.0)]
BINARY_CASES = [(name, a, b) for name in BINARY_OPS for a, b in PAIRS if name != "a**b" or a > 0]


def assert_gradient(got, closed_form, numerical):
    """Autodiff equals the closed form to rounding, and the central difference to its accuracy.

    Below 1e-15 a gradient counts as 0: 1 - tanh(x)**2 cannot resolve less.
    """
    assert got == pytest.approx(closed_form, rel=1e-12, abs=1e-15)
    assert got == pytest.approx(numerical, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_unary_op_value_and_gradient(name, x):
    op, value, derivative, _ = UNARY_OPS[name]
    v = Value(x)
    out = op(v)
    assert out.data == pytest.approx(value(x), rel=1e-13, abs=0.0)
    out.backward()
    assert_gradient(v.grad, derivative(x), central_difference(op, [x], 0))


@pytest.mark.parametrize("name, a, b", BINARY_CASES)
def test_binary_op_value_and_gradients(name, a, b):
    op, value, partials = BINARY_OPS[name]
    va, vb = Value(a), Value(b)
    out = op(va, vb)
    assert out.data == pytest.approx(value(a, b), rel=1e-13, abs=0.0)
    out.backward()
    da, db = partials(a, b)
    assert_gradient(va.grad, da, central_difference(op, [a, b], 0))
    assert_gradient(vb.grad, db, central_difference(op, [a, b], 1))


@pytest.mark.parametrize("x, slope", [(0.0, 0.0), (-0.0, 0.0), (1e-300, 1.0), (-1e-300, 0.0)])
def test_relu_slope_at_and_around_its_kink(x, slope):
    """At exactly 0 the slope is 0, the convention PyTorch uses too."""
    v = Value(x)
    v.relu().backward()
    assert v.grad == slope


@pytest.mark.parametrize("x", [1000.0, -1000.0, 1e308, -1e308])
def test_sigmoid_and_tanh_are_finite_for_huge_inputs(x):
    for name, limit in (("sigmoid", 1.0 if x > 0 else 0.0), ("tanh", math.copysign(1.0, x))):
        v = Value(x)
        out = getattr(v, name)()
        out.backward()
        assert out.data == limit, name
        assert v.grad == 0.0, name  # the true slope is below 1e-300: 0 in floats


def test_mixing_in_numbers_of_any_real_type():
    v = Value(3.0)
    for number in (2, 2.0, np.float64(2.0), np.int32(2), np.float32(2.0)):
        for out, want in ((number * v, 6.0), (v * number, 6.0), (number - v, -1.0), (number / v, 2.0 / 3.0),
                          (number ** v, 8.0), (v ** number, 9.0)):
            assert isinstance(out, Value) and type(out.data) is float
            assert out.data == pytest.approx(want, rel=1e-15)


# ----- what a node records, and how it prints -----------------------------------

def test_leaves_and_op_nodes_record_their_history():
    a, b = Value(2.0, label="a"), Value(-3.0)
    assert (a.data, a.grad, a.label, a.op, a.children) == (2.0, 0.0, "a", "", ())
    assert b.label == ""
    for out, op in ((a + b, "+"), (a - b, "-"), (a * b, "*"), (a / b, "/"), (a ** b, "**")):
        assert out.op == op
        assert out.children == (a, b)
    for out in (-a, a.exp(), a.log(), a.tanh(), a.sigmoid(), a.relu(), a ** 2):
        assert out.op and out.children == (a,)
    reflected = 2 * a
    assert reflected.op == "*" and reflected.children[1] is a and reflected.children[0].data == 2.0


def test_int_data_is_stored_as_float():
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0


def test_repr_shows_data_grad_and_label_rounded_to_four_digits():
    y_hat = Value(0.574442516811659, label="y_hat")
    y_hat.grad = -0.10449
    assert repr(y_hat) == "Value(data=0.5744, grad=-0.1045, label='y_hat')"
    assert repr(Value(2.0)) == "Value(data=2, grad=0)"  # no label: none shown
    assert repr(Value(-1234567.0, label="it's")) == "Value(data=-1.235e+06, grad=0, label=\"it's\")"


# ----- backward ---------------------------------------------------------------------

def test_a_node_used_twice_accumulates_both_contributions():
    x = Value(3.0)
    y = x * x  # dy/dx = 2x
    y.backward()
    assert x.grad == 6.0
    z = Value(2.0)
    s = z + z + z
    s.backward()
    assert z.grad == 3.0


def test_calling_backward_twice_accumulates_like_pytorch():
    x = Value(1.5)
    y = x * x
    z = y + x  # dz/dx = 2x + 1 = 4, dz/dy = 1
    z.backward()
    assert (x.grad, y.grad, z.grad) == (4.0, 1.0, 1.0)
    z.backward()
    assert (x.grad, y.grad, z.grad) == (8.0, 2.0, 2.0)
    x.grad = y.grad = z.grad = 0.0  # zeroing first gives a fresh gradient
    z.backward()
    assert (x.grad, y.grad, z.grad) == (4.0, 1.0, 1.0)


def test_diamond_graph_sums_both_paths():
    a = Value(2.0)
    b = a * 3.0  # path 1
    c = a.exp()  # path 2
    d = b * c  # d = 3a e^a, dd/da = 3 e^a + 3a e^a
    d.backward()
    assert a.grad == pytest.approx(3 * math.exp(2.0) * (1 + 2.0), rel=1e-15)
    assert (b.grad, c.grad) == (c.data, b.data)


def test_stacked_diamonds_visit_each_node_once():
    """100 diamonds in a row have 2**100 paths; a path-by-path backward would never end."""
    x = Value(1.0)
    y = x
    for _ in range(100):
        y = y + y
    y.backward()
    assert x.grad == 2.0 ** 100


def test_backward_from_an_inner_node_reaches_only_its_inputs():
    a, b = Value(2.0), Value(5.0)
    inner = a * a
    outer = inner * b
    inner.backward()
    assert (a.grad, b.grad, outer.grad) == (4.0, 0.0, 0.0)


def test_million_node_chain_backward_at_the_default_recursion_limit():
    """Graph ordering is iterative: depth costs memory, never Python stack."""
    limit = sys.getrecursionlimit()
    x0, step = Value(0.5), Value(1.0)
    x = x0
    for _ in range(1_000_000):
        x = x + step
    x.backward()
    assert sys.getrecursionlimit() == limit
    assert x.data == 1_000_000.5
    assert x0.grad == 1.0
    assert step.grad == 1_000_000.0  # one exact contribution per use
    del x  # freeing the chain must not recurse either


# ----- grad() -------------------------------------------------------------------------

def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    w, x, unused = Value(0.3), Value(2.0), Value(7.0)
    out = (w * x).sigmoid()
    dw, dx, du = grad(out, [w, x, unused])
    s = out.data
    assert dw == pytest.approx(s * (1 - s) * 2.0, rel=1e-15)
    assert dx == pytest.approx(s * (1 - s) * 0.3, rel=1e-15)
    assert du == 0.0
    assert w.grad == x.grad == out.grad == 0.0


def test_grad_with_create_graph_gives_higher_derivatives():
    x = Value(1.7)
    (d1,) = grad(x ** 3, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    assert (d1.data, d2.data, d3) == pytest.approx((3 * 1.7 ** 2, 6 * 1.7, 6.0), rel=1e-15)
    z = Value(0.4)
    (ds,) = grad(z.sigmoid(), [z], create_graph=True)
    (dds,) = grad(ds, [z])
    s = 1 / (1 + math.exp(-0.4))
    assert dds == pytest.approx(s * (1 - s) * (1 - 2 * s), rel=1e-13)


def test_grad_refuses_non_values():
    with pytest.raises(TypeError, match="needs a Value output, got float"):
        grad(1.0, [Value(1.0)])
    with pytest.raises(TypeError, match="inputs must be Values, got float"):
        grad(Value(1.0), [1.0])


# ----- bad input: clear errors, never a wrong number ------------------------------------

@pytest.mark.parametrize("bad, named", [
    ("abc", "str 'abc'"), (None, "NoneType None"), (1j, r"complex 1j"), ([1], r"list \[1\]"),
    (True, "bool True"), (Value(1.0), "a Value"),
])
def test_value_refuses_non_real_data_naming_it(bad, named):
    with pytest.raises(TypeError, match=f"Value data must be a real number, got {named}"):
        Value(bad)


def test_ops_refuse_non_real_operands():
    with pytest.raises(TypeError, match="got str 'abc'"):
        Value(1.0) + "abc"
    with pytest.raises(TypeError, match="got NoneType"):
        None * Value(1.0)
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, label=3)


@pytest.mark.parametrize("x, shown", [(-1.0, "-1"), (0.0, "0"), (-1e-300, "-1e-300")])
def test_log_of_a_non_positive_value_is_a_math_domain_error(x, shown):
    with pytest.raises(ValueError, match=rf"log\({shown}\): math domain error"):
        Value(x).log()


@pytest.mark.parametrize("x", [710.0, 1000.0])
def test_exp_overflow_raises_with_a_message(x):
    with pytest.raises(OverflowError, match=rf"exp\({x:g}\) overflows a float"):
        Value(x).exp()


def test_other_math_errors_name_the_problem():
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Value(1.0) / 0
    with pytest.raises(ValueError, match=r"-8 \*\* 0.333333 is not real"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ZeroDivisionError, match="zero cannot be raised to a negative power"):
        Value(0.0) ** -1
    with pytest.raises(OverflowError, match=r"10 \*\* 400 overflows"):
        Value(10.0) ** 400
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(10 ** 400)


def test_relu_passes_nan_on_instead_of_hiding_it():
    assert math.isnan(Value(math.nan).relu().data)
    assert Value(-0.0).relu().data == 0.0 and Value(-1e-300).relu().data == 0.0


@pytest.mark.parametrize("base, exponent, d_base, d_exponent", [
    (-2.0, 2.0, -4.0, math.nan),      # (-2)**b exists only at integer b: no d/db
    (0.0, 0.5, math.inf, 0.0),        # √a is vertical at 0 and flat in b there
    (0.0, 2.0, 0.0, 0.0),
    (0.0, 0.0, 0.0, 0.0),             # a**0 is flat in a, even at a = 0
    (2.0, 0.0, 0.0, math.log(2.0)),
])
def test_a_value_exponent_at_its_domain_edges_follows_pytorch(base, exponent, d_base, d_exponent):
    """Where a derivative of a**b does not exist it is inf or nan, as in PyTorch; detect_anomaly names it."""
    a, b = Value(base, label="a"), Value(exponent, label="b")
    out = a ** b
    assert out.data == base ** exponent
    out.backward()
    assert same_float(a.grad, d_base) and same_float(b.grad, d_exponent)
    if not (math.isfinite(d_base) and math.isfinite(d_exponent)):
        with detect_anomaly(), pytest.raises(AnomalyError, match=r"op '\*\*'"):
            (Value(base) ** Value(exponent)).backward()
    assert (Value(-2.0) ** 2).data == 4.0  # a plain number exponent is the way to square a negative


# ----- properties over random expressions ----------------------------------------------

def built(tree, leaves, operands=None):
    """The tree's output over these leaves; reject the example if it leaves the checked domain.

    operands, a list, collects every Value an op was applied to.
    """
    def check(op, *values):
        in_domain(op, *values)
        if operands is not None:
            operands.extend(values)

    try:
        return evaluate(tree, leaves, check)
    except OutOfDomain:
        reject()


@PROPERTY
@given(trees(3), inputs(3))
def test_random_expressions_match_central_differences(tree, xs):
    leaves = [Value(x) for x in xs]
    built(tree, leaves).backward()
    for i, leaf in enumerate(leaves):
        try:
            numerical = central_difference(lambda *v: evaluate(tree, v, in_domain), xs, i)
        except OutOfDomain:
            reject()
        assert leaf.grad == pytest.approx(numerical, rel=1e-5, abs=1e-6), (show(tree), i)


@PROPERTY
@given(trees(2), trees(2), inputs(2), st.floats(-3, 3), st.floats(-3, 3))
def test_gradients_are_linear(f_tree, g_tree, xs, a, b):
    leaves, nodes = [Value(x) for x in xs], []
    f = built(f_tree, leaves, nodes)
    g = built(g_tree, leaves, nodes)
    h = a * f + b * g
    combined = grad(h, leaves)
    # Paths can cancel (d(x0 - x0*x1)/dx0 = 1 - x1): rounding is relative to the largest
    # contribution, a node's gradient times a local derivative, not to the sum.
    h.backward()
    nodes = [n for n in nodes + [f, g] if isinstance(n, Value)]
    scale = max(abs(n.grad) for n in nodes) * max(100.0, *(abs(n.data) for n in nodes))
    for got, df, dg in zip(combined, grad(f, leaves), grad(g, leaves)):
        assert got == pytest.approx(a * df + b * dg, rel=1e-12, abs=1e-13 * scale + 1e-300)


@PROPERTY
@given(st.integers(1, 200), st.floats(-2, 2))
def test_a_node_reused_many_times(n, x):
    v = Value(x)
    y = v.tanh()  # an inner node, reused n times
    product = y
    total = v
    for _ in range(n - 1):
        product = product * y
        total = total + v
    (dp, dt) = grad(product, [v])[0], grad(total, [v])[0]
    t = math.tanh(x)
    assert dp == pytest.approx(n * t ** (n - 1) * (1 - t * t), rel=1e-12, abs=1e-300)
    assert dt == n  # sums of 1.0: exact


# ----- the op table ---------------------------------------------------------------

@pytest.mark.parametrize("x, y", [(1.5, -0.25), (-3.0, 2.0), (0.0, -0.0), (math.nan, 1.0), (-1e-300, 7.0)])
def test_the_methods_that_write_their_forward_out_agree_with_the_op_table(x, y):
    """+, * and relu inline their forward for speed: they must compute exactly what their Op does."""
    from micrograd_id.engine import OPS

    a, b = Value(x), Value(y)
    for out, expected in [(a + b, OPS["+"].forward(x, y)), (a * b, OPS["*"].forward(x, y)),
                          (a.relu(), OPS["relu"].forward(x)), (a ** 2, (a ** 2).operation.forward(x))]:
        assert same_float(out.data, expected) and str(out.data) == str(expected)


# ----- every op's rule against central differences, with the check users get -------------

@pytest.mark.parametrize("f, args", [
    (lambda a, b: a * b + a / b - b ** 3, [0.7, -1.3]),
    (lambda a: a.exp().log() + a.tanh() * a.sigmoid(), [0.4]),
    (lambda a: (a * a).tanh() - (2.0 - a).relu() + 1.0 / (1.0 + (-a).exp()), [0.6]),
    (lambda a, b: a ** b + (a * b).relu() - b ** 0.5, [1.5, 0.8]),
])
def test_op_rules_pass_check_gradients(f, args):
    from micrograd_id.gradcheck import check_gradients

    check_gradients(f, args)


def test_a_value_shows_as_a_small_table_in_jupyter_with_its_label_escaped():
    v = Value(0.25, label="<b>w</b>")
    out = (v * 2.0)
    html = v._repr_html_()
    assert "&lt;b&gt;w&lt;/b&gt;" in html and "<b>" not in html and "leaf" in html and "0.25" in html
    assert "* of 2" in out._repr_html_()


@pytest.mark.parametrize("x, truth", [(0.0, False), (-0.0, False), (1e-300, True), (-2.5, True), (math.inf, True),
                                      (math.nan, True)])
def test_a_value_is_true_when_its_data_is_nonzero_as_a_one_element_tensor_is(x, truth):
    v = Value(x)
    assert bool(v) is truth and bool(v * 1.0) is truth  # a leaf and an op's output alike
    loss = Value(0.5) - 0.5
    assert not loss and ("stop" if not loss else "go") == "stop"  # `if loss:` reads the number
    loss.backward()  # a zero node is walked like any other: truthiness plays no part in the graph
    assert loss.children[0].grad == 1.0


# ----- what mutation testing found untested (make mutation) -------------------------------


@pytest.mark.parametrize("a, b", [(1.0, 2.0), (2.0, 2.0), (3.0, 2.0)])
def test_ordering_compares_data_with_values_and_numbers(a, b):
    va, vb = Value(a), Value(b)
    for other in (vb, b):
        assert (va < other, va <= other, va > other, va >= other) == (a < b, a <= b, a > b, a >= b)
    assert (b < va, b <= va, b > va, b >= va) == (b < a, b <= a, b > a, b >= a)  # a number on the left


@pytest.mark.parametrize("base, exponent, first, second", [
    (0.0, 2.0, (0.0, 0.0), ((2.0, 0.0), (0.0, 0.0))),  # d²(a²)/da² = 2 even at a = 0
    (0.0, 1.0, (1.0, 0.0), ((0.0, 1.0), (0.0, 0.0))),  # ∂/∂b of b·a^(b−1) = a^(b−1) + ...: 1 at a^0
    (0.0, 0.0, (0.0, 0.0), ((0.0, 0.0), (0.0, 0.0))),  # a^0 is flat in a, to every order
])
def test_create_graph_through_a_value_power_at_a_zero_base(base, exponent, first, second):
    """At a = 0 the rule's special cases must also hold when it runs on Values (no error, no 0·inf)."""
    a, b = Value(base), Value(exponent)
    firsts = grad(a ** b, [a, b], create_graph=True)
    assert [d.data for d in firsts] == list(first)
    assert [grad(d, [a, b]) for d in firsts] == [list(row) for row in second]


def test_a_user_op_with_three_inputs_backpropagates_and_accumulates():
    fma = define_op("fma", forward=lambda a, b, c: a * b + c, rule=lambda g, out, a, b, c: (g * b, g * a, g))
    a, b, c = Value(2.0), Value(-3.0), Value(0.5)
    out = fma(a, b, c).tanh()
    want = grad(out, [a, b, c])
    slope = 1 - math.tanh(-5.5) ** 2
    assert want == pytest.approx([-3.0 * slope, 2.0 * slope, slope], rel=1e-12)
    out.backward()
    out.backward()
    assert [a.grad, b.grad, c.grad] == [2 * g for g in want]


def failing_graph():
    """E = 2·tanh(bad(w·1, u)), where the user op bad's rule raises."""
    def rule(g, out, a, b):
        raise ValueError("no slope here")

    bad = define_op("bad", forward=lambda a, b: a + b, rule=rule)
    w, u = Value(2.0, label="w"), Value(3.0)
    h = bad(w * 1.0, u).tanh()
    h.label = "h"
    E = h * 2.0
    E.label = "E"
    return E, w, u, h


FAILED_RULE = (r"^backward of op 'bad' failed: no slope here; op inputs \(Value\(data=2, grad=0\), "
               r"Value\(data=3, grad=0\)\); path from the output: E <- h <- bad$")


def test_a_failing_rule_names_op_inputs_and_path_and_leaves_every_grad_as_it_was():
    E, w, u, h = failing_graph()
    w.grad, h.grad = 5.0, -1.0
    with pytest.raises(ValueError, match=FAILED_RULE):
        E.backward()
    assert (w.grad, u.grad, h.grad, E.grad) == (5.0, 0.0, -1.0, 0.0)
    for compute in (lambda: grad(E, [w]), lambda: jvp(E, [w], [1.0])):
        with pytest.raises(ValueError, match=FAILED_RULE):
            compute()


def test_a_user_rule_may_return_numpy_scalars_and_ints_and_grad_stays_a_float():
    scaled = define_op("scaled", forward=lambda a: 3.0 * a, rule=lambda g, out, a: (np.float64(3.0) * g,))
    counted = define_op("counted", forward=lambda a: 2.0 * a, rule=lambda g, out, a: (2,))
    v = Value(1.5)
    scaled(v).backward()
    assert type(v.grad) is float and v.grad == 3.0
    (d,) = grad(scaled(v), [v])
    assert type(d) is float and d == 3.0
    assert grad(counted(v), [v]) == [2]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(name=""), ValueError, "an op needs a non-empty name, got ''"),
    (dict(name="  "), ValueError, "an op needs a non-empty name, got '  '"),
    (dict(name=3), ValueError, "an op needs a non-empty name, got 3"),
    (dict(forward=None), TypeError, "forward must be callable, got NoneType"),
    (dict(rule=1.0), TypeError, "rule must be callable, got float"),
    (dict(forward=lambda *a: 1.0), TypeError, "forward of op 'f' must take a fixed number"),
    (dict(forward=lambda a, *rest: 1.0), TypeError, "forward of op 'f' must take a fixed number"),
    (dict(forward=lambda: 1.0), TypeError, "forward of op 'f' must take a fixed number"),
    (dict(forward=max), TypeError, "cannot tell how many inputs forward of op 'f' takes"),
])
def test_define_op_refuses_bad_definitions_by_name(kwargs, error, message):
    arguments = dict(name="f", forward=lambda a: a, rule=lambda g, out, a: (g,)) | kwargs
    with pytest.raises(error, match=re.escape(message)):
        define_op(**arguments)


def test_a_user_op_refuses_a_bad_forward_value_or_rule_result_by_name():
    wrong_count = define_op("two", forward=lambda a: a, rule=lambda g, out, a: (g, g))
    not_a_tuple = define_op("bare", forward=lambda a: a, rule=lambda g, out, a: g)
    text = define_op("text", forward=lambda a: "abc", rule=lambda g, out, a: (g,))
    with pytest.raises(TypeError, match=r"the rule of op 'two' must return a tuple of 1 gradient\(s\), one per input"):
        wrong_count(Value(1.0)).backward()
    with pytest.raises(TypeError, match="the rule of op 'bare' must return a tuple"):
        not_a_tuple(Value(1.0)).backward()
    with pytest.raises(TypeError, match="the forward value of op 'text' must be a real number"):
        text(Value(1.0))
    with pytest.raises(TypeError, match=r"two\(\) takes 1 input\(s\), got 2"):
        wrong_count(1.0, 2.0)
    assert wrong_count.__name__ == "two" and "'two'" in wrong_count.__doc__


def test_an_op_output_starts_with_an_empty_label_and_zero_grad():
    out = Value(2.0) * Value(3.0)
    assert (out.label, out.grad) == ("", 0.0)


def test_a_user_op_with_three_inputs_gets_its_output_and_an_input_used_twice():
    scaled_sum = define_op("scaled_sum", forward=lambda a, b, c: (a + b + c) / 2.0,
                           rule=lambda g, out, a, b, c: (g * out / (a + b + c),) * 3)  # = g/2 each
    a, c = Value(1.0), Value(2.0)
    out = scaled_sum(a, a, c)
    out.backward()
    assert (a.grad, c.grad) == (1.0, 0.5)
    assert grad(out, [a, c]) == [1.0, 0.5]


def test_a_zero_gradient_through_a_vertical_slope_is_nan_as_in_pytorch():
    a = Value(0.0)
    out = 0.0 * a.sqrt()  # 0 · ∞ on the way down
    assert math.isnan(grad(out, [a])[0])
    assert math.isnan(grad(out, [a], create_graph=True)[0].data)


def test_grad_and_the_exponent_refuse_bad_arguments_naming_themselves():
    with pytest.raises(TypeError, match=r"^grad\(\) needs a Value output, got float$"):
        grad(1.0, [Value(1.0)])
    with pytest.raises(TypeError, match="the exponent must be a real number"):
        Value(2.0) ** "x"


def test_an_input_the_output_does_not_reach_gets_a_zero_value_under_create_graph():
    a, unused = Value(1.0), Value(5.0)
    (d,) = grad(a * a, [unused], create_graph=True)
    assert isinstance(d, Value) and d.data == 0.0
    assert grad(a * a, [unused]) == [0.0]


# ----- Values of every Python type (fuzzed): stored as float(x), or refused ----------

REAL = "real"  # the input is a real number: stored as float(x) (or OverflowError)


def tagged(strategy, expected):
    return strategy.map(lambda x: (x, expected))


class HasFloat:
    """Not a number, though float() accepts it: the engine must still refuse it."""

    def __float__(self):
        return 1.0


NUMPY_REAL_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64",
                     "uint8", "uint16", "uint32", "uint64"]


ANY_PYTHON_VALUE = st.one_of(
    tagged(st.integers(), REAL),
    tagged(st.integers(min_value=2**1020, max_value=2**1100) | st.integers(max_value=-2**1020, min_value=-2**1100), REAL),
    tagged(st.floats(allow_nan=True, allow_infinity=True), REAL),
    tagged(st.fractions(), REAL),
    tagged(st.builds(fractions.Fraction, st.integers(min_value=10**300, max_value=10**320), st.integers(1, 10)), REAL),
    *[tagged(hnp.from_dtype(np.dtype(name)), REAL) for name in NUMPY_REAL_DTYPES],
    tagged(st.booleans(), TypeError),                       # True is not a number here
    tagged(hnp.from_dtype(np.dtype("bool")), TypeError),
    tagged(st.complex_numbers(), TypeError),
    tagged(hnp.from_dtype(np.dtype("complex128")), TypeError),
    tagged(st.decimals(allow_nan=True), TypeError),         # Decimal is not a numbers.Real
    tagged(st.text(max_size=10), TypeError),
    tagged(st.binary(max_size=10), TypeError),
    tagged(st.none(), TypeError),
    tagged(st.lists(st.floats(), max_size=3), TypeError),
    tagged(st.tuples(st.floats()), TypeError),
    tagged(st.dictionaries(st.text(max_size=3), st.floats(), max_size=3), TypeError),
    tagged(st.sets(st.integers(), max_size=3), TypeError),
    tagged(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)), TypeError),
    tagged(st.builds(object), TypeError),
    tagged(st.builds(HasFloat), TypeError),
    tagged(st.floats(allow_nan=False).map(Value), TypeError),  # Value(Value) would hide a mistake
    tagged(st.sampled_from([float, int, math, Ellipsis, NotImplemented, print]), TypeError),
)


def check_stored(x, expected, make):
    """make(x) stores float(x) for a real x (OverflowError if too large), else raises TypeError."""
    if expected is REAL:
        try:
            want = float(x)
        except OverflowError:
            with pytest.raises(OverflowError, match="too large"):
                make(x)
            return
        stored = make(x).data
        assert type(stored) is float  # not numpy.float64, which follows numpy's rules for nan
        assert same_float(stored, want), (x, stored, want)
    else:
        with pytest.raises(TypeError, match="real number"):
            make(x)


@FUZZ
@given(ANY_PYTHON_VALUE)
def test_value_of_any_python_value_is_stored_as_float_or_refused(fuzz_cases, case):
    fuzz_cases["Value(x)"] += 1
    check_stored(*case, make=Value)


# name: (the op with a Value on the left and x on the right, the same on plain floats)
MIXED_OPS = {
    "v + x": (lambda x: Value(1.5) + x, lambda f: 1.5 + f),
    "v * x": (lambda x: Value(1.5) * x, lambda f: 1.5 * f),
    "v - x": (lambda x: Value(1.5) - x, lambda f: 1.5 - f),
    "x * v": (lambda x: x * Value(1.5), lambda f: f * 1.5),
}


@FUZZ
@given(ANY_PYTHON_VALUE, st.sampled_from(sorted(MIXED_OPS)))
def test_arithmetic_with_any_python_value_is_right_or_refused(fuzz_cases, case, name):
    """A number mixes into an op as if wrapped in Value; anything else is a TypeError."""
    fuzz_cases["Value op x"] += 1
    x, expected = case
    op, reference = MIXED_OPS[name]
    if isinstance(x, Value):  # refused by the constructor, but of course an operand
        assert same_float(op(x).data, reference(x.data))
        return
    if isinstance(x, np.ndarray) and name == "x * v":  # numpy's rule: an array on the left
        values = np.asarray(op(x), dtype=object)          # maps the op over its elements
        assert all(same_float(v.data, reference(e)) for v, e in zip(values.flat, x.flat))
        return
    if expected is REAL:
        try:
            f = float(x)
        except OverflowError:
            with pytest.raises(OverflowError):
                op(x)
            return
        assert same_float(op(x).data, reference(f))
    else:
        with pytest.raises(TypeError):
            op(x)


@FUZZ
@given(ANY_PYTHON_VALUE)
def test_a_label_is_any_str_and_nothing_else(fuzz_cases, case):
    fuzz_cases["label"] += 1
    label = case[0]
    if isinstance(label, str):
        assert Value(1.0, label=label).label == label
    else:
        with pytest.raises(TypeError, match="label must be a str"):
            Value(1.0, label=label)


def test_a_finite_longdouble_beyond_float_range_is_refused():
    """float() casts it to inf without a word; the engine must not store that inf."""
    big = np.longdouble(10) ** 400
    if not np.isfinite(big):
        pytest.skip("numpy's longdouble is a double on this platform")
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(big)
    assert Value(np.longdouble("inf")).data == math.inf  # an infinite input stays infinite


def test_a_numpy_float64_is_stored_as_a_plain_float():
    assert type(Value(np.float64(0.5)).data) is float
    assert type((Value(1.0) ** np.float64(2.0)).data) is float
    assert type((np.float64(2.0) * Value(1.5)).data) is float


@pytest.mark.filterwarnings("error")  # numpy would give a nan with a RuntimeWarning
def test_a_value_made_from_numpy_float64_refuses_a_complex_power_like_a_float():
    with pytest.raises(ValueError, match="not real"):
        Value(np.float64(-8.0)) ** (1.0 / 3.0)


GRAPH_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
             "tanh": lambda a, b: a.tanh(), "sigmoid": lambda a, b: a.sigmoid(),
             "relu": lambda a, b: a.relu(), "**2": lambda a, b: a ** 2, "exp": lambda a, b: (a * 0.1).exp()}


@st.composite
def random_graphs(draw):
    """(leaves, root): a random DAG over three leaves in which nodes are reused freely."""
    leaves = [Value(draw(st.floats(-3.0, 3.0)), label=f"x{i}") for i in range(3)]
    nodes = list(leaves)
    for _ in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(sorted(GRAPH_OPS)))
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        try:
            nodes.append(GRAPH_OPS[op](a, b))
        except OverflowError:  # exp of a large square: the graph ends before it
            break
    return leaves, nodes[-1]


@FUZZ
@given(random_graphs())
def test_backward_grad_and_create_graph_agree_on_random_graphs(fuzz_cases, graph):
    """Three ways to the same gradients: .backward(), grad(), grad(create_graph=True)."""
    fuzz_cases["random graphs"] += 1
    leaves, root = graph
    assume(math.isfinite(root.data))
    by_grad = grad(root, leaves)
    by_graph = [g.data for g in grad(root, leaves, create_graph=True)]
    root.backward()
    by_backward = [leaf.grad for leaf in leaves]
    assert all(math.isfinite(g) for g in by_backward)
    assert by_backward == by_grad == by_graph
    root.backward()  # a second call accumulates: exactly twice the gradient
    assert [leaf.grad for leaf in leaves] == [2.0 * g for g in by_backward]


# ----- a failed backward leaves every gradient as it was --------------------------

def _interrupted_rule(g, out, a):
    raise KeyboardInterrupt  # as if the user pressed Ctrl-C during backward


def _overflowing_rule(g, out, a):
    return (1e300 ** 2,)  # float ** raises OverflowError, as a real rule can


@pytest.mark.parametrize("rule, error", [(_interrupted_rule, KeyboardInterrupt),
                                         (_overflowing_rule, OverflowError)], ids=["Ctrl-C", "overflow"])
def test_a_backward_that_fails_midway_leaves_every_gradient_as_it_was(rule, error):
    """All or nothing: no gradient lost from an earlier backward, none half-added."""
    w = Value(0.5, label="w")
    squashed = (w * 3.0).tanh()
    out = squashed + w * w   # the tanh rule runs after the '+' rule has added to w*w
    out.backward()           # a first, successful backward: every node holds a gradient
    before = {id(node): node.grad for node in all_nodes(out)}
    squashed.operation = Op("tanh", 1, math.tanh, rule)  # the same op with a failing rule
    with pytest.raises(error):
        out.backward()
    assert {id(node): node.grad for node in all_nodes(out)} == before
    assert w.grad != 0.0


def test_repr_html_is_exactly_the_four_fields():
    leaf = Value(0.25, label="w")
    assert leaf._repr_html_() == ("<table><tr><th>label</th><td>w</td></tr><tr><th>data</th><td>0.25</td></tr>"
                                  "<tr><th>grad</th><td>0</td></tr><tr><th>op</th><td>leaf</td></tr></table>")
    out = leaf * 2.0
    assert out._repr_html_() == ("<table><tr><th>label</th><td>—</td></tr><tr><th>data</th><td>0.5</td></tr>"
                                 "<tr><th>grad</th><td>0</td></tr><tr><th>op</th><td>* of 2</td></tr></table>")


def test_modes_open_elsewhere_change_nothing_here():
    """A mode open in this context or another leaves what it does not govern as it was."""
    from micrograd_id import engine

    with no_grad():  # no_grad is not detect_anomaly: an inf leaf, an infinite tangent pass
        assert Value(math.inf).data == math.inf
        x = Value(0.0)
    assert jvp(x.sqrt(), [x], [1.0]) == math.inf
    y = Value(0.0)
    root = y.sqrt()
    with no_grad():
        assert jvp(root, [y], [1.0]) == math.inf
        root.backward()
    assert y.grad == math.inf
    assert engine._open_modes == 0  # every block closed: ops skip the mode check again
    with no_grad(), detect_anomaly():
        assert engine._open_modes == 2
    assert engine._open_modes == 0


def test_relu_of_negative_zero_is_positive_zero():
    out = Value(-0.0).relu()
    assert out.data == 0.0 and math.copysign(1.0, out.data) == 1.0


@pytest.mark.parametrize("x", [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1.5, -0.1, -0.5, -0.9, -3.0, 40.0, -40.0])
def test_sigmoid_takes_the_same_branch_as_compiled_graphs_and_the_page(x):
    """1/(1 + e^−x) for x >= 0, e^x/(1 + e^x) below: the two differ in the last bit for a third of inputs."""
    expected = 1.0 / (1.0 + math.exp(-x)) if x >= 0.0 else math.exp(x) / (1.0 + math.exp(x))
    assert Value(x).sigmoid().data == expected
