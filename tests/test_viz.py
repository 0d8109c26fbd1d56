"""Tests for micrograd_id.viz: the DOT it writes, escaping, rendering, errors."""

import html
import math
import os
import random
import re
import shutil
import subprocess
import warnings

import graphviz
import pytest
from conftest import identity_error
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from micrograd_id import Value
from micrograd_id.engine import local_derivatives, topological_order
from micrograd_id.identity import hand_gradient
from micrograd_id import losses, viz
from micrograd_id.viz import DEFAULT_MAX_NODES, GraphvizNotFound, RenderError, _escape, draw_dot, render

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot program is not installed")
GRAPHVIZ_PURE = shutil.which("graphviz-pure") or shutil.which("graphviz-pure", path=viz._SCRIPTS_DIR)
PNG = b"\x89PNG\r\n\x1a\n"
SPECIAL = 'q"uote \\back\\slash <b>&amp; {x|y} [a]; -> \'s\' \n newline \t tab \x1b esc ü ∂E/∂w 🎉 \\N \\l'


# ----- graphs used by the tests ----------------------------------------------

def identity_net(w=0.3, x=1.0):
    """The seed's net: y_hat = sigmoid(w*x), E = 0.5*(y_hat - y)**2 with y = x, after backward."""
    w, x = Value(w, label="w"), Value(x, label="x")
    z = w * x
    z.label = "z"
    y_hat = z.sigmoid()
    y_hat.label = "y_hat"
    E = 0.5 * (y_hat - Value(x.data, label="y")) ** 2
    E.label = "E"
    E.backward()
    return E, w


def small_mlp(sizes=(2, 3, 2, 1), seed=0):
    """An MLP built by hand with the nn module's labels (L{i}.N{j}, .w{k}, .b)."""
    rng = random.Random(seed)
    acts = [Value(rng.uniform(-1, 1), label=f"x{k}") for k in range(sizes[0])]
    for i, width in enumerate(sizes[1:]):
        outs = []
        for j in range(width):
            ws = [Value(rng.uniform(-1, 1), label=f"L{i}.N{j}.w{k}") for k in range(len(acts))]
            total = sum((wk * a for wk, a in zip(ws, acts)), Value(0.0, label=f"L{i}.N{j}.b"))
            out = total.tanh()
            out.label = f"L{i}.N{j}"
            outs.append(out)
        acts = outs
    loss = (acts[0] - Value(1.0, label="y")) ** 2
    loss.label = "loss"
    loss.backward()
    return loss


def labelled(value, label):
    value.label = label
    return value


def all_values(root):
    """Every Value below root, once each."""
    seen, stack = {}, [root]
    while stack:
        v = stack.pop()
        if v not in seen:
            seen[v] = None
            stack.extend(v.children)
    return list(seen)


# ----- helpers reading DOT source ----------------------------------------------

NODE = re.compile(r"^\t(\w+) \[label=<(.*)>(?: |\])", re.M)
EDGE = re.compile(r"^\t(\w+) -> (\w+)(.*)$", re.M)


def nodes(source):
    """{node id: label markup}."""
    return dict(NODE.findall(source))


def titles(source):
    """{title (the bold first cell) of labelled Value records: node id}."""
    found = {}
    for node_id, markup in nodes(source).items():
        match = re.search(r"<B>(.*?)</B>", markup)
        if match and not match.group(1).startswith("grad ") and not node_id.endswith("_op"):
            found[html.unescape(match.group(1))] = node_id
    return found


def edges(source):
    return [(tail, head, attrs) for tail, head, attrs in EDGE.findall(source)]


def named_edges(source):
    """Edges with labelled Values written by label, ops as '<label>_op', others by id."""
    name = {node_id: title for title, node_id in titles(source).items()}

    def pretty(node_id):
        base = node_id[:-3] if node_id.endswith("_op") else node_id
        return name.get(base, base) + ("_op" if node_id.endswith("_op") else "")

    return {(pretty(tail), pretty(head)): "#d62728" in attrs for tail, head, attrs in edges(source)}


