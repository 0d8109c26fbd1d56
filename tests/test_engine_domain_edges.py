"""Every rule at the edges of its domain: 0, negative, 1 and ±inf inputs, both inputs of two-input ops.

Where PyTorch (2.13.0, double) gives an infinite or undefined value or
gradient, the engine gives the same inf or nan, through backward, grad and
grad(create_graph=True), and detect_anomaly names the op. Where the engine's
forward refuses a domain (log of 0 or a negative, sqrt(-1), arcsin(2),
division by zero, 0 to a negative power, a negative base to a fractional
power) it raises an error naming the domain, where torch would return nan or
inf: that is the contract. Found by comparing every op with torch at these
points; the rows below are what both give.

Known differences from torch, on purpose: ``(-0.0) ** 0.5`` is +0 with slope
+inf (torch rewrites x ** 0.5 as sqrt(x) and gives -0 and -inf; ``sqrt``
itself agrees), and ``(-inf) ** Value(0.5)`` is refused like any negative base
with a fractional exponent (torch: inf for a tensor exponent, nan for x ** 0.5).
"""

import math
import re

import pytest

from micrograd_id import AnomalyError, Value, detect_anomaly, grad

INF, NAN = math.inf, math.nan
PI = math.pi

UNARY = {
    "sqrt": lambda v: v.sqrt(), "abs": abs, "relu": lambda v: v.relu(), "exp": lambda v: v.exp(),
    "log": lambda v: v.log(), "tanh": lambda v: v.tanh(), "sigmoid": lambda v: v.sigmoid(),
    "sin": lambda v: v.sin(), "cos": lambda v: v.cos(), "arcsin": lambda v: v.arcsin(),
    "arccos": lambda v: v.arccos(), "arctan": lambda v: v.arctan(), "neg": lambda v: -v,
    "**0.5": lambda v: v ** 0.5, "**2": lambda v: v ** 2, "**0": lambda v: v ** 0, "**1": lambda v: v ** 1,
    "**-1": lambda v: v ** -1, "**1.5": lambda v: v ** 1.5, "**3": lambda v: v ** 3,
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b,
}

# (op, inputs, value, gradient per input): where engine and torch agree
EDGES = [
    ("sqrt", (0.0,), 0.0, (INF,)), ("sqrt", (-0.0,), -0.0, (-INF,)), ("sqrt", (INF,), INF, (0.0,)),
    ("sqrt", (1.0,), 1.0, (0.5,)),
    ("abs", (0.0,), 0.0, (0.0,)), ("abs", (-0.0,), 0.0, (0.0,)), ("abs", (-INF,), INF, (-1.0,)),
    ("abs", (-1.0,), 1.0, (-1.0,)),
    ("relu", (0.0,), 0.0, (0.0,)), ("relu", (INF,), INF, (1.0,)), ("relu", (-INF,), 0.0, (0.0,)),
    ("exp", (-INF,), 0.0, (0.0,)), ("exp", (INF,), INF, (INF,)), ("exp", (0.0,), 1.0, (1.0,)),
    ("log", (INF,), INF, (0.0,)), ("log", (1.0,), 0.0, (1.0,)),
    ("tanh", (INF,), 1.0, (0.0,)), ("tanh", (-INF,), -1.0, (0.0,)),
    ("sigmoid", (INF,), 1.0, (0.0,)), ("sigmoid", (-INF,), 0.0, (0.0,)), ("sigmoid", (0.0,), 0.5, (0.25,)),
    ("sin", (0.0,), 0.0, (1.0,)), ("cos", (0.0,), 1.0, (-0.0,)),
    ("arcsin", (1.0,), PI / 2, (INF,)), ("arcsin", (-1.0,), -PI / 2, (INF,)), ("arcsin", (0.0,), 0.0, (1.0,)),
    ("arccos", (1.0,), 0.0, (-INF,)), ("arccos", (-1.0,), PI, (-INF,)),
    ("arctan", (INF,), PI / 2, (0.0,)), ("arctan", (-INF,), -PI / 2, (0.0,)),
    ("neg", (INF,), -INF, (-1.0,)),
    ("**0.5", (0.0,), 0.0, (INF,)), ("**0.5", (INF,), INF, (0.0,)),
    ("**2", (-INF,), INF, (-INF,)), ("**2", (0.0,), 0.0, (0.0,)),
    ("**0", (0.0,), 1.0, (0.0,)), ("**0", (INF,), 1.0, (0.0,)), ("**1", (0.0,), 0.0, (1.0,)),
    ("**-1", (INF,), 0.0, (-0.0,)), ("**-1", (-1.0,), -1.0, (-1.0,)),
    ("**1.5", (0.0,), 0.0, (0.0,)), ("**3", (-INF,), -INF, (INF,)),
    ("+", (INF, -INF), NAN, (1.0, 1.0)), ("-", (INF, INF), NAN, (1.0, -1.0)),
    ("*", (INF, 0.0), NAN, (0.0, INF)), ("*", (0.0, -INF), NAN, (-INF, 0.0)),
    ("/", (1.0, INF), 0.0, (0.0, -0.0)), ("/", (INF, INF), NAN, (0.0, NAN)), ("/", (0.0, -1.0), -0.0, (-1.0, 0.0)),
    ("**", (0.0, 0.5), 0.0, (INF, 0.0)), ("**", (0.0, 0.0), 1.0, (0.0, 0.0)), ("**", (0.0, 2.0), 0.0, (0.0, 0.0)),
    ("**", (0.0, 1.0), 0.0, (1.0, 0.0)), ("**", (0.0, INF), 0.0, (NAN, 0.0)),
    ("**", (0.0, -INF), INF, (-INF, -INF)),
    ("**", (-2.0, 2.0), 4.0, (-4.0, NAN)), ("**", (-1.0, 0.0), 1.0, (0.0, NAN)), ("**", (-2.0, -1.0), -0.5, (-0.25, NAN)),
    ("**", (1.0, INF), 1.0, (INF, 0.0)), ("**", (INF, 0.0), 1.0, (0.0, INF)), ("**", (2.0, 0.0), 1.0, (0.0, math.log(2.0))),
    ("**", (1.0, 0.0), 1.0, (0.0, 0.0)), ("**", (-INF, 2.0), INF, (-INF, NAN)),
]

