"""to_javascript: the graph as a JavaScript function, run in Chromium, gives the engine's numbers.

Driven through playwright with the system's Chromium (the ``chromium`` fixture
of tests/browser.py: skipped only when either is missing, never in CI).
"""

import json
import math

import numpy as np
import pytest

from micrograd_id import Value, define_op, grad
from micrograd_id.compiled import to_javascript
from micrograd_id.ops import JS_HELPERS, OPS, power_op


@pytest.fixture(scope="module")
def page(chromium):
    return chromium.new_page()


def run(page, source, arguments):
    """The function's result in the page, numbers as JSON-safe text (NaN and Infinity survive)."""
    script = f"""(args) => {{ {JS_HELPERS}
        const f = {source};
        const r = f(...args);
        const show = (x) => String(x);
        return JSON.stringify({{values: r.values.map(show), grads: r.grads.map(show)}}); }}"""
    result = json.loads(page.evaluate(script, arguments))
    return [float(v) for v in result["values"]], [float(g) for g in result["grads"]]


def nodes_of(root):
    seen, stack, order = set(), [root], []
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            order.append(node)
            stack.extend(node.children)
    return order


def close(a, b):
    if math.isnan(b):
        return math.isnan(a)
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def build(op, a, b):
    """op applied to leaves labelled a (and b), and the leaves."""
    x, y = Value(a, label="a"), Value(b, label="b")
    if op.power is not None or op.arity == 1:
        unary = {"neg": lambda v: -v, "abs": abs}.get(op.name) or (
            (lambda v: v ** op.power) if op.power is not None else (lambda v: getattr(v, op.name)()))
        return unary(x), [x]
    return {"+": x + y, "-": x - y, "*": x * y, "/": x / y, "**": x ** y}[op.name], [x, y]


POINTS = [(0.4, 1.3), (-0.7, 2.0), (2.5, -0.5), (0.0, 0.0), (0.0, 3.0), (-2.0, 3.0), (1.0, 0.0)]
BUILT_IN = [*OPS.values(), power_op(2.0), power_op(0.5), power_op(-1.0), power_op(3.0), power_op(0.0)]


@pytest.mark.parametrize("op", BUILT_IN, ids=lambda op: op.name)
def test_every_built_in_op_gives_the_engines_values_and_gradients(page, op):
    checked = 0
    for a, b in POINTS:
        try:
            out, leaves = build(op, a, b)
            nodes = nodes_of(out)
            expected = grad(out, nodes)
        except (ArithmeticError, ValueError):
            continue  # outside the op's domain: the engine refuses, the page shows NaN (checked below)
        values, grads = run(page, to_javascript(out, leaves, nodes), [a, b][:len(leaves)])
        assert all(close(v, n.data) for v, n in zip(values, nodes)), (op.name, a, b, values)
        assert all(close(g, e) for g, e in zip(grads, expected)), (op.name, a, b, grads, expected)
        checked += 1
    assert checked >= 3, op.name


def test_a_domain_error_is_nan_in_the_page(page):
    x = Value(2.0, label="x")
    out = x.log() * x.sqrt()
    values, grads = run(page, to_javascript(out, [x], [out, x]), [-1.0])
    assert math.isnan(values[0]) and math.isnan(grads[1])


def test_a_graph_of_several_ops_with_a_shared_node(page):
    w, x = Value(0.3, label="w"), Value(-1.2, label="x")
    z = w * x
    out = (abs(z.tanh() + z.sigmoid() * 2.0 - (z ** 2).exp() / (1.0 + abs(w))) + 0.1) ** w.relu()
    nodes = nodes_of(out)
    values, grads = run(page, to_javascript(out, [w, x], nodes), [0.3, -1.2])
    assert all(close(v, n.data) for v, n in zip(values, nodes))
    assert all(close(g, e) for g, e in zip(grads, grad(out, nodes)))


def test_a_user_op_without_a_javascript_form_is_named():
    x = Value(0.5, label="x")
    plain = define_op("softplus", forward=lambda a: math.log1p(math.exp(a)), rule=lambda g, out, a: (g * 0.5,))
    with pytest.raises(ValueError, match="op 'softplus' has no JavaScript form"):
        to_javascript(plain(x), [x], [x])


def test_a_user_op_with_a_javascript_form_runs_in_the_page(page):
    x = Value(0.5, label="x")
    sign = define_op("sign", forward=lambda a: 5.0 * a, rule=lambda g, out, a: (5.0 * g,), js="(5 * {0})")
    out = abs(x) * sign(x)  # named like the helper abs's rule calls: it stays the user's op
    nodes = nodes_of(out)
    values, grads = run(page, to_javascript(out, [x], nodes), [-3.0])
    y = Value(-3.0)
    expected = abs(y) * sign(y)
    assert values[0] == expected.data and grads[nodes.index(x)] == grad(expected, [y])[0]


def test_a_user_op_whose_rule_is_not_arithmetic_is_named():
    x = Value(0.5, label="x")
    softplus = define_op("softplus", forward=lambda a: math.log1p(math.exp(a)),
                         rule=lambda g, out, a: (g * (1.0 - np.exp(-out)),), js="Math.log1p(Math.exp({0}))")
    with pytest.raises(ValueError, match="op 'softplus' has a rule the page cannot run"):
        to_javascript(softplus(x), [x], [x])