def run_dot(source, fmt="canon"):
    return subprocess.run([DOT, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, timeout=30)


def graph_with_label(label):
    a = Value(1.0, label=label)
    b = a * Value(2.0, label="b")
    b.label = label
    return b


# ----- the DOT source ------------------------------------------------------------

def test_every_value_and_op_drawn_exactly_once():
    E, _ = identity_net()
    found = nodes(draw_dot(E).source)
    values = [n for n in found if not n.endswith("_op")]
    ops = [n for n in found if n.endswith("_op")]
    assert len(values) == 9  # w x z y_hat y, the difference, its square, the constant 0.5, E
    assert len(ops) == 5  # * sigmoid - ^2 *
    assert sorted(titles(draw_dot(E).source)) == ["E", "w", "x", "y", "y_hat", "z"]
    op_text = sorted(html.unescape(found[n]) for n in ops)
    assert op_text == ["^2", "sigmoid", "×", "×", "−"]


def test_edges_follow_the_data_flow():
    E, _ = identity_net()
    source = draw_dot(E).source
    flow = named_edges(source)
    for edge in [("w", "z_op"), ("x", "z_op"), ("z_op", "z"), ("z", "y_hat_op"),
                 ("y_hat_op", "y_hat"), ("E_op", "E")]:
        assert edge in flow
    assert ("z", "w") not in flow and ("z_op", "w") not in flow
    assert len(edges(source)) == 8 + 5  # 8 op inputs, 5 op outputs


def test_gradient_of_w_is_shown_next_to_w():
    E, w = identity_net()
    source = draw_dot(E).source
    w_node = nodes(source)[titles(source)["w"]]
    assert f"{w.grad:.4g}" == f"{hand_gradient(0.3, 1.0):.4g}" == "-0.104"  # eq. (6)
    assert "grad -0.104" in w_node
    assert "data 0.3" in w_node


def test_fmt_controls_the_numbers():
    E, w = identity_net()
    assert f"grad {w.grad:.6f}" in draw_dot(E, fmt="{:.6f}").source


def test_rankdir_is_passed_on_and_defaults_to_left_to_right():
    E, _ = identity_net()
    assert "rankdir=LR" in draw_dot(E).source
    assert "rankdir=TB" in draw_dot(E, rankdir="TB").source


def test_result_is_a_digraph_that_jupyter_can_display():
    E, _ = identity_net()
    dot = draw_dot(E)
    assert isinstance(dot, graphviz.Digraph)
    assert hasattr(dot, "_repr_mimebundle_")


def test_a_value_used_twice_has_two_edges_into_its_op():
    a = Value(3.0, label="a")
    square = a * a
    square.label = "sq"
    flow = [(t, h) for t, h, _ in edges(draw_dot(square).source)]
    a_id = titles(draw_dot(square).source)["a"]
    assert flow.count((a_id, "v0_op")) == 2


def test_hidden_constants_are_written_into_their_op():
    E, _ = identity_net()
    source = draw_dot(E, show_constants=False).source
    values = [n for n in nodes(source) if not n.endswith("_op")]
    assert len(values) == 8  # the 0.5 is gone
    assert "data 0.5<" not in source
    assert "0.5 ×" in html.unescape(source)


def test_hidden_constant_on_the_right_keeps_its_side():
    a = Value(5.0, label="a")
    out = a - 1
    out.label = "out"
    assert "− 1" in html.unescape(draw_dot(out, show_constants=False).source)


def test_every_hidden_constant_is_written_into_its_op():
    two_three = Value(2.0) * Value(3.0)  # both operands unlabelled
    out = labelled(two_three + Value(1.0).exp() + Value(4.0) ** 2, "out")
    text = html.unescape(draw_dot(out, show_constants=False).source)
    assert "2 × 3" in text and "exp(1)" in text and "4^2" in text


@pytest.mark.parametrize("bad, error", [
    ({"rankdir": "XY"}, ValueError), ({"fmt": "{:d}"}, ValueError), ({"fmt": 4}, TypeError),
    ({"collapse": "neurons"}, ValueError), ({"max_nodes": 0}, ValueError),
    ({"highlight": 0.3}, TypeError), ({"highlight": Value(1.0)}, ValueError),
])
def test_bad_options_are_refused_with_a_clear_error(bad, error):
    E, _ = identity_net()
    with pytest.raises(error, match=next(iter(bad)).split("_")[0]):
        draw_dot(E, **bad)


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="Value"):
        draw_dot(0.5)


