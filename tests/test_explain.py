"""explain(): the numbers it prints are the gradients, path by path and in total."""

import math
import re

import pytest
from conftest import identity_net_error
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_id import Value, grad
from micrograd_id.description import describe
from micrograd_id.explain import count_paths, explain
from micrograd_id.identity import IdentityNet, derivation, hand_gradient, hand_gradient_bias
from micrograd_id.losses import half_squared_error, mse
from micrograd_id.nn import MLP

NUMBER = r"\(?(-?\d[\d.e+-]*|-?inf|nan)\)?"


def path_total(text):
    """The sum over the listed paths (or the summary's total), as printed in full."""
    match = (re.search(r"With a single path, .+ is that product: (\S+)$", text, re.M)
             or re.search(r"Sum over the \d+ paths: .* = (\S+)$", text, re.M)
             or re.search(r"counted, not listed\.(?:.|\n)*?^  = (\S+)$", text, re.M))
    assert match, text
    return float(match.group(1))


def reverse_mode_number(text):
    return float(re.search(r"Reverse mode \(micrograd_id\.grad\) gives (\S+?):", text).group(1))


def path_blocks(text):
    """[(factor numbers, product)] for each listed path."""
    blocks = []
    for block in re.split(r"\npath \d+ of \d+:", text)[1:]:
        lines = [line for line in block.split("\n") if line.startswith("  = ")]
        numbers = [float(m) for m in re.findall(NUMBER, lines[-2][4:])] if len(lines) >= 3 else None
        blocks.append((numbers, float(lines[-1][4:])))
    return blocks


# ----- the seed's network ------------------------------------------------------------

@pytest.mark.parametrize("w, x", [(0.3, 1.0), (-2.0, 1.0), (1.7, 0.0), (0.3, 0.5)])
def test_seed_net_total_equals_w_grad_and_eq6(w, x):
    net, E = identity_net_error(w, x)
    text = explain(E, net.w, derivation=derivation)
    assert path_total(text) == net.w.grad
    assert reverse_mode_number(text) == net.w.grad
    assert abs(net.w.grad - hand_gradient(w, x)) <= 1e-15
    closed = float(re.search(r"identity\.hand_gradient \(eq\. \(6\) in numpy\) gives (\S+?);", text).group(1))
    assert closed == hand_gradient(w, x)
    assert "the same" in text and "MISMATCH" not in text


def test_seed_net_has_one_path_through_y_hat_and_z_with_eq6_factors():
    net, E = identity_net_error(0.3, 1.0)
    text = explain(E, net.w)
    assert "along 1 path" in text
    assert "E → y_hat → z → w" in text
    assert "∂E/∂y_hat · ∂y_hat/∂z · ∂z/∂w" in text
    (numbers, product), = path_blocks(text)
    y_hat = net(1.0).data
    # eq. (6) factor by factor: (y_hat - y), A(1 - A), x
    assert numbers == pytest.approx([y_hat - 1.0, y_hat * (1.0 - y_hat), 1.0], rel=1e-5)
    assert product == pytest.approx(math.prod(numbers), rel=1e-5)
    assert product == pytest.approx(net.w.grad, rel=1e-5)


def test_seed_net_says_the_y_term_is_zero_and_lists_eqs_1_to_6():
    net, E = identity_net_error(0.3, 1.0)
    text = explain(E, net.w, derivation=derivation)
    assert "∂E/∂y · ∂y/∂w is 0" in text
    for k in range(1, 7):
        assert f"({k})" in text
    assert "(y_hat − y) · x · (1 − A(z)) · A(z)" in text


def test_x_zero_gives_a_zero_factor_and_a_zero_gradient():
    net, E = identity_net_error(5.0, 0.0)
    text = explain(E, net.w)
    (numbers, product), = path_blocks(text)
    assert numbers[-1] == 0.0 and product == 0.0
    assert path_total(text) == 0.0 == net.w.grad


