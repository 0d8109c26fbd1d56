"""Every op of the engine's table, one by one: value, first and second derivatives.

Each op is checked three ways that share nothing with the engine's rules: its
closed-form derivatives written out here, central differences (of the
forward value for the first derivative, of the engine's first derivative for
the second, which reaches the rules through ``grad(..., create_graph=True)``),
and PyTorch in double precision when it is installed. A test fails when an op
is added to ``engine.OPS`` without a row here.
"""

import fractions
import math

import numpy as np
import pytest
from conftest import FUZZ, MAX_FLOAT, outcome, same_float
from hypothesis import example, given
from hypothesis import strategies as st

from micrograd_id import Value, define_op, grad
from micrograd_id.engine import OPS, power_op

softplus = define_op("softplus", forward=lambda a: math.log1p(math.exp(a)),
                     rule=lambda g, out, a: (g * (1.0 - np.exp(-out)),))


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def power(k):
    """x ** k with its closed-form derivatives, for a number exponent k."""
    return (lambda v: v ** k, lambda x: x ** k, lambda x: k * x ** (k - 1), lambda x: k * (k - 1) * x ** (k - 2))


EVERYWHERE = [-2.7, -1.0, -0.3, 0.4, 1.0, 3.1]
POSITIVE = [0.05, 0.4, 1.0, 2.5, 40.0]
INSIDE_UNIT = [-0.95, -0.5, 0.0, 0.3, 0.9]
AWAY_FROM_ZERO = [-2.7, -1.0, -0.3, 0.4, 1.0, 3.1]  # kinks and poles at 0
TAN_POINTS = [-1.4, -0.5, 0.0, 0.7, 1.3]  # inside (-π/2, π/2), where tan is smooth

# name: (the op on a Value, value, first derivative, second derivative, points)
UNARY = {
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0, lambda x: 0.0, EVERYWHERE),
    "exp": (lambda v: v.exp(), math.exp, math.exp, math.exp, EVERYWHERE + [-700.0, 700.0]),
    "log": (lambda v: v.log(), math.log, lambda x: 1 / x, lambda x: -1 / x ** 2, POSITIVE),
    "sqrt": (lambda v: v.sqrt(), math.sqrt, lambda x: 0.5 / math.sqrt(x), lambda x: -0.25 * x ** -1.5, POSITIVE),
    "abs": (abs, abs, lambda x: math.copysign(1.0, x), lambda x: 0.0, AWAY_FROM_ZERO),
    "tanh": (lambda v: v.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2,
             lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), EVERYWHERE),
    "sigmoid": (lambda v: v.sigmoid(), sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x)),
                lambda x: sigmoid(x) * (1 - sigmoid(x)) * (1 - 2 * sigmoid(x)), EVERYWHERE),
    "relu": (lambda v: v.relu(), lambda x: max(x, 0.0), lambda x: float(x > 0), lambda x: 0.0, AWAY_FROM_ZERO),
    "sin": (lambda v: v.sin(), math.sin, math.cos, lambda x: -math.sin(x), EVERYWHERE),
    "cos": (lambda v: v.cos(), math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x), EVERYWHERE),
    "tan": (lambda v: v.tan(), math.tan, lambda x: 1 + math.tan(x) ** 2,
            lambda x: 2 * math.tan(x) * (1 + math.tan(x) ** 2), TAN_POINTS),
    "arcsin": (lambda v: v.arcsin(), math.asin, lambda x: (1 - x * x) ** -0.5, lambda x: x * (1 - x * x) ** -1.5,
               INSIDE_UNIT),
    "arccos": (lambda v: v.arccos(), math.acos, lambda x: -(1 - x * x) ** -0.5,
               lambda x: -x * (1 - x * x) ** -1.5, INSIDE_UNIT),
    "arctan": (lambda v: v.arctan(), math.atan, lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2,
               EVERYWHERE + [1e6]),
    "**2": (*power(2.0), EVERYWHERE),
    "**3": (*power(3.0), EVERYWHERE),
    "**-1": (*power(-1.0), AWAY_FROM_ZERO),
    "**-2": (*power(-2.0), AWAY_FROM_ZERO),
    "**0.5": (*power(0.5), POSITIVE),
    "**1.5": (*power(1.5), POSITIVE),
    "**1": (lambda v: v ** 1, lambda x: x, lambda x: 1.0, lambda x: 0.0, EVERYWHERE),
    "**0": (lambda v: v ** 0, lambda x: 1.0, lambda x: 0.0, lambda x: 0.0, EVERYWHERE + [0.0]),
    "softplus": (softplus, lambda x: math.log1p(math.exp(x)), sigmoid,
                 lambda x: sigmoid(x) * (1 - sigmoid(x)), EVERYWHERE),
}