# ----- escaping ------------------------------------------------------------------

@needs_dot
def test_labels_with_every_special_character_pass_dot_without_warnings():
    root = graph_with_label(SPECIAL)
    done = run_dot(draw_dot(root).source)
    assert done.returncode == 0 and done.stderr == b""


@needs_dot
def test_label_injection_cannot_add_nodes():
    root = graph_with_label('"]; evil [label="x"]; a -> evil; //')
    done = run_dot(draw_dot(root).source, fmt="plain")
    assert done.returncode == 0, done.stderr
    drawn = [line for line in done.stdout.decode().splitlines() if line.startswith("node ")]
    assert len(drawn) == 4  # a, b, their product and its op node


@needs_dot
def test_label_is_shown_as_written_in_svg():
    label = 'a "q" <b> {c|d} \\n & ∂E/∂w'
    svg = run_dot(draw_dot(graph_with_label(label)).source, fmt="svg").stdout.decode()
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    assert label in texts


def test_escape_leaves_no_markup_and_keeps_newlines_as_breaks():
    escaped = _escape('<a href="x">\n&')
    assert escaped == "&lt;a href=&quot;x&quot;&gt;<BR/>&amp;"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escaped_text_reads_back_as_the_original(text):
    escaped = _escape(text)
    assert not set(escaped.replace("<BR/>", "")) & set('<>"\n\r')
    printable = "".join(ch for ch in text.replace("\r\n", "\n") if ch == "\n" or ch.isprintable())
    if printable == text and "\r" not in text:
        assert html.unescape(escaped.replace("<BR/>", "\n")) == text


TRICKY = st.sampled_from(list('"<>{}|\\[]&;#=\n\r\t ') + ["\\N", "\\l", "&amp;", "<BR/>", "]]>", "-->"])


@needs_dot
@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.characters(), TRICKY), min_size=1, max_size=20).map("".join))
@example("]")  # a bold run of only "]" is a syntax error in dot 2.43
@example("\r")
def test_random_unicode_labels_never_break_the_dot(label):
    root = graph_with_label(label)
    source = draw_dot(root).source
    done = run_dot(source, fmt="plain")
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    drawn = [line for line in done.stdout.decode("utf-8", "replace").splitlines() if line.startswith("node ")]
    assert len(drawn) == len(nodes(source)) == 4


# ----- highlight ---------------------------------------------------------------------

def test_highlight_colours_exactly_the_edges_on_paths_to_the_root():
    w, x, c, d, e = (Value(v, label=n) for v, n in [(0.3, "w"), (2.0, "x"), (1.5, "c"), (0.7, "d"), (-1.0, "e")])
    a = labelled(w * x, "a")
    b = labelled(w + c, "b")  # a second path from w
    m = labelled(a * b, "m")
    de = labelled(d * e, "de")  # a branch that does not depend on w
    out = labelled(m + de, "out")
    out.backward()
    coloured = {edge for edge, red in named_edges(draw_dot(out, highlight=w).source).items() if red}
    assert coloured == {
        ("w", "a_op"), ("a_op", "a"), ("w", "b_op"), ("b_op", "b"), ("a", "m_op"), ("b", "m_op"),
        ("m_op", "m"), ("m", "out_op"), ("out_op", "out"),
    }
    assert not any(named_edges(draw_dot(out).source).values())


def test_highlight_of_an_inner_value_colours_only_what_lies_above_it():
    E, _ = identity_net()
    source = draw_dot(E, highlight=E).source
    assert not any(named_edges(source).values())


# ----- size guard and collapsed views ----------------------------------------------