def test_bias_gradient_lines_up_with_eq6_without_x():
    net, E = identity_net_error(0.3, 0.0, bias=0.5)
    text = explain(E, net.b, derivation=derivation)
    assert path_total(text) == net.b.grad
    assert "E → y_hat → z → b" in text
    closed = float(re.search(r"hand_gradient_bias \(eq\. \(6\) in numpy\) gives (\S+?);", text).group(1))
    assert closed == hand_gradient_bias(0.3, 0.0, b=0.5)


# ----- .grad and backward ---------------------------------------------------------------

def test_without_backward_it_computes_the_gradient_and_says_backward_was_not_run():
    net, E = identity_net_error(0.3, 1.0, backward=False)
    text = explain(E, net.w)
    assert net.w.grad == 0.0  # untouched
    assert "has not been run" in text
    assert path_total(text) == grad(E, [net.w])[0] != 0.0


def test_accumulated_grad_is_called_out():
    net, E = identity_net_error(0.3, 1.0)
    E.backward()  # twice: .grad holds double
    text = explain(E, net.w)
    assert "differs" in text and "zero_grad" in text
    assert path_total(text) == pytest.approx(net.w.grad / 2, rel=1e-15)


def test_a_value_outside_the_graph_has_no_path_and_derivative_zero():
    _, E = identity_net_error()
    other = Value(2.0, label="q")
    text = explain(E, other)
    assert "does not depend on q" in text
    assert reverse_mode_number(text) == 0.0


# ----- any graph ---------------------------------------------------------------------------

def test_node_used_twice_gives_one_path_per_use():
    a = Value(2.0, label="a")
    c = a * a + a
    c.label = "c"
    c.backward()
    text = explain(c, a)
    assert "along 3 paths" in text
    assert "(input 1 of *)" in text and "(input 2 of *)" in text
    assert [p for _, p in path_blocks(text)] == [2.0, 2.0, 1.0]
    assert path_total(text) == a.grad == 5.0


def test_mlp_paths_add_up_to_the_gradient():
    model = MLP(2, [4, 4, 1], seed=1, activation="tanh")
    loss = half_squared_error(model([1.0, -2.0]), 1.0)
    loss.backward()
    w = model.parameters()[0]
    text = explain(loss, w)
    blocks = path_blocks(text)
    assert len(blocks) == count_paths(loss, w) == 4
    assert sum(p for _, p in blocks) == pytest.approx(w.grad, rel=1e-5)
    assert path_total(text) == pytest.approx(w.grad, rel=1e-12, abs=1e-300)
    assert reverse_mode_number(text) == w.grad


def test_past_max_paths_it_summarises_with_the_same_total():
    model = MLP(2, [4, 4, 1], seed=1, activation="tanh")
    loss = half_squared_error(model([1.0, -2.0]), 1.0)
    loss.backward()
    w = model.parameters()[0]
    text = explain(loss, w, max_paths=2)
    assert "along 4 paths: more than max_paths=2" in text
    assert "path 1 of" not in text
    assert path_total(text) == pytest.approx(w.grad, rel=1e-12)
    assert "heaviest single path" in text


def diamond_chain(levels):
    """x feeds two branches that meet again, `levels` times: 2**levels paths."""
    x = Value(0.9, label="x")
    v = x
    for _ in range(levels):
        v = v.tanh() * 0.5 + v * 0.5
    return x, v


def test_a_graph_with_astronomically_many_paths_is_counted_not_enumerated():
    x, root = diamond_chain(300)
    assert count_paths(root, x) == 2 ** 300
    text = explain(root, x)
    assert "about 10^90 paths" in text
    assert len(text.splitlines()) < 30
    assert path_total(text) == pytest.approx(grad(root, [x])[0], rel=1e-12)


def test_a_long_chain_works_at_the_default_recursion_limit():
    x = Value(0.5, label="x")
    v = x
    for _ in range(20_000):
        v = v * 1.0001
    text = explain(v, x)
    assert "20000 steps" in text and "more factors" in text
    assert path_total(text) == grad(v, [x])[0]


