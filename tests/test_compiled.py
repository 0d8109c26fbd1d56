"""compile_graph: the same numbers as the engine (exactly, on floats), readable source, safe labels."""

import math

import numpy as np
import pytest
from expression_trees import BINARY, UNARY, OutOfDomain, evaluate, in_domain, inputs, show, trees
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from micrograd_id import Value, define_op, grad
from micrograd_id.compiled import compile_graph
from micrograd_id.identity import hand_gradient
from micrograd_id.identity import IdentityNet
from micrograd_id.losses import half_squared_error
from micrograd_id.nn import MLP


def same(a, b):
    """Equal floats, nan equal to nan: what "bitwise equal" checks (0.0 and -0.0 count as equal)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def identity_error(w=0.3, x=1.0, y=1.0):
    net = IdentityNet(w)
    x, y = Value(x, label="x"), Value(y, label="y")
    return net, x, y, half_squared_error(net(x), y)


def recorded(tree, values):
    """(output, leaves) of a tree on fresh Values, or None where the engine refuses the numbers."""
    leaves = [Value(v, label=f"x{i}") for i, v in enumerate(values)]
    try:
        return evaluate(tree, leaves), leaves
    except (ArithmeticError, ValueError):
        return None


# ----- the identity network: the source is eq. (6), step by step ----------------------------

def test_identity_network_compiles_to_eq6():
    net, x, y, E = identity_error()
    cg = compile_graph(E, inputs=[net.w, x, y], wrt=[net.w])
    value, (dw,) = cg(0.3, 1.0, 1.0)
    E.backward()
    assert value == E.data and dw == net.w.grad
    assert dw == pytest.approx(hand_gradient(0.3, 1.0), rel=1e-15)
    for line in ("z = w * x", "y_hat = ops.sigmoid(z)", "d_z = d_v2 * (y_hat * (1.0 - y_hat))", "d_w = d_z * x"):
        assert line in cg.source
    assert cg.source.index("d_w = ") > cg.source.index("y_hat = ")  # forward block, then backward


def test_new_inputs_give_the_engines_numbers_at_them():
    net, x, y, E = identity_error()
    cg = compile_graph(E, inputs=[net.w, x, y])
    for w, xv in [(-2.0, 0.5), (4.0, 1.0), (0.0, 0.0)]:
        net2, x2, y2, E2 = identity_error(w, xv, xv)
        assert cg(w, xv, xv) == (E2.data, grad(E2, [net2.w, x2, y2]))


def test_arrays_broadcast_and_parameters_get_batch_summed_gradients():
    net, x, y, E = identity_error()
    cg = compile_graph(E, inputs=[net.w, x, y], wrt=[net.w, x])
    xs = np.array([0.0, 0.25, 1.0])
    values, (dw, dx) = cg(0.3, xs, xs)
    assert values.shape == (3,) and isinstance(dw, float) and dx.shape == (3,)
    singles = [cg(0.3, float(v), float(v)) for v in xs]
    assert values == pytest.approx([v for v, _ in singles], rel=1e-14)
    assert dw == pytest.approx(sum(g[0] for _, g in singles), rel=1e-14)
    assert dx == pytest.approx([g[1] for _, g in singles], rel=1e-14)


def test_mlp_batch_gradients_are_the_engines_exactly():
    model = MLP(2, [4, 4, 1], seed=0)
    loss = sum(((model([a, b]) - t) ** 2 for (a, b), t in [((0.5, -1.0), 1.0), ((-0.3, 0.8), -1.0)]), Value(0.0))
    params = model.parameters()
    cg = compile_graph(loss, inputs=params)
    loss.backward()
    value, grads = cg(*[p.data for p in params])
    assert value == loss.data and grads == [p.grad for p in params]


def test_constants_round_trip_exactly():
    x = Value(0.7, label="x")
    out = x * 0.1 + (1 / 3) - x * 1e-300 + Value(-2.5) * x
    cg = compile_graph(out, [x])
    assert cg(0.7)[0] == out.data and cg(0.7)[1] == grad(out, [x])


# ----- every op, on random expressions ---------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(trees(3), inputs(3))
def test_random_expressions_match_the_engine_bitwise(tree, values):
    made = recorded(tree, values)
    assume(made is not None)
    out, leaves = made
    try:
        expected = grad(out, leaves)
    except (ArithmeticError, ValueError):
        assume(False)
    value, grads = compile_graph(out, leaves)(*values)
    assert same(value, out.data), show(tree)
    assert all(same(a, b) for a, b in zip(grads, expected)), (show(tree), grads, expected)


@settings(max_examples=150, deadline=None)
@given(trees(2), st.lists(inputs(2, bound=1.5), min_size=2, max_size=5))
def test_random_expressions_on_arrays_match_the_engine_per_sample(tree, samples):
    """Arrays change the order of operations (numpy's own exp, a summed batch): within 1e-12."""
    made = [recorded(tree, s) for s in samples]
    assume(all(m is not None for m in made))
    try:
        singles = [grad(out, leaves) for out, leaves in made]
    except (ArithmeticError, ValueError):
        assume(False)
    numbers = [out.data for out, _ in made] + [g for gs in singles for g in gs]
    assume(all(math.isfinite(n) and abs(n) < 1e8 for n in numbers))
    out, leaves = made[0]
    columns = np.array(samples).T
    values, grads = compile_graph(out, leaves)(*columns)
    assert np.allclose(values, [o.data for o, _ in made], rtol=1e-12, atol=1e-12), show(tree)
    for k, g in enumerate(grads):
        assert np.allclose(g, [gs[k] for gs in singles], rtol=1e-12, atol=1e-12), show(tree)


@settings(max_examples=100, deadline=None)
@given(trees(2), inputs(2))
def test_random_expressions_match_torch(tree, values):
    torch = pytest.importorskip("torch")
    leaves = [Value(v) for v in values]
    try:
        out = evaluate(tree, leaves, check=in_domain)
    except (OutOfDomain, ArithmeticError, ValueError):
        assume(False)
    value, grads = compile_graph(out, leaves)(*values)
    tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    expected = evaluate(tree, tensors)
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-9, abs=1e-12)
    for g, t in zip(grads, tensors):
        assert g == pytest.approx(0.0 if t.grad is None else t.grad.item(), rel=1e-9, abs=1e-9), show(tree)