def test_size_guard_names_the_count_the_limit_and_the_way_out():
    loss = small_mlp((2, 8, 8, 1))
    with pytest.raises(ValueError) as caught:
        draw_dot(loss, max_nodes=100)
    message = str(caught.value)
    assert "more than 100 Values" in message and "max_nodes=100" in message and "collapse='neuron'" in message
    assert len(nodes(draw_dot(loss, max_nodes=None).source)) > 100  # None lifts the limit


def test_a_million_node_chain_is_refused_after_counting_past_the_limit(monkeypatch):
    import micrograd_id.description as description

    x = Value(0.5, label="x")
    v = x
    for _ in range(1_000_000):
        v = v * 1.0
    def no_ordering(root):  # noqa: E306
        raise AssertionError("the graph was ordered before the size check")

    monkeypatch.setattr(description, "topological_order", no_ordering)
    for show_constants in (True, False):
        with pytest.raises(ValueError, match="more than 3000 Values.*max_nodes=3000"):
            draw_dot(v, show_constants=show_constants)
    assert len(description.values_below(v, 3000)) == 3001


@pytest.mark.parametrize("timeout", [math.nan, math.inf, 0, -1.0, "60", True])
def test_a_timeout_that_is_not_a_positive_number_is_refused(tmp_path, timeout):
    E, _ = identity_net()
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds"):
        render(E, tmp_path / "graph.png", timeout=timeout)


def recurrence(steps):
    """h <- tanh(h*w + x): w and x feed every step, so their edges skip many ranks."""
    w, x, h = Value(0.5, label="w"), Value(1.0, label="x"), Value(0.0, label="h0")
    for _ in range(steps):
        h = (h * w + x).tanh()
    return h


def test_size_guard_counts_the_bend_points_of_long_edges():
    small, large = recurrence(10), recurrence(50)  # 33 and 153 Values
    draw_dot(small)
    with pytest.raises(ValueError, match=r"153 Values.*bend points.*max_nodes=3000"):
        draw_dot(large)
    assert "rankdir" in draw_dot(large, max_nodes=None).source


def test_default_limit_refuses_the_full_mlp_but_not_its_collapsed_views():
    loss = small_mlp((2, 16, 16, 1))
    with pytest.raises(ValueError, match="collapse='neuron'"):
        draw_dot(loss)
    assert len([n for n in nodes(draw_dot(loss, collapse="neuron").source) if n.startswith("g_")]) == 33
    assert len([n for n in nodes(draw_dot(loss, collapse="layer").source) if n.startswith("g_")]) == 3


def test_default_limit_allows_the_identity_net():
    E, _ = identity_net()
    assert DEFAULT_MAX_NODES >= 50
    draw_dot(E)


def test_neuron_view_draws_one_box_per_neuron_and_keeps_inputs_and_loss():
    loss = small_mlp()
    source = draw_dot(loss, collapse="neuron").source
    drawn = nodes(source)
    boxes = sorted(n for n in drawn if n.startswith("g_"))
    assert boxes == ["g_L0_N0", "g_L0_N1", "g_L0_N2", "g_L1_N0", "g_L1_N1", "g_L2_N0"]
    assert {"x0", "x1", "y", "loss"} <= set(titles(source))
    assert "3 params" in drawn["g_L0_N0"] and "4 params" in drawn["g_L1_N0"]
    flow = {(t, h) for t, h, _ in edges(source)}
    assert (titles(source)["x0"], "g_L0_N2") in flow
    assert ("g_L0_N1", "g_L1_N0") in flow and ("g_L1_N1", "g_L2_N0") in flow
    assert not any(title.startswith("L0.N0.") for title in titles(source))  # parameters are inside


def test_neuron_box_shows_its_output_and_largest_parameter_gradient():
    loss = small_mlp()
    source = draw_dot(loss, collapse="neuron").source
    box = html.unescape(nodes(source)["g_L1_N0"])
    assert "grad" in box and "max |grad|" in box


