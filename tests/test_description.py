"""describe(): one walk of a graph, and what every view reads from it is the engine's."""

import pytest
from conftest import identity_net_error
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd_id.description as description_module
from micrograd_id import Value, grad
from micrograd_id.description import describe, values_below
from micrograd_id.engine import local_derivatives, topological_order
from micrograd_id.losses import half_squared_error
from micrograd_id.nn import MLP


@st.composite
def graphs(draw):
    nodes = [Value(draw(st.floats(-2, 2)), label=f"x{i}") for i in range(3)]
    ops = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a.tanh(),
           lambda a, b: a.sigmoid(), lambda a, b: a * 0.5, lambda a, b: a.relu(), lambda a, b: a ** 2]
    for _ in range(draw(st.integers(1, 12))):
        nodes.append(draw(st.sampled_from(ops))(draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))))
    return nodes[-1]


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_gradients_are_the_engines_bit_for_bit(root):
    d = describe(root)
    assert d.order == topological_order(root)
    assert [d.gradients[v] for v in d.order] == grad(root, d.order)
    for v in d.order:
        assert tuple(d.local(v)) == tuple(local_derivatives(v))
        if v.children:
            assert d.contributions[v] == tuple(v.operation.rule(d.gradients[v], v.data, *[c.data for c in v.children]))


def test_backward_adds_what_the_contributions_say():
    a = Value(2.0, label="a")
    c = a * a + a
    d = describe(c)
    c.backward()
    assert d.uses[a] == 3
    assert sum(d.contributions[v][i] for v in d.order for i, x in enumerate(v.children) if x is a) == a.grad == 5.0


def test_the_graph_is_ordered_once_for_names_gradients_formulas_and_groups(monkeypatch):
    model = MLP(2, [3, 1], seed=0)
    loss = half_squared_error(model([1.0, -1.0]), 1.0)
    calls = []
    original = description_module.topological_order
    monkeypatch.setattr(description_module, "topological_order", lambda root: calls.append(root) or original(root))
    d = describe(loss)
    d.names, d.gradients, d.uses, d.groups("neuron"), d.groups("layer")
    [d.formula(v, i) for v in d.order for i in range(len(v.children))]
    assert calls == [loss]


def test_names_and_symbols():
    net, E = identity_net_error(0.3, 1.0)
    d = describe(E)
    z = next(v for v in d.order if v.label == "z")
    square = E.children[1]
    assert d.name(square) == "(y_hat − y)^2" and d.operand(square) == "((y_hat − y)^2)"
    assert d.d(E, z) == "∂E/∂z" and d.d(square, net.w) == "∂((y_hat − y)^2)/∂w"
    assert d.expression_with_numbers(z).text == "0.3·1"
    assert d.formula(z, 0).text == "x" and d.formula_with_numbers(square, 0, 3).text == "2·(-0.426)"
    stranger = Value(-2.0)
    assert stranger not in d and d.name(stranger) == "-2"


def test_neuron_and_layer_boxes():
    model = MLP(2, [3, 1], seed=0)
    loss = half_squared_error(model([1.0, -1.0]), 1.0)
    d = describe(loss)
    assert d.nn_labelled
    assert set(d.groups("neuron").values()) == {"L0.N0", "L0.N1", "L0.N2", "L1.N0"}
    assert set(d.groups("layer").values()) == {"L0", "L1"}
    with pytest.raises(ValueError, match="collapse must be"):
        d.groups("neurons")
    assert not describe(Value(1.0) * 2.0).nn_labelled


@pytest.mark.parametrize("build, reason", [
    (lambda: (Value(-1.0, label="u").relu(), 0), "relu is inactive: its input u = (-1) ≤ 0"),
    (lambda: (Value(3.0, label="a") * Value(0.0, label="x"), 0), "the other factor x is 0"),
    (lambda: (Value(30.0, label="s").sigmoid(), 0), "sigmoid is saturated"),
    (lambda: (Value(-8.0, label="t").tanh(), 0), "tanh is saturated"),
    (lambda: (Value(0.0, label="q") ** 2, 0), "∂(q^2)/∂q = 2·q = 0 here"),
    (lambda: (Value(1.0, label="p").tanh(), 0), None),
])
def test_why_a_local_derivative_is_flat(build, reason):
    node, i = build()
    why = describe(node).why_flat(node, i)
    assert why == reason if reason is None else reason in why


def test_values_below_stops_past_the_limit():
    x = Value(1.0, label="x")
    v = x
    for _ in range(10_000):
        v = v * 1.0
    assert len(values_below(v, 100)) == 101
    assert len(values_below(v, 100, computed_only=True)) == 101
    assert all(u.children for u in values_below(v, 100, computed_only=True))
    assert len(values_below(v, None)) == 20_001
    assert len(values_below(x, 5)) == 1


def test_describe_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match="described from a Value, got float"):
        describe(1.0)