@pytest.mark.parametrize("op", sorted(UNARY) + sorted(BINARY))
def test_each_op_compiles(op):
    a, b = Value(0.4, label="a"), Value(1.3, label="b")
    out = UNARY[op](a) if op in UNARY else BINARY[op](a, b)
    leaves = [a] if op in UNARY else [a, b]
    value, grads = compile_graph(out, leaves)(*[v.data for v in leaves])
    assert value == out.data and grads == grad(out, leaves)


# ----- ops the compiler cannot write out: called as functions -----------------------------

def test_user_ops_are_called_as_functions_on_floats_and_arrays():
    softplus = define_op("softplus", forward=lambda a: math.log1p(math.exp(a)),
                         rule=lambda g, out, a: (g * (1.0 - np.exp(-out)),))
    mix = define_op("mix", forward=lambda a, b, c: a * b + c, rule=lambda g, out, a, b, c: (g * b, g * a, g))
    x, y = Value(0.3, label="x"), Value(-1.2, label="y")
    out = mix(softplus(x), y, x * y)
    cg = compile_graph(out, [x, y])
    assert cg(0.3, -1.2) == (out.data, grad(out, [x, y]))
    values, grads = cg(np.array([0.3, 0.5]), -1.2)
    assert values[0] == pytest.approx(out.data, rel=1e-15)
    assert grads[1] == pytest.approx(grad(out, [x, y])[1] + cg(0.5, -1.2)[1][1], rel=1e-14)


def test_a_power_with_a_value_exponent_calls_its_rule():
    a, b = Value(1.7, label="a"), Value(0.6, label="b")
    out = a ** b
    cg = compile_graph(out, [a, b])
    assert "rules.pow(" in cg.source  # the rule branches on its numbers: called, not written out
    assert cg(1.7, 0.6) == (out.data, grad(out, [a, b]))
    a0, b0 = Value(0.0), Value(2.0)
    at_zero = a0 ** b0
    assert cg(0.0, 2.0) == (0.0, grad(at_zero, [a0, b0])) == (0.0, [0.0, 0.0])  # flat in b at a = 0
    with pytest.raises(ValueError, match="not real"):
        cg(-2.0, 0.5)