def test_layer_view_draws_one_box_per_layer():
    loss = small_mlp()
    source = draw_dot(loss, collapse="layer").source
    boxes = sorted(n for n in nodes(source) if n.startswith("g_"))
    assert boxes == ["g_L0", "g_L1", "g_L2"]
    assert "3 neurons" in nodes(source)["g_L0"]
    flow = {(t, h) for t, h, _ in edges(source)}
    assert ("g_L0", "g_L1") in flow and ("g_L1", "g_L2") in flow
    assert [t for t, h in flow].count("g_L0") == 1  # edges between boxes drawn once


def test_numbers_a_neuron_wraps_are_folded_into_its_box():
    w0, w1, b = (Value(v, label=f"L0.N0.{n}") for v, n in [(0.5, "w0"), (-0.2, "w1"), (0.1, "b")])
    out = (w0 * 1.5 + w1 * 2.0 + b).tanh()  # plain-float inputs become unlabelled leaves
    out.label = "L0.N0"
    loss = out * out
    source = draw_dot(loss, collapse="neuron").source
    assert sorted(nodes(source)) == ["g_L0_N0", "v0", "v0_op"]
    assert "+6 inner Values" in nodes(source)["g_L0_N0"]  # 2 numbers, 2 products, 2 sums


def test_highlight_runs_through_collapsed_boxes():
    loss = small_mlp()
    w = next(v for v in all_values(loss) if v.label == "L0.N1.w0")
    source = draw_dot(loss, collapse="neuron", highlight=w).source
    coloured = {(t, h) for t, h, attrs in edges(source) if "#d62728" in attrs}
    assert ("g_L0_N1", "g_L1_N0") in coloured and ("g_L0_N1", "g_L1_N1") in coloured
    assert not any(t == "g_L0_N0" for t, _ in coloured)  # the other neurons are not on the path
    inputs = {titles(source)["x0"], titles(source)["x1"]}
    assert not any(t in inputs for t, _ in coloured)
    assert any(h == titles(source)["loss"] for _, h in coloured)


def test_the_nn_modules_mlp_collapses_into_one_box_per_neuron():
    """The contract with nn: its labels L{i}.N{j}(.w{k}|.b) are what collapse reads."""
    from micrograd_id import nn

    mlp = nn.MLP(2, [16, 16, 1], seed=0)
    loss = losses.half_squared_error(mlp([0.5, -1.0]), 1.0)
    loss.backward()
    drawn = nodes(draw_dot(loss, collapse="neuron").source)
    assert sorted(n for n in drawn if n.startswith("g_")) == sorted(
        [f"g_L{i}_N{j}" for i in (0, 1) for j in range(16)] + ["g_L2_N0"])
    assert "3 params" in drawn["g_L0_N0"] and "17 params" in drawn["g_L1_N0"] and "17 params" in drawn["g_L2_N0"]
    in_boxes = sum(int(re.search(r"\+(\d+) inner", markup).group(1)) + 1 for n, markup in drawn.items()
                   if n.startswith("g_"))
    outside = len([n for n in drawn if not n.startswith("g_") and not n.endswith("_op")])
    params = len(mlp.parameters())
    assert in_boxes + params + outside == len(all_values(loss))  # every Value shown exactly once


@needs_dot
@pytest.mark.parametrize("collapse", ["neuron", "layer"])
def test_the_collapsed_2_16_16_1_mlp_renders_to_png(tmp_path, collapse):
    """The size the issue names: its collapsed views lay out in well under a second here."""
    from micrograd_id import nn

    mlp = nn.MLP(2, [16, 16, 1], seed=0)
    loss = losses.half_squared_error(mlp([0.5, -1.0]), 1.0)
    loss.backward()
    path = render(loss, tmp_path / f"mlp_{collapse}.png", collapse=collapse)
    data = path.read_bytes()
    assert data.startswith(PNG) and data.endswith(b"IEND\xaeB`\x82")


def box_with_gradients(*grads):
    """A neuron L0.N0 whose parameters w0, w1, ... have the given gradients."""
    ws = [Value(1.0, label=f"L0.N0.w{k}") for k in range(len(grads))]
    out = labelled(sum(ws[1:], ws[0]).tanh(), "L0.N0")
    for wk, g in zip(ws, grads):
        wk.grad = g
    return html.unescape(nodes(draw_dot(out, collapse="neuron").source)["g_L0_N0"])


