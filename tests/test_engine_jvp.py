"""Forward mode: jvp(output, inputs, tangents) is Σ ∂output/∂input · tangent, as reverse mode gives it."""

import math

import pytest
from expression_trees import OutOfDomain, evaluate, in_domain, inputs, show, trees
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from micrograd_id import Value, grad, jvp
from micrograd_id.nn import MLP

TANGENTS = st.lists(st.floats(-3, 3), min_size=3, max_size=3)


@settings(deadline=None, max_examples=300)
@given(trees(3, max_leaves=12), inputs(3), TANGENTS)
def test_jvp_equals_the_gradient_dotted_with_the_tangents(tree, xs, tangents):
    leaves = [Value(x) for x in xs]
    try:
        out = evaluate(tree, leaves, in_domain)
    except OutOfDomain:
        reject()
    grads = grad(out, leaves)
    terms = [g * t for g, t in zip(grads, tangents)]
    scale = max([1.0] + [abs(t) for t in terms])
    assert jvp(out, leaves, tangents) == pytest.approx(sum(terms), rel=1e-10, abs=1e-12 * scale), show(tree)


@settings(deadline=None, max_examples=100)
@given(trees(2, max_leaves=8), inputs(2), st.floats(-3, 3), st.floats(-3, 3))
def test_an_inner_node_as_input_counts_as_grad_counts_it(tree, xs, t_leaf, t_inner):
    leaves = [Value(x) for x in xs]
    try:
        inner = evaluate(tree, leaves, in_domain)
    except OutOfDomain:
        reject()
    out = inner * leaves[0] + inner.tanh()
    g_leaf, g_inner = grad(out, [leaves[0], inner])
    want = g_leaf * t_leaf + g_inner * t_inner
    assert jvp(out, [leaves[0], inner], [t_leaf, t_inner]) == pytest.approx(want, rel=1e-10, abs=1e-10)


def test_one_sweep_gives_a_directional_derivative_of_an_mlp():
    model = MLP(3, [4, 1], seed=0)
    x = [Value(0.5), Value(-1.0), Value(2.0)]
    out = model(x)
    params = model.parameters()
    direction = [math.sin(k) for k in range(len(params))]
    want = sum(g * d for g, d in zip(grad(out, params), direction))
    assert jvp(out, params, direction) == pytest.approx(want, rel=1e-12)


def test_jvp_basics():
    a, b, c = Value(2.0), Value(3.0), Value(5.0)
    out = a * b
    assert jvp(out, [a, b], [1.0, 0.0]) == 3.0  # ∂(ab)/∂a
    assert jvp(out, [a, b], [0.0, 1.0]) == 2.0
    assert jvp(out, [a, a], [1.0, 2.0]) == 9.0  # an input listed twice: tangents add
    assert jvp(out, [c], [1.0]) == 0.0  # an input the output does not reach
    assert jvp(out, [], []) == 0.0
    assert jvp(a, [a], [4.0]) == 4.0  # the output is the input
    assert type(jvp(out, [a, b], [1, 1])) is float
    assert a.grad == b.grad == out.grad == 0.0  # forward mode touches no .grad


@pytest.mark.parametrize("call, error, message", [
    (lambda a: jvp(1.0, [a], [1.0]), TypeError, "jvp\\(\\) needs a Value output, got float"),
    (lambda a: jvp(a * a, a, [1.0]), TypeError, "takes a list of inputs"),
    (lambda a: jvp(a * a, [1.0], [1.0]), TypeError, "inputs must be Values, got float"),
    (lambda a: jvp(a * a, [a], [1.0, 2.0]), ValueError, "one tangent per input: 1 inputs, 2 tangents"),
    (lambda a: jvp(a * a, [a, a], [1.0]), ValueError, "one tangent per input: 2 inputs, 1 tangents"),
    (lambda a: jvp(a * a, [a], ["x"]), TypeError, "tangent must be a real number"),
    (lambda a: jvp(a * a, [a], [None]), TypeError, "tangent must be a real number"),
])
def test_jvp_refuses_bad_arguments_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call(Value(1.5))


def test_a_singular_derivative_gives_inf_as_in_reverse_mode():
    a = Value(0.0)
    out = a.sqrt()
    assert jvp(out, [a], [1.0]) == math.inf == grad(out, [a])[0]