# ----- what the compiled graph is and is not -------------------------------------------------

def test_python_control_flow_is_baked_in_at_record_time():
    def f(x):
        return x * x if x > 0 else -3 * x  # a branch on the Value's number

    x = Value(2.0, label="x")
    cg = compile_graph(f(x), [x])
    assert cg(-1.0)[0] == 1.0  # the recording squares, whatever the new x
    assert f(Value(-1.0)).data == 3.0  # running the Python again takes the other branch


def test_wrt_defaults_to_the_inputs_and_unused_inputs_get_zero():
    x, y, z = Value(1.5, label="x"), Value(2.0, label="y"), Value(3.0, label="z")
    cg = compile_graph(x * y, [x, y, z])
    assert cg(1.5, 2.0, 3.0) == (3.0, [2.0, 1.5, 0.0])
    assert compile_graph(x, [x])(4.0) == (4.0, [1.0])


def test_bad_arguments_are_clear_errors():
    x, y = Value(1.0, label="x"), Value(2.0)
    out = x * y
    with pytest.raises(ValueError, match="leaves"):
        compile_graph(out, [out])
    with pytest.raises(ValueError, match="among the inputs"):
        compile_graph(out, [x], wrt=[y])
    with pytest.raises(TypeError, match="list of inputs"):
        compile_graph(out, x)
    cg = compile_graph(out, [x])
    with pytest.raises(TypeError, match="takes 1 input"):
        cg(1.0, 2.0)
    with pytest.raises(TypeError, match="an input value"):
        cg("abc")


# ----- safety: labels reach the source only inside comments ---------------------------------------

HOSTILE = ["\nimport os\nos.system('touch PWNED')", "x'); __import__('os').system('touch PWNED'); ('",
           'a"""b', "line\rbreak", "sep\u2028arator", "nul\x00byte", "back\\", "import os", "__class__",
           "abs", "np", "inf", "d_w", "forward_backward", "w", "w", "é", "x" * 300]


def test_hostile_labels_cannot_run_and_change_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    leaves = [Value(0.1 * (k + 1), label=label) for k, label in enumerate(HOSTILE)]
    out = leaves[0]
    for k, v in enumerate(leaves[1:]):
        out = (out * v).tanh() + v
        out.label = HOSTILE[k]
    evil = define_op("os.system('touch PWNED')\n", forward=lambda a: 2.0 * a, rule=lambda g, out, a: (2.0 * g,),
                     derivatives=["2\nimport os"])
    out = evil(out)
    cg = compile_graph(out, leaves)
    assert cg(*[v.data for v in leaves]) == (out.data, grad(out, leaves))
    assert not list(tmp_path.iterdir())
    code = [line.split("#")[0] for line in cg.source.splitlines()]
    for text in ("os", "PWNED", "import", "'", '"', "\\"):
        assert not any(text in line for line in code), text
    assert len(cg.source.splitlines()) == cg.source.count("\n")  # no label broke a line


# ----- the printer keeps the rule's order of operations -------------------------------------

SHAPES = [lambda a, b, c: a - (b - c), lambda a, b, c: a / (b * c), lambda a, b, c: a * (b * c),
          lambda a, b, c: (a ** b) ** c, lambda a, b, c: a ** -b, lambda a, b, c: -(a * b) + c,
          lambda a, b, c: (a + b) * c, lambda a, b, c: a - b - c, lambda a, b, c: 2.0 * (a * (1.0 - b)),
          lambda a, b, c: -(-a), lambda a, b, c: (-a) ** b, lambda a, b, c: a * -1.5 - c / -b]


@given(st.sampled_from(range(len(SHAPES))), st.lists(st.floats(0.1, 3.0), min_size=3, max_size=3))
def test_staged_arithmetic_evaluates_exactly_as_the_rule(k, numbers):
    from micrograd_id.tracing import PythonPrinter, Symbol

    text = PythonPrinter({}, lambda op: None).text(SHAPES[k](*map(Symbol.name, "abc")))
    assert eval(text, dict(zip("abc", numbers))) == SHAPES[k](*numbers), text  # noqa: S307


# ----- train(compiled=True): the same run, replayed ------------------------------------------------