def test_box_names_the_parameter_with_the_largest_gradient_unless_all_are_zero():
    assert "max |grad| 3 (w1)" in box_with_gradients(0.5, -3.0, 2.0)
    assert "max |grad| nan (w2)" in box_with_gradients(0.5, -3.0, float("nan"))
    assert re.search(r"max \|grad\| 0<", box_with_gradients(0.0, 0.0))  # no name when none stands out


@needs_dot
def test_a_weight_tied_across_neurons_still_draws():
    """A Value using two neurons' parameters belongs to neither, so the boxes form a cycle."""
    w0, w1, x, shared = (Value(v, label=n) for v, n in [(0.5, "L0.N0.w0"), (0.2, "L0.N0.w1"), (1.0, "x"),
                                                         (0.7, "L1.N0.w0")])
    tied = w1 * shared
    out = labelled((w0 * x + tied).tanh(), "L0.N0")
    top = labelled((shared * out).tanh(), "L1.N0")
    source = draw_dot(top, collapse="neuron").source
    tied_id = next(n for n, markup in nodes(source).items() if "data 0.14<" in markup)
    flow = {(t, h) for t, h, _ in edges(source)}
    assert {("g_L1_N0", tied_id + "_op"), (tied_id, "g_L0_N0"), ("g_L0_N0", "g_L1_N0")} <= flow
    assert "1 param:" in nodes(source)["g_L1_N0"] and "+1 inner Value)" in nodes(source)["g_L1_N0"]
    done = run_dot(source)
    assert done.returncode == 0 and done.stderr == b""


def test_collapse_without_convention_labels_warns_and_draws_everything():
    E, _ = identity_net()
    with pytest.warns(UserWarning, match="no Value is labelled"):
        source = draw_dot(E, collapse="neuron").source
    assert source == draw_dot(E).source


@needs_dot
@pytest.mark.parametrize("options", [
    {"collapse": "neuron"}, {"collapse": "layer", "highlight": "L0.N1.w0"},
    {"rankdir": "TB", "show_constants": False, "highlight": "x0"}, {"fmt": "{:.2e}", "rankdir": "BT"},
])
def test_every_option_gives_dot_that_graphviz_accepts_without_warnings(options):
    loss = small_mlp()
    if "highlight" in options:
        options = {**options, "highlight": next(v for v in all_values(loss) if v.label == options["highlight"])}
    done = run_dot(draw_dot(loss, **options, max_nodes=None).source)
    assert done.returncode == 0 and done.stderr == b""


# ----- render -------------------------------------------------------------------------

def programs_only_in(folder, monkeypatch):
    """Let render find layout programs in folder and nowhere else (not on PATH, not beside Python)."""
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setattr(viz, "_SCRIPTS_DIR", str(folder))


@needs_dot
@pytest.mark.parametrize("suffix, signature", [(".png", PNG), (".svg", b"<svg"), (".pdf", b"%PDF-")])
def test_render_writes_png_svg_and_pdf(tmp_path, suffix, signature):
    E, _ = identity_net()
    path = render(E, tmp_path / f"graph{suffix}")
    assert path == tmp_path / f"graph{suffix}"
    content = path.read_bytes()
    assert content.startswith(signature) if suffix != ".svg" else signature in content
    assert sorted(os.listdir(tmp_path)) == [f"graph{suffix}"]  # no temporary file left behind


def test_dot_source_needs_no_program(tmp_path, monkeypatch):
    programs_only_in(tmp_path / "empty", monkeypatch)
    E, _ = identity_net()
    path = render(E, str(tmp_path / "graph.dot"), highlight=None)
    assert path.read_text(encoding="utf-8") == draw_dot(E).source


