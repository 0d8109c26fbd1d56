"""Layers as matrix products: compile_graph finds the neurons, writes W @ U + b, and keeps the engine's numbers.

On numpy arrays a layer is one matrix product each way; a matrix product
sums in another order than the engine, so numbers agree within 1e-12
relative. On floats the program is one line per op: exactly the engine's.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_id import Value, define_op, detect_anomaly, grad
from micrograd_id.engine import AnomalyError
from micrograd_id.compiled import compile_graph
from micrograd_id.nn import MLP
from micrograd_id.ops import OPS, power_op

RNG = np.random.default_rng(0)


def close(a, b, rel=1e-12):
    return np.allclose(a, b, rtol=rel, atol=rel * max(1.0, float(np.max(np.abs(b)))))


def per_sample(build, leaves, columns):
    """The engine's value and gradients at each sample (a row of columns), one graph per sample."""
    values, grads = [], []
    for row in np.array(columns).T:
        fresh = [Value(float(v)) for v in row]
        out = build(fresh)
        values.append(out.data)
        grads.append(grad(out, fresh))
    return np.array(values), np.array(grads)


def check_layers(build, n_inputs, data, samples=5, scale=0.5, offset=0.0, wrt=None):
    """build(leaves) -> output; the first ``data`` leaves vary per sample, the rest are parameters."""
    values = list(RNG.uniform(-scale, scale, n_inputs) + offset)
    leaves = [Value(v, label=f"p{i}") for i, v in enumerate(values)]
    out = build(leaves)
    cg = compile_graph(out, leaves)
    assert "@" in cg.source, cg.source  # found a layer
    value, grads = cg(*values)  # floats: one line per op, the engine's numbers exactly
    assert (value, grads) == (out.data, grad(out, leaves))
    columns = [RNG.uniform(-scale, scale, samples) + offset if i < data else values[i] for i in range(n_inputs)]
    expected_values, expected_grads = per_sample(build, leaves, np.broadcast_arrays(*columns))
    got_values, got_grads = cg(*columns)
    assert close(got_values, expected_values)
    for i, g in enumerate(got_grads):  # data: per sample; parameters: summed over the samples
        assert close(g, expected_grads[:, i] if i < data else expected_grads[:, i].sum()), i
    return cg


def mlp_loss(model, n_in):
    def build(leaves):
        params = dict(zip(model.parameters(), leaves[n_in:]))
        return (_rebuilt(model, leaves[:n_in], params) - 0.5) ** 2
    return build


def _rebuilt(model, xs, params):
    """model's forward on leaves standing for its parameters (so each sample gets fresh Values)."""
    values = xs
    for k, layer in enumerate(model.layers):
        outs = []
        for neuron in layer.neurons:
            total = params[neuron.b]
            for w, x in zip(neuron.w, values):
                total = total + params[w] * x
            outs.append(total if k == len(model.layers) - 1 else total.relu())
        values = outs
    return values[0]


def test_the_mlp_is_a_layer_a_line_and_keeps_the_engines_numbers():
    model = MLP(2, [4, 4, 1], seed=0)
    n = 2 + len(model.parameters())
    cg = check_layers(mlp_loss(model, 2), n, data=2)
    assert "A0 = ops.relu(W0 @ U0 + b0)" in cg.source and "A1 = ops.relu(W1 @ A0 + b1)" in cg.source


def test_the_mlp_2_16_16_1_source_is_short_and_names_its_neurons():
    model = MLP(2, [16, 16, 1], seed=0)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    loss = (model(x) - 1.0) ** 2
    cg = compile_graph(loss, [*x, *model.parameters()])
    lines = cg.source.splitlines()
    assert len(lines) <= 150 and len(cg.scalar_source.splitlines()) > 500
    assert any("L0: N0…N15: 16 neurons × 2 inputs" in line for line in lines)
    assert any("L1: N0…N15: 16 neurons × 16 inputs" in line for line in lines)
    assert any("L2: N0: 1 neuron × 16 inputs" in line for line in lines)