# name: (the op on two Values, value, gradient (d/da, d/db), Hessian ((aa, ab), (ba, bb)), points)
BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0), lambda a, b: ((0.0, 0.0), (0.0, 0.0))),
    "-": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0), lambda a, b: ((0.0, 0.0), (0.0, 0.0))),
    "*": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a), lambda a, b: ((0.0, 1.0), (1.0, 0.0))),
    "/": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / b ** 2),
          lambda a, b: ((0.0, -1 / b ** 2), (-1 / b ** 2, 2 * a / b ** 3))),
    "**": (lambda a, b: a ** b, lambda a, b: a ** b, lambda a, b: (b * a ** (b - 1), a ** b * math.log(a)),
           lambda a, b: ((b * (b - 1) * a ** (b - 2), a ** (b - 1) * (1 + b * math.log(a))),
                         (a ** (b - 1) * (1 + b * math.log(a)), a ** b * math.log(a) ** 2))),
}
PAIRS = [(-2.5, 1.5), (0.7, -1.3), (3.0, 0.4), (-0.2, -4.0)]
POSITIVE_BASE_PAIRS = [(0.7, -1.3), (3.0, 0.4), (0.2, 2.5), (1.0, 3.0)]

UNARY_CASES = [(name, x) for name, spec in UNARY.items() for x in spec[4]]
BINARY_CASES = [(name, a, b) for name in BINARY for a, b in (POSITIVE_BASE_PAIRS if name == "**" else PAIRS)]


def close(got, want, rel=1e-12, abs_=1e-14):
    return math.isclose(got, want, rel_tol=rel, abs_tol=abs_)


def difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def first(op, xs):
    leaves = [Value(x) for x in xs]
    return grad(op(*leaves), leaves)