def test_missing_dot_says_so_and_how_to_install(tmp_path, monkeypatch):
    programs_only_in(tmp_path / "empty", monkeypatch)
    E, _ = identity_net()
    with pytest.raises(GraphvizNotFound) as caught:
        render(E, tmp_path / "graph.png")
    assert isinstance(caught.value, RuntimeError) and not isinstance(caught.value, FileNotFoundError)
    assert isinstance(caught.value, graphviz.ExecutableNotFound)
    assert "`dot`" in str(caught.value) and "apt-get install graphviz" in str(caught.value)
    assert "pip install graphviz-pure" in str(caught.value)
    assert not (tmp_path / "graph.png").exists()


def fake_program(folder, name, script):
    folder.mkdir(exist_ok=True)
    program = folder / name
    program.write_text("#!/bin/sh\n" + script + "\n")
    program.chmod(0o755)
    return folder


@needs_dot
def test_graphviz_pure_is_the_fallback_when_dot_is_absent(tmp_path, monkeypatch):
    programs_only_in(fake_program(tmp_path / "bin", "graphviz-pure", f'exec {DOT} "$@"'), monkeypatch)
    E, _ = identity_net()
    assert render(E, tmp_path / "graph.png").read_bytes().startswith(PNG)
    with pytest.raises(GraphvizNotFound, match="graphviz-pure cannot write PDF.*apt-get install graphviz"):
        render(E, tmp_path / "graph.pdf")