def test_the_nn_mlp_as_recorded_on_arrays():
    model = MLP(3, [5, 1], seed=2, activation="tanh")
    x = [Value(0.1 * k, label=f"x{k}") for k in range(3)]
    loss = (model(x) - 0.3) ** 2
    params = model.parameters()
    cg = compile_graph(loss, [*x, *params], wrt=params)
    X = RNG.uniform(-1, 1, (3, 7))
    value, grads = cg(*X, *[p.data for p in params])
    engine = [grad((model([Value(v) for v in row]) - 0.3) ** 2, params) for row in X.T]
    assert close(grads, np.sum(engine, axis=0))
    assert value.shape == (7,)


def test_a_hand_built_network_with_its_terms_in_any_order():
    def build(leaves):
        x1, x2, w11, w12, w21, w22, b1, b2, v1, v2 = leaves
        h1 = (w11 * x1 + w12 * x2 + b1).tanh()
        h2 = (x2 * w22 + b2 + x1 * w21).tanh()  # operands swapped, bias in the middle
        return v1 * h1 + h2 * v2  # a linear neuron without bias
    cg = check_layers(build, 10, data=2)
    assert cg.source.count("@") >= 2


def test_a_layer_over_constants_and_computed_values():
    def build(leaves):
        a, w1, w2, w3, w4 = leaves
        u = a.exp()
        return (w1 * u + w2 * 2.0).sigmoid() * (w3 * u + w4 * 2.0).sigmoid()
    check_layers(build, 5, data=1)


ACTIVATIONS = [op for op in OPS.values() if op.arity == 1] + [power_op(2.0), power_op(3.0)]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda op: op.name)
def test_every_activation_with_and_without_bias(act, bias):
    apply = {"neg": lambda v: -v, "abs": abs}.get(act.name) or (
        (lambda v: v ** act.power) if act.power is not None else (lambda v: getattr(v, act.name)()))

    def build(leaves):  # 3 neurons over 2 inputs; weights and inputs positive: z in (0.1, 0.9), every domain
        x = leaves[:2]
        w = [leaves[2:4], leaves[4:6], leaves[6:8]]
        b = leaves[8:11]
        outs = []
        for j in range(3):
            z = w[j][0] * x[0] + w[j][1] * x[1]
            outs.append(apply(z + b[j] if bias else z))
        return outs[0] + outs[1] * 0.5 + outs[2] * 0.25
    check_layers(build, 11, data=2, scale=0.1, offset=0.3)


def test_a_user_activation_is_called_on_the_whole_block():
    softplus = define_op("softplus", forward=lambda a: math.log1p(math.exp(a)),
                         rule=lambda g, out, a: (g * (1.0 - np.exp(-out)),))

    def build(leaves):
        x, w = leaves[:2], leaves[2:]
        return softplus(w[0] * x[0] + w[1] * x[1]) * softplus(w[2] * x[0] + w[3] * x[1])
    cg = check_layers(build, 6, data=2)
    assert "rules.softplus(" in cg.source


def test_the_packed_entry_gives_the_calls_numbers_per_slot():
    model = MLP(2, [3, 1], seed=1)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    loss = (model(x) - 1.0) ** 2
    params = model.parameters()
    cg = compile_graph(loss, [*x, *params], wrt=params)
    X = RNG.uniform(-1, 1, (2, 6))
    values = [*X, *[p.data for p in params]]
    packed = cg.pack(values)
    assert [slot.kind for slot in cg.slots] == ["input", "input", "weights", "biases", "weights", "biases"]
    assert packed[2].shape == (3, 2) and packed[3].shape == (3, 1) and packed[4].shape == (1, 3)
    value, grads = cg.run_packed(*packed)
    expected_value, expected_grads = cg(*values)
    assert np.array_equal(value, expected_value)
    assert grads[0] is None and grads[1] is None  # data outside wrt
    assert cg.unpack(packed)[2:] == [p.data for p in params]
    by_input = {}
    for slot, g in zip(cg.slots, grads):
        if g is not None:
            for i, d in zip(slot.positions.flat, np.ravel(g)):
                by_input[int(i)] = d
    assert [by_input[i] for i in range(2, 2 + len(params))] == expected_grads