def test_unlabelled_nodes_are_named_by_their_expression():
    a, b = Value(3.0, label="a"), Value(-1.0, label="b")
    out = (a * b).exp()
    out.label = "out"
    text = explain(out, a)
    assert "(out · b)" in text  # d exp(u)/du = out, d(a·b)/da = b: one segment through a·b
    c = a * b + a
    assert "∂(a·b + a)/∂a at a = 3" in explain(c, a)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_paths_add_up_to_grad_on_random_graphs(data):
    leaves = [Value(data.draw(st.floats(-2, 2)), label=f"x{i}") for i in range(3)]
    nodes = list(leaves)
    ops = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
           lambda a, b: a.tanh(), lambda a, b: a.sigmoid(), lambda a, b: a * 0.5]
    for _ in range(data.draw(st.integers(1, 10))):
        op = data.draw(st.sampled_from(ops))
        nodes.append(op(data.draw(st.sampled_from(nodes)), data.draw(st.sampled_from(nodes))))
    root = nodes[-1]
    for leaf in leaves:
        text = explain(root, leaf, max_paths=data.draw(st.sampled_from([0, 3, 64])))
        want = grad(root, [leaf])[0]
        if count_paths(root, leaf) == 0:
            assert want == 0.0 and "does not depend" in text
            continue
        assert path_total(text) == pytest.approx(want, rel=1e-12, abs=1e-15)
        assert "MISMATCH" not in text


@pytest.mark.parametrize("root, wrt, kwargs, error", [
    (1.0, Value(1.0), {}, TypeError),
    (Value(1.0), "w", {}, TypeError),
    (Value(1.0), Value(1.0), {"max_paths": -1}, ValueError),
    (Value(1.0), Value(1.0), {"digits": 0}, ValueError),
    (Value(1.0), Value(1.0), {"max_paths": True}, ValueError),
])
def test_bad_arguments_are_named(root, wrt, kwargs, error):
    with pytest.raises(error, match="root|wrt|max_paths|digits"):
        explain(root, wrt, **kwargs)


# ----- a model's own derivation, passed explicitly ---------------------------------------

def test_a_derivation_adds_its_lines_only_where_it_is_passed():
    seen = []

    def derive(root, wrt, number):
        seen.append((root, wrt))
        return ["", f"my own derivation: {number(-2.0)}"]

    q = Value(2.0, label="q")
    out = q * q
    text = explain(out, q, derivation=derive)
    assert text.endswith("my own derivation: (-2)") and seen == [(out, q)]
    assert "my own derivation" not in explain(out, q)


def test_the_output_does_not_depend_on_what_was_imported():
    import subprocess
    import sys

    probe = ("from micrograd_id import Value; from micrograd_id.explain import explain; "
             "w = Value(0.3, label='w'); E = (w * 2.0).sigmoid(); E.label = 'E'; {extra}"
             "print(explain(E, w))")
    texts = [subprocess.run([sys.executable, "-c", probe.format(extra=extra)], capture_output=True, text=True,
                            check=True).stdout for extra in ("", "import micrograd_id.identity; ")]
    assert texts[0] == texts[1] and "∂E/∂w" in texts[0]


def test_the_identity_derivation_is_recognised_by_structure_not_by_labels():
    # the identity network's labels, but the loss (y_hat − y)^2 without the ½: eqs. (1)-(6) do not hold
    net = IdentityNet(0.3)
    E = mse(net(1.0), 1.0)
    E.label = "E"
    E.backward()
    text = explain(E, net.w, derivation=derivation)
    assert "  (6)" not in text and "this graph is not that" in text
    # what is printed holds: the product of the numbers shown is the result shown
    (numbers, product), = path_blocks(text)
    assert math.prod(numbers) == pytest.approx(product, rel=1e-5)
    assert path_total(text) == net.w.grad