@pytest.mark.parametrize("make, xs, full_batch", [
    (lambda: IdentityNet(0.3), [0.0, 1.0], False),
    (lambda: IdentityNet(0.3, bias=0.0), [0.0, 1.0], True),
    (lambda: MLP(2, [3, 1], seed=1, activation="tanh"), [[0.5, -1.0], [1.0, 0.25]], False),
])
def test_train_compiled_gives_the_same_history(make, xs, full_batch):
    from micrograd_id.train import train

    ys = [0.2, 0.9] if isinstance(xs[0], list) else None
    runs = [train(make(), xs, ys, lr=0.5, steps=12, full_batch=full_batch, compiled=c).rows for c in (False, True)]
    assert runs[0] == runs[1]


def test_the_compile_command_prints_source_that_runs(capsys):
    from micrograd_id import cli

    assert cli.main(["compile", "--w", "0.3", "--x", "1", "--time"]) == 0
    text = capsys.readouterr().out
    source, timing = text.rsplit("\n# one forward", 1)
    assert "d_w = d_z * x" in source and "faster" in timing
    compile(source, "<cli>", "exec")  # the printed source is valid Python


def test_a_gradient_shared_after_a_plus_is_not_changed_in_place_on_arrays():
    """d_x1 = d_v2 then d_x0 = d_v2 and d_x0 += …: with += numpy would change d_x1 too."""
    x0, x1 = Value(1.0, label="x0"), Value(0.5, label="x1")
    out = ((x0 + x1) + -2.5) * (-2.5 + x0)
    values, (g0, g1) = compile_graph(out, [x0, x1])(np.array([1.0, 1.5]), np.array([0.5, -1.5]))
    for k, (a, b) in enumerate([(1.0, 0.5), (1.5, -1.5)]):
        va, vb = Value(a), Value(b)
        ga, gb = grad(((va + vb) + -2.5) * (-2.5 + va), [va, vb])
        assert (g0[k], g1[k]) == (ga, gb)



def test_relu_on_arrays_gives_the_engines_numbers_at_the_kink_and_at_nan():
    """relu(-0.0) is 0.0 (not -0.0) and relu(nan) is nan, per sample as on floats; the gradient there is 0.0."""
    x = Value(1.0, label="x")
    samples = [-0.0, 0.0, math.nan, math.inf, -math.inf, -1.5, 2.0, 5e-324]
    values, (grads,) = compile_graph(x.relu(), [x])(np.array(samples))
    for k, number in enumerate(samples):
        leaf = Value(number)
        out = leaf.relu()
        (expected,) = grad(out, [leaf])
        assert same(values[k], out.data) and math.copysign(1.0, values[k]) == math.copysign(1.0, out.data)
        assert same(grads[k], expected)

# ----- folding: one expression per neuron, bounded, the same numbers -----------------------------

def test_a_neurons_weighted_sum_is_one_expression():
    model = MLP(2, [3, 1], seed=0)
    x = [Value(0.5, label="a"), Value(-1.0, label="b")]
    loss = (model(x) - 1.0) ** 2
    cg = compile_graph(loss, inputs=[*x, *model.parameters()])
    assert "L0_N0 = ops.relu(L0_N0_b + L0_N0_w0 * a + L0_N0_w1 * b)" in cg.scalar_source
    loss.backward()
    value, grads = cg(0.5, -1.0, *[p.data for p in model.parameters()])
    assert value == loss.data and grads == [v.grad for v in [*x, *model.parameters()]]


def test_a_long_chain_of_single_use_values_stays_within_the_parsers_limits():
    x = Value(0.1, label="x")
    v = x
    for k in range(3000):
        v = v * 1.0001 + x if k % 2 else v + x
    cg = compile_graph(v, [x])
    assert max(len(line.split("#")[0]) for line in cg.source.splitlines()) < 2000
    assert cg(0.1) == (v.data, grad(v, [x]))


def test_constants_are_the_numbers_at_compile_time_in_every_program():
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    out = (w * x).tanh()
    cg = compile_graph(out, [w])  # x is a constant: 2.0
    x.data = 3.0  # changed after compiling: no program sees it
    value, (dw,) = cg(np.array([0.5]))  # the array program is written now
    assert value[0] == pytest.approx(math.tanh(1.0), rel=1e-15) and cg(0.5)[0] == math.tanh(1.0)