def test_a_parameter_used_twice_is_no_layer_and_stays_exact():
    w, b = Value(0.3, label="w"), Value(0.1, label="b")
    x1, x2 = Value(0.5, label="x1"), Value(-1.0, label="x2")
    out = (w * x1 + b).tanh() + (w * x2 + b).tanh() + x1 * x2  # every input used twice: nothing of its own
    cg = compile_graph(out, [w, b, x1, x2])
    assert "@" not in cg.source
    assert cg(0.3, 0.1, 0.5, -1.0) == (out.data, grad(out, [w, b, x1, x2]))


def test_parameters_given_per_sample_fall_back_to_the_scalar_program():
    model = MLP(2, [3, 1], seed=1)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    loss = (model(x) - 1.0) ** 2
    params = model.parameters()
    cg = compile_graph(loss, [*x, *params])
    first = params[0].data
    values, grads = cg(0.5, -1.0, np.array([first, first + 0.1]), *[p.data for p in params[1:]])
    assert values[0] == pytest.approx(loss.data, rel=1e-12) and np.shape(grads[2]) == (2,)


LAYER_ACTIVATIONS = ["tanh", "sigmoid", "relu", "exp", "arctan", "sin", None]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=3), st.sampled_from(LAYER_ACTIVATIONS),
       st.booleans(), st.randoms(use_true_random=False))
def test_random_hand_built_networks_keep_the_engines_numbers(sizes, act, bias, rng):
    """Networks of Values written as a learner might: terms in any order, w·u or u·w, sum() or +."""
    n_in = sizes[0]
    params, layers = [], []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        rows = []
        for _ in range(fan_out):
            rows.append(([len(params) + k for k in range(fan_in)], len(params) + fan_in if bias else None))
            params.extend(rng.uniform(-1, 1) for _ in range(fan_in + (1 if bias else 0)))
        layers.append(rows)

    def build(leaves):
        xs, ps = leaves[:n_in], leaves[n_in:]
        values = xs
        for depth, rows in enumerate(layers):
            outs = []
            for weights, b in rows:
                terms = [ps[w] * u if rng_order[w] else u * ps[w] for w, u in zip(weights, values)]
                terms = [terms[i] for i in orders[weights[0]]]
                if b is not None:
                    terms.insert(len(terms) // 2, ps[b])
                z = sum(terms[1:], terms[0]) if len(terms) > 1 else terms[0]
                last = depth == len(layers) - 1
                outs.append(z if act is None or last else getattr(z, act)())
            values = outs
        return sum(v * (k + 1.0) for k, v in enumerate(values))

    rng_order = [rng.random() < 0.5 for _ in params]
    orders = {}
    for rows in layers:
        for weights, _ in rows:
            order = list(range(len(weights)))
            rng.shuffle(order)
            orders[weights[0]] = order
    values = [rng.uniform(-1, 1) for _ in range(n_in)] + params
    leaves = [Value(v) for v in values]
    out = build(leaves)
    cg = compile_graph(out, leaves)
    assert cg(*values) == (out.data, grad(out, leaves))
    columns = [np.array([rng.uniform(-1, 1) for _ in range(4)]) for _ in range(n_in)] + params
    expected_values, expected_grads = per_sample(build, leaves, np.broadcast_arrays(*columns))
    got_values, got_grads = cg(*columns)
    assert close(got_values, expected_values)
    for i, g in enumerate(got_grads):
        assert close(g, expected_grads[:, i] if i < n_in else expected_grads[:, i].sum()), (i, cg.source)


def test_also_returns_a_neurons_value_per_sample_and_anomalies_are_named_in_the_packed_entry():
    model = MLP(2, [3, 1], seed=1)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    out = model(x)
    loss = out * x[0].log()  # log(0) = -inf at the second sample
    params = model.parameters()
    cg = compile_graph(loss, [*x, *params], wrt=params, also=[out])
    X = np.array([[0.5, 0.0], [-1.0, 2.0]])
    values, grads, (outs,) = cg(*X, *[p.data for p in params])
    for k in range(2):
        sample = model([float(v) for v in X[:, k]])
        assert outs[k] == pytest.approx(sample.data, rel=1e-12)
    packed = cg.pack([*X, *[p.data for p in params]])
    with detect_anomaly(), pytest.raises(AnomalyError, match="op 'log'"):
        cg.run_packed(*packed)