def test_the_identity_derivation_needs_no_labels():
    w, x, y = Value(0.3), Value(1.0), Value(1.0)
    E = 0.5 * ((w * x).sigmoid() - y) ** 2
    text = explain(E, w, derivation=derivation)
    assert "(6)" in text and "identity.hand_gradient (eq. (6) in numpy) gives" in text
    assert path_total(text) == pytest.approx(hand_gradient(0.3, 1.0), rel=1e-15)


def test_a_derivation_must_be_callable():
    with pytest.raises(TypeError, match="derivation must be a function"):
        explain(Value(1.0), Value(1.0), derivation="eqs. (1)-(6)")


# ----- names and reasons ---------------------------------------------------------------------

def test_an_unlabelled_wrt_is_named_by_its_expression():
    w, x = Value(0.3, label="w"), Value(2.0, label="x")
    z = w * x
    E = z.tanh()
    E.label = "E"
    E.backward()
    text = explain(E, z)
    assert "wrt" not in text
    assert "∂E/∂(w·x) at w·x = 0.6" in text and "(w·x).grad = " in text


def test_an_inner_node_does_not_list_its_own_inputs_as_off_the_paths():
    net, E = identity_net_error(0.3, 1.0)
    y_hat = next(v for v in describe(E).order if v.label == "y_hat")
    text = explain(E, y_hat)
    assert "No path goes through y:" in text  # y is beside y_hat, really off the paths
    assert "z" not in text.split("No path goes through")[1].split(":")[0]


@pytest.mark.parametrize("build, reason", [
    (lambda: identity_net_error(5.0, 0.0), "the other factor x is 0"),
    (lambda: identity_net_error(2000.0, 1.0), "sigmoid is saturated"),
])
def test_a_zero_gradient_says_why(build, reason):
    net, E = build()
    text = explain(E, net.w)
    assert path_total(text) == 0.0
    assert "Why ∂E/∂w is 0" in text and reason in text


def test_an_inactive_relu_is_named_as_the_reason():
    w = Value(-1.0, label="w")
    x = Value(2.0, label="x")
    E = (w * x).relu() * 3.0
    E.label = "E"
    text = explain(E, w)
    assert "relu is inactive: its input w·x = (-2) ≤ 0" in text


def test_escape_sequences_in_labels_are_written_as_text():
    w = Value(0.5, label="w\x1b[2J")
    E = w * 2.0
    E.label = "E\n\x07"
    text = explain(E, w)
    assert "\x1b" not in text and "\x07" not in text and "E\n" not in text
    assert r"w\x1b[2J" in text and r"E\n\x07" in text


def test_a_description_built_once_gives_the_same_text():
    model = MLP(2, [4, 4, 1], seed=1, activation="tanh")
    loss = half_squared_error(model([1.0, -2.0]), 1.0)
    loss.backward()
    description = describe(loss)
    for w in model.parameters()[:6]:
        assert explain(description, w) == explain(loss, w)


@pytest.mark.parametrize("module", ["micrograd_id.explain", "micrograd_id.nn", "micrograd_id.gradcheck",
                                    "micrograd_id.losses", "micrograd_id.train"])
def test_generic_modules_know_nothing_of_the_identity_network(module):
    import subprocess
    import sys

    probe = f"import sys, {module}; print('micrograd_id.identity' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_the_explanation_shows_as_text_in_jupyter_not_as_a_quoted_string():
    net, E = identity_net_error()
    text = explain(E, net.w)
    assert isinstance(text, str) and text.splitlines()[0].startswith("∂E/∂w")
    printed = []

    class Printer:
        def text(self, chunk):
            printed.append(chunk)

    text._repr_pretty_(Printer(), cycle=False)
    assert printed == [str(text)]
    html = explain(E, Value(1.0, label="</pre><script>"))._repr_html_()
    assert html.startswith("<pre>") and "<script>" not in html