@needs_dot
def test_graphviz_pure_beside_python_is_found_off_path(tmp_path, monkeypatch):
    """pip puts graphviz-pure next to the interpreter; a venv used without activating it is not on PATH."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(viz, "_SCRIPTS_DIR", str(fake_program(tmp_path / "venv_bin", "graphviz-pure",
                                                               f'exec {DOT} "$@"')))
    assert render(identity_net()[0], tmp_path / "graph.png").read_bytes().startswith(PNG)


@pytest.mark.skipif(GRAPHVIZ_PURE is None, reason="graphviz-pure (extra [render]) is not installed")
def test_the_real_graphviz_pure_renders_without_dot(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "graphviz-pure").symlink_to(GRAPHVIZ_PURE)
    programs_only_in(folder, monkeypatch)
    E, w = identity_net()
    assert render(E, tmp_path / "graph.png", highlight=w).read_bytes().startswith(PNG)
    svg = render(E, tmp_path / "graph.svg").read_text(encoding="utf-8")
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    assert "grad -0.104" in texts and "y_hat" in texts


def test_a_failing_layout_program_raises_render_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    programs_only_in(fake_program(tmp_path / "bin", "dot", "echo 'syntax error in line 1' >&2; exit 1"),
                     monkeypatch)
    (tmp_path / "graph.svg").write_text("the previous drawing")
    E, _ = identity_net()
    with pytest.raises(RenderError, match="syntax error in line 1"):
        render(E, tmp_path / "graph.svg")
    assert (tmp_path / "graph.svg").read_text() == "the previous drawing"
    assert sorted(os.listdir(tmp_path)) == ["bin", "graph.svg"]


def test_a_slow_layout_program_times_out(tmp_path, monkeypatch):
    sleep = shutil.which("sleep")
    if sleep is None:
        pytest.skip("no sleep program to play a slow dot")
    programs_only_in(fake_program(tmp_path / "bin", "dot", f"exec {sleep} 10"), monkeypatch)
    E, _ = identity_net()
    with pytest.raises(RenderError, match="timeout|within 0.2 s"):
        render(E, tmp_path / "graph.png", timeout=0.2)


@pytest.mark.parametrize("name", ["graph.jpg", "graph", "graph.png.txt"])
def test_unknown_suffix_lists_the_supported_ones(tmp_path, name):
    E, _ = identity_net()
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf, \.dot"):
        render(E, tmp_path / name)


def test_missing_output_folder_is_named(tmp_path):
    E, _ = identity_net()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        render(E, tmp_path / "no" / "such" / "graph.dot")


def test_output_path_that_is_a_folder_is_refused(tmp_path):
    E, _ = identity_net()
    (tmp_path / "graph.dot").mkdir()
    with pytest.raises(IsADirectoryError, match="folder"):
        render(E, tmp_path / "graph.dot")


def test_unwritable_output_folder_is_named(tmp_path, monkeypatch):
    E, _ = identity_net()
    monkeypatch.setattr("micrograd_id.viz.os.access", lambda path, mode: False)  # root ignores chmod
    with pytest.raises(PermissionError, match="not writable"):
        render(E, tmp_path / "graph.dot")


def test_render_applies_the_size_guard_before_running_anything(tmp_path, monkeypatch):
    programs_only_in(tmp_path / "empty", monkeypatch)
    with pytest.raises(ValueError, match="max_nodes=10"):
        render(small_mlp(), tmp_path / "graph.png", max_nodes=10)


def test_no_warning_for_an_ordinary_draw():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw_dot(identity_net()[0], highlight=None)


# ----- local derivatives on the arrows ----------------------------------------

def edge_labels(source):
    """{(tail, head): label text} for the arrows that carry a label."""
    return {(t, h): text for t, h, text in re.findall(r"(\w+) -> (\w+) \[label=<(.*?)> fontcolor", source)}


def test_local_derivatives_label_every_arrow_into_an_op_with_the_engines_number():
    E, w = identity_net(w=0.3, x=1.0)
    source = draw_dot(E, local_derivatives=True).source
    labels = edge_labels(source)
    order = topological_order(E)
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    expected = {(ids[c], ids[v] + "_op"): d for v in order for c, d in zip(v.children, local_derivatives(v))}
    assert set(labels) == set(expected)
    for edge, text in labels.items():
        assert text.split(" = ")[-1] == f"{expected[edge]:.4g}"
    z = next(v for v in order if v.label == "z")  # as in the CS231n diagrams: ∂(w·x)/∂w = x
    assert labels[(ids[w], ids[z] + "_op")] == "x = 1"
    assert "on an arrow into an operation" in source
    assert not edge_labels(draw_dot(E).source)


def test_local_derivative_formulas_on_arrows_are_escaped():
    a, b = Value(2.0, label="<img src=x>"), Value(3.0, label="b")
    out = a * b
    out.backward()
    source = draw_dot(out, local_derivatives=True).source
    assert "<img" not in source and "b = 3" in source and "&lt;img src=x&gt; = 2" in source


@needs_dot
def test_local_derivatives_render():
    E, _ = identity_net()
    assert draw_dot(E, local_derivatives=True).pipe(format="svg").count(b"fill=\"#1f5fa8\"") == 8 + 1  # the arrows and the caption


# ----- any unicode labels through draw_dot and dot -Tcanon (fuzzed) ----------------------

LABELS = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=24)


@pytest.fixture(scope="module")
def dot_program():
    if shutil.which("dot") is None:
        pytest.skip("the Graphviz `dot` program is not installed")


def canonical_dot(source):
    """The DOT source run through `dot -Tcanon`: (exit status, stdout, stderr)."""
    done = subprocess.run(["dot", "-Tcanon"], input=source.encode("utf-8"),
                          capture_output=True, timeout=60)
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(LABELS, LABELS, LABELS)
@example('" < > { } | \\', "]; digraph x {", "\x00\x1b\ud800\n\r")
@example("<B>bold</B>", "&amp;", "\\N\\G")
def test_any_unicode_labels_give_dot_that_graphviz_accepts(fuzz_cases, dot_program, w_label, x_label, root_label):
    fuzz_cases["draw_dot labels"] += 1
    w, x = Value(0.3, label=w_label), Value(1.0, label=x_label)
    error = identity_error(w, x)
    error.label = root_label
    error.backward()
    status, canon, stderr = canonical_dot(viz.draw_dot(error).source)
    assert (status, stderr) == (0, "")  # accepted without a warning
    drawn = canon.count("<TABLE")  # one record per Value of the graph
    assert drawn == 8, canon  # w, x, w*x, sigmoid, -, **2, 0.5, E
    for label in (w_label, x_label, root_label):
        if label.isascii() and label.isalnum():  # text that needs no escaping shows verbatim
            assert label in canon