# (op, inputs, error, what the message says): the forward refuses, naming the domain
REFUSED = [
    ("log", (0.0,), ValueError, "log needs a positive input"), ("log", (-1.0,), ValueError, "log needs a positive input"),
    ("log", (-INF,), ValueError, "log needs a positive input"),
    ("sqrt", (-1.0,), ValueError, "sqrt needs an input >= 0"), ("sqrt", (-INF,), ValueError, "sqrt needs an input >= 0"),
    ("arcsin", (2.0,), ValueError, r"arcsin needs an input in \[-1, 1\]"),
    ("arcsin", (-1.5,), ValueError, r"arcsin needs an input in \[-1, 1\]"),
    ("arccos", (1.5,), ValueError, r"arccos needs an input in \[-1, 1\]"),
    ("arccos", (-INF,), ValueError, r"arccos needs an input in \[-1, 1\]"),
    ("sin", (INF,), ValueError, "sin needs a finite input"), ("cos", (-INF,), ValueError, "cos needs a finite input"),
    ("tan", (INF,), ValueError, "tan needs a finite input"),
    ("exp", (710.0,), OverflowError, "overflows a float"),
    ("/", (1.0, 0.0), ZeroDivisionError, "division by zero"), ("/", (0.0, 0.0), ZeroDivisionError, "division by zero"),
    ("**-1", (0.0,), ZeroDivisionError, "zero cannot be raised to a negative power"),
    ("**", (0.0, -1.0), ZeroDivisionError, "zero cannot be raised to a negative power"),
    ("**0.5", (-1.0,), ValueError, "a negative base needs an integer exponent"),
    ("**0.5", (-INF,), ValueError, "a negative base needs an integer exponent"),
    ("**", (-2.0, 0.5), ValueError, "a negative base needs an integer exponent"),
    ("**", (-INF, 0.5), ValueError, "a negative base needs an integer exponent"),
]
UNARY["tan"] = lambda v: v.tan()  # only refused here: every finite input is in its domain


def same(x, y):
    """Equal, nan equal to nan. The sign of a zero is not compared: backward adds into .grad = 0.0,
    and 0.0 + -0.0 is 0.0, where torch hands back the -0.0 it computed."""
    return (math.isnan(x) and math.isnan(y)) or x == y


def show(case):
    return f"{case[0]}{case[1]}"


@pytest.mark.parametrize("case", EDGES, ids=show)
def test_the_rule_at_an_edge_gives_what_pytorch_gives(case):
    name, xs, value, want = case
    leaves = [Value(x) for x in xs]
    out = UNARY[name](*leaves)
    assert same(out.data, value), out.data
    assert all(same(g, w) for g, w in zip(grad(out, leaves), want)), grad(out, leaves)
    out.backward()
    assert all(same(leaf.grad, w) for leaf, w in zip(leaves, want)), [leaf.grad for leaf in leaves]
    # through create_graph too: the same numbers as Values, never an error from the Value arithmetic
    assert all(same(d.data, w) for d, w in zip(grad(out, leaves, create_graph=True), want))


@pytest.mark.parametrize("case", [c for c in EDGES if not all(map(math.isfinite, c[3]))], ids=show)
def test_detect_anomaly_names_the_op_of_a_non_finite_gradient(case):
    name, xs, _, _ = case
    with detect_anomaly():
        finite_inputs = all(map(math.isfinite, xs))
        leaves = [Value(x) for x in xs] if finite_inputs else None
        if leaves is None:  # a leaf of inf is itself an anomaly
            with pytest.raises(AnomalyError, match="a leaf Value"):
                Value(xs[0] if not math.isfinite(xs[0]) else xs[1])
            return
        out = UNARY[name](*leaves)
        if not math.isfinite(out.data):
            return  # refused in the forward already (another test)
        for compute in (out.backward, lambda: grad(out, leaves), lambda: grad(out, leaves, create_graph=True)):
            with pytest.raises(AnomalyError, match=f"op '{re.escape(name)}'"):
                compute()
        assert all(leaf.grad == 0.0 for leaf in leaves)  # a refused backward leaves .grad alone


@pytest.mark.parametrize("case", REFUSED, ids=show)
def test_the_forward_refuses_outside_its_domain_naming_it(case):
    name, xs, error, message = case
    with pytest.raises(error, match=message):
        UNARY[name](*[Value(x) for x in xs])


TORCH = {"sqrt": "sqrt", "abs": "abs", "relu": "relu", "exp": "exp", "log": "log", "tanh": "tanh",
         "sigmoid": "sigmoid", "sin": "sin", "cos": "cos", "arcsin": "arcsin", "arccos": "arccos",
         "arctan": "arctan"}


@pytest.mark.parametrize("case", EDGES, ids=show)
def test_the_table_is_what_torch_gives(case):
    torch = pytest.importorskip("torch")
    name, xs, value, want = case
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    f = getattr(torch, TORCH[name]) if name in TORCH else UNARY[name]
    out = f(*ts)
    grads = torch.autograd.grad(out, ts, allow_unused=True, materialize_grads=True)
    assert same(out.item(), value)
    assert all(same(g.item(), w) for g, w in zip(grads, want)), [g.item() for g in grads]