def test_every_op_in_the_table_has_closed_forms_here():
    tested = set(UNARY) | set(BINARY)
    assert set(OPS) <= tested, f"ops without closed-form tests: {sorted(set(OPS) - tested)}"


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_unary_op_value_and_derivatives_match_closed_forms(name, x):
    op, value, d1, d2, _ = UNARY[name]
    v = Value(x)
    out = op(v)
    assert close(out.data, value(x), rel=1e-14, abs_=0.0)
    (dv,) = grad(out, [v], create_graph=True)
    (ddv,) = grad(dv, [v])
    assert close(dv.data, d1(x)), (dv.data, d1(x))
    assert close(ddv, d2(x), rel=1e-11), (ddv, d2(x))
    out.backward()
    assert v.grad == dv.data  # backward's fast path and grad()'s reference algorithm agree exactly


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_unary_op_derivatives_match_central_differences(name, x):
    op = UNARY[name][0]
    h = 1e-6 * max(1.0, abs(x))
    forward = lambda y: op(Value(y)).data  # noqa: E731
    slope = lambda y: first(op, [y])[0]  # noqa: E731
    assert math.isclose(slope(x), difference(forward, x, h), rel_tol=1e-6, abs_tol=1e-8)
    (d1,) = grad(op(v := Value(x)), [v], create_graph=True)
    h2 = 1e-6 if name in ("arcsin", "arccos") else 1e-4
    assert math.isclose(grad(d1, [v])[0], difference(slope, x, h2), rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize("name, a, b", BINARY_CASES)
def test_binary_op_value_and_derivatives_match_closed_forms(name, a, b):
    op, value, gradient, hessian = BINARY[name]
    va, vb = Value(a), Value(b)
    out = op(va, vb)
    assert close(out.data, value(a, b), rel=1e-14, abs_=0.0)
    first_order = grad(out, [va, vb], create_graph=True)
    for d, want in zip(first_order, gradient(a, b)):
        assert close(d.data, want)
    for d, row in zip(first_order, hessian(a, b)):
        for dd, want in zip(grad(d, [va, vb]), row):
            assert close(dd, want, rel=1e-11), (dd, want)


@pytest.mark.parametrize("name, a, b", BINARY_CASES)
def test_binary_op_derivatives_match_central_differences(name, a, b):
    op = BINARY[name][0]
    point = [a, b]
    va, vb = Value(a), Value(b)
    first_order = grad(op(va, vb), [va, vb], create_graph=True)
    for i in range(2):
        def along(t, i=i):
            moved = list(point)
            moved[i] = t
            return moved

        h = 1e-6 * max(1.0, abs(point[i]))
        numerical = difference(lambda t: op(*map(Value, along(t))).data, point[i], h)
        assert math.isclose(first_order[i].data, numerical, rel_tol=1e-6, abs_tol=1e-8)
        for j, d in enumerate(first_order):  # row j of the Hessian: d(∂f/∂x_j)/∂x_i
            numerical = difference(lambda t: first(op, along(t))[j], point[i], 1e-4 * max(1.0, abs(point[i])))
            assert math.isclose(grad(d, [va, vb])[i], numerical, rel_tol=1e-5, abs_tol=1e-6)


# ----- the same against PyTorch -------------------------------------------------------

def torch_unary(torch, name):
    if name == "softplus":
        return torch.nn.functional.softplus
    if name.startswith("**"):
        k = float(name[2:])
        return lambda t: t ** k
    return {"neg": torch.neg}.get(name) or getattr(torch, name)


def torch_derivatives(torch, f, xs):
    """f's value, gradient and Hessian rows (zeros where a derivative is not connected) in torch."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*ts)
    firsts = torch.autograd.grad(out, ts, create_graph=True, allow_unused=True, materialize_grads=True)
    rows = [[0.0] * len(ts) if not d.requires_grad else
             [t.item() for t in torch.autograd.grad(d, ts, allow_unused=True, materialize_grads=True)]
             for d in firsts]
    return out.item(), [d.item() for d in firsts], rows


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_unary_op_agrees_with_torch_to_second_order(name, x):
    torch = pytest.importorskip("torch")
    op = UNARY[name][0]
    value, (d1,), ((d2,),) = torch_derivatives(torch, torch_unary(torch, name), [x])
    v = Value(x)
    out = op(v)
    (dv,) = grad(out, [v], create_graph=True)
    assert close(out.data, value) and close(dv.data, d1) and close(grad(dv, [v])[0], d2, rel=1e-11)


@pytest.mark.parametrize("name, a, b", BINARY_CASES)
def test_binary_op_agrees_with_torch_to_second_order(name, a, b):
    torch = pytest.importorskip("torch")
    op = BINARY[name][0]
    value, d1, rows = torch_derivatives(torch, op, [a, b])
    va, vb = Value(a), Value(b)
    out = op(va, vb)
    assert close(out.data, value)
    for d, want, row in zip(grad(out, [va, vb], create_graph=True), d1, rows):
        assert close(d.data, want)
        assert all(close(got, w, rel=1e-11) for got, w in zip(grad(d, [va, vb]), row))


# ----- every op records itself under its own name ------------------------------------------

@pytest.mark.parametrize("name", sorted(set(UNARY) - {"softplus"}))
def test_a_unary_op_records_its_exact_name_and_table_entry(name):
    v = Value(0.5)
    out = UNARY[name][0](v)
    assert out.op == name and out.children == (v,)
    assert out.operation is (OPS[name] if name in OPS else power_op(float(name[2:])))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_a_binary_op_records_its_exact_name_and_table_entry(name):
    a, b = Value(0.5), Value(1.5)
    out = BINARY[name][0](a, b)
    assert out.op == name and out.children == (a, b) and out.operation is OPS[name]
    reflected = BINARY[name][0](2.0, b)  # a number on the left: the same op, the number a leaf
    assert reflected.operation is OPS[name] and reflected.children[1] is b and reflected.children[0].data == 2.0


# ----- every op on random finite floats (fuzzed): the math, or its error -----------------

# Wide: every finite float. Moderate: where the transcendental references are sharp.
FINITE = st.floats(allow_nan=False, allow_infinity=False)


MODERATE = st.floats(min_value=-700.0, max_value=700.0, allow_nan=False)


EXPONENTS = st.sampled_from([0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.5, 10.0]) | st.floats(-8.0, 8.0)


def exact(x):
    return fractions.Fraction(x)


# name: (engine op on Values, exact forward, exact gradient per input).
# Exact references use Fraction arithmetic, so they share no rounding with the engine.
EXACT_BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1, 1)),
    "-": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1, -1)),
    "*": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a)),
    "/": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / (b * b))),
}


def engine_gradients(build, inputs):
    """(forward outcome, gradient outcomes) of build on Value leaves; outcomes as in outcome()."""
    leaves = [Value(x) for x in inputs]
    forward = outcome(lambda: build(*leaves).data)
    if not isinstance(forward, float):
        return forward, None
    out = build(*leaves)
    backward = outcome(out.backward)
    if backward is not None:  # backward raised
        return forward, backward
    return forward, [leaf.grad for leaf in leaves]


def as_reference(derivative):
    """A reference derivative as a float; ±inf beyond the float range, nan if the sign is unknown.

    derivative: a Fraction (exact), a float, or OverflowError (the math overflowed).
    """
    if derivative is OverflowError:
        return math.nan
    try:
        return float(derivative)
    except OverflowError:
        return math.inf if derivative > 0 else -math.inf


def check_gradient(got, derivative, rel, abs_):
    """A gradient equals the exact one, or is inf / a math error where the exact one overflows."""
    want = as_reference(derivative)
    if not math.isfinite(want) or abs(want) > MAX_FLOAT * (1 - 1e-12):
        refused = got in (OverflowError, ZeroDivisionError)
        overflowed = isinstance(got, float) and math.isinf(got) and got != -want
        close = isinstance(got, float) and same_float(got, want, rel, abs_)
        assert refused or overflowed or close, (got, want)
        return
    assert isinstance(got, float) and same_float(got, want, rel, abs_), (got, want)


@FUZZ
@given(st.sampled_from(sorted(EXACT_BINARY)), FINITE, FINITE)
@example("/", 1.0, 0.0)
@example("*", 1e308, 10.0)
@example("/", 1e-300, 1e-200)
def test_arithmetic_ops_match_exact_rational_arithmetic(fuzz_cases, name, a, b):
    fuzz_cases["+ - * / on floats"] += 1
    build, forward_exact, grad_exact = EXACT_BINARY[name]
    forward, grads = engine_gradients(build, (a, b))
    if name == "/" and b == 0.0:
        assert forward is ZeroDivisionError
        return
    value = forward_exact(exact(a), exact(b))
    try:
        want = float(value)  # the float nearest the exact rational
    except OverflowError:  # IEEE arithmetic overflows to inf, as Python floats do
        assert forward == (math.inf if value > 0 else -math.inf)
        return
    assert forward == want  # one correctly rounded IEEE op: bit-exact
    # d(a/b)/db = -(a/b)/b takes two roundings: where a/b is subnormal, its absolute
    # rounding error (up to 5e-324) is divided by b once more.
    abs_ = min(5e-324 / abs(b), 1e-300) if name == "/" and abs(b) < 1.0 else 5e-324
    for got, d in zip(grads, grad_exact(exact(a), exact(b))):
        check_gradient(got, d, rel=1e-15, abs_=abs_)


def stable_sigmoid(x):
    e = math.exp(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


def sigmoid_slope(x):  # A'(x) = e^-|x| / (1 + e^-|x|)^2, without cancellation
    e = math.exp(-abs(x))
    return e / (1.0 + e) ** 2


def tanh_slope(x):  # sech^2(x) = 4 e^-2|x| / (1 + e^-2|x|)^2
    e = math.exp(-2.0 * abs(x))
    return 4.0 * e / (1.0 + e) ** 2


# name: (engine op, forward reference, derivative reference, rel tol, abs tol).
# tanh and sigmoid take their derivative from the output (1 - t^2, s(1 - s)), as
# PyTorch does: exact to ~1e-16 absolutely, not relatively, where the output is ~1.
UNARY_MATH = {
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0, 0.0, 0.0),
    "exp": (Value.exp, math.exp, math.exp, 1e-15, 0.0),
    "log": (Value.log, math.log, lambda x: 1 / exact(x), 1e-15, 0.0),
    "tanh": (Value.tanh, math.tanh, tanh_slope, 1e-9, 1e-15),
    "sigmoid": (Value.sigmoid, stable_sigmoid, sigmoid_slope, 1e-9, 1e-15),
    "relu": (Value.relu, lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0, 0.0, 0.0),
}


@FUZZ
@given(st.sampled_from(sorted(UNARY_MATH)), FINITE | MODERATE)
@example("exp", 709.8)
@example("log", 0.0)
@example("log", 5e-324)
@example("sigmoid", -1000.0)
@example("sigmoid", 1000.0)
def test_unary_ops_match_math(fuzz_cases, name, x):
    fuzz_cases["unary ops"] += 1
    build, reference, slope, rel, abs_ = UNARY_MATH[name]
    forward, grads = engine_gradients(build, (x,))
    want = outcome(lambda: reference(x))
    if not isinstance(want, float):
        assert forward is want  # the same math error as the math module
        return
    assert same_float(forward, want, rel=1e-15)
    check_gradient(grads if not isinstance(grads, list) else grads[0], outcome(lambda: slope(x)), rel, abs_)


def power_reference(a, k):
    """a ** k, or the error type: complex results are a ValueError, as in the engine.

    A negative base with a fractional exponent is not real even where the float
    result would overflow or IEEE gives (-inf) ** 0.5 = inf: a ValueError first.
    """
    if a < 0.0 and math.isfinite(k) and not k.is_integer():
        return ValueError
    return outcome(lambda: a ** k)


def power_slope(a, k):
    """d(a**k)/da = k a**(k-1); 0 for k = 0 (a constant), inf where it overflows."""
    if k == 0.0:
        return 0.0
    if k == 1.0:
        return 1.0
    if a == 0.0 and k < 1.0:
        return math.inf  # the slope of a**k at 0 for 0 < k < 1 (k < 0 fails forward already)
    try:
        return k * a ** (k - 1.0)
    except OverflowError:
        return math.copysign(math.inf, k * (a if (k - 1.0) % 2 == 1 else 1.0))


@FUZZ
@given(FINITE | st.floats(-10.0, 10.0), EXPONENTS)
@example(1e-300, -1.0)
@example(0.0, 0.5)
@example(-8.0, 1.0 / 3.0)
@example(0.0, 0.0)
@example(2.225073858507e-311, 0.0)
def test_power_by_a_number_matches_math(fuzz_cases, a, k):
    fuzz_cases["v ** k"] += 1
    forward, grads = engine_gradients(lambda v: v ** k, (a,))
    want = power_reference(a, k)
    if not isinstance(want, float):
        assert forward is want
        return
    assert same_float(forward, want)
    check_gradient(grads if not isinstance(grads, list) else grads[0], power_slope(a, k), 1e-15, 0.0)


@FUZZ
@given(st.floats(1e-300, 1e300), st.floats(-20.0, 20.0))
def test_power_by_a_value_matches_math(fuzz_cases, a, b):
    """Positive bases, where a**b is defined for every b: both partial derivatives."""
    fuzz_cases["v ** v"] += 1
    forward, grads = engine_gradients(lambda u, v: u ** v, (a, b))
    want = power_reference(a, b)
    if not isinstance(want, float):
        assert forward is want
        return
    assert same_float(forward, want)
    check_gradient(grads if not isinstance(grads, list) else grads[0], outcome(lambda: b * a ** (b - 1.0)), 1e-12, 0.0)
    if isinstance(grads, list):
        check_gradient(grads[1], outcome(lambda: want * math.log(a)), 1e-12, 0.0)


@pytest.mark.parametrize("a", [0.0, 2.225073858507e-311])
def test_the_slope_of_a_constant_power_is_zero(a):
    """a**0 is 1 for every a: its slope is 0, not 0 * a**-1 (which fails at a = 0 or overflows)."""
    leaf = Value(a)
    (leaf ** 0).backward()
    assert leaf.grad == 0.0
    (d2,) = grad(grad(leaf ** 0, [leaf], create_graph=True)[0], [leaf])
    assert d2 == 0.0
