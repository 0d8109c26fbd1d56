"""notation: one printer for every view; what it prints means what the graph computes."""

import math
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from micrograd_id import Value, define_op
from micrograd_id.engine import OPS, power_op, topological_order
from micrograd_id.identity import IdentityNet
from micrograd_id.losses import half_squared_error
from micrograd_id.nn import MLP
from micrograd_id.notation import (
    ATOM,
    PRODUCT,
    SUM,
    UNARY,
    Expr,
    expression,
    fill,
    local_formula,
    nn_label,
    node_names,
    number,
    operand,
    parse_nn_label,
    printable,
)


def full_names(root):
    """Every node's whole expression (never shortened), for reading it back."""
    names = {}
    for v in reversed(topological_order(root)):
        names[v] = Expr(v.label, ATOM) if v.label else number(v.data, 17) if not v.children else expression(v, names)
    return names


def as_python(text):
    """A printed expression as Python: the symbol set mapped back to operators and functions."""
    text = re.sub(r"√([A-Za-z_]\w*|\d[\d.e+-]*)", r"sqrt(\1)", text).replace("√(", "sqrt(")
    return text.replace("·", "*").replace("−", "-").replace("^", "**")


NAMESPACE = {"sqrt": math.sqrt, "exp": math.exp, "log": math.log, "tanh": math.tanh, "sin": math.sin,
             "cos": math.cos, "tan": math.tan, "arctan": math.atan,
             "sigmoid": lambda z: 0.5 * (1.0 + math.tanh(z / 2.0)), "relu": lambda z: max(z, 0.0)}

ONE_INPUT = [lambda a: -a, lambda a: a.exp(), lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: a.relu(),
         lambda a: a.sin(), lambda a: a.cos(), lambda a: a.arctan(), lambda a: a ** 2, lambda a: a ** 3,
         lambda a: (a * a + 1.0).sqrt(), lambda a: (a * a + 1.0).log(), lambda a: a ** -1.0 if a.data else a]
TWO_INPUTS = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b * b + 1.0),
          lambda a, b: (a * a + 1.0) ** (b.tanh())]


@st.composite
def trees(draw):
    leaves = [Value(draw(st.floats(-2, 2)), label=name) for name in "abc"]
    nodes = list(leaves) + [Value(draw(st.sampled_from([-1.5, 0.5, 2.0])))]
    for _ in range(draw(st.integers(1, 8))):
        try:
            if draw(st.booleans()):
                nodes.append(draw(st.sampled_from(ONE_INPUT))(draw(st.sampled_from(nodes))))
            else:
                a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
                nodes.append(draw(st.sampled_from(TWO_INPUTS))(a, b))
        except (ArithmeticError, ValueError):  # out of an op's domain: not what this test is about
            assume(False)
    return leaves, nodes[-1]


@settings(max_examples=300, deadline=None)
@given(trees())
def test_a_printed_expression_computes_the_value_it_names(tree):
    leaves, root = tree
    text = full_names(root)[root].text
    want = root.data
    got = eval(as_python(text), dict(NAMESPACE), {v.label: v.data for v in leaves})  # noqa: S307 (our own text)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12), text


@settings(max_examples=200, deadline=None)
@given(trees())
def test_no_expression_is_bracketed_as_a_whole(tree):
    _, root = tree
    for expr in full_names(root).values():
        assert not (expr.text.startswith("(") and _closes_at_end(expr.text)), expr.text


def _closes_at_end(text):
    depth = 0
    for k, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return k == len(text) - 1
    return False


@pytest.mark.parametrize("make, text", [
    (lambda a, b, c: (a + b) * c, "(a + b)·c"),
    (lambda a, b, c: a * b + c, "a·b + c"),
    (lambda a, b, c: a - (b - c), "a − (b − c)"),
    (lambda a, b, c: (a - b) - c, "a − b − c"),
    (lambda a, b, c: a / (b * c), "a/(b·c)"),
    (lambda a, b, c: (a * b) ** 2, "(a·b)^2"),
    (lambda a, b, c: -(a ** 2), "−a^2"),
    (lambda a, b, c: (-a) ** 2, "(−a)^2"),
    (lambda a, b, c: a * -b, "a·(−b)"),
    (lambda a, b, c: (a + b).sigmoid(), "sigmoid(a + b)"),
    (lambda a, b, c: abs(a - b), "|a − b|"),
    (lambda a, b, c: (a + b).sqrt(), "√(a + b)"),
    (lambda a, b, c: a.sqrt() * b, "√a·b"),
    (lambda a, b, c: a * -2.0, "a·(-2)"),
])
def test_brackets_exactly_where_precedence_needs_them(make, text):
    a, b, c = (Value(v, label=n) for v, n in ((4.0, "a"), (2.0, "b"), (3.0, "c")))
    root = make(a, b, c)
    assert full_names(root)[root].text == text


def test_the_identity_networks_local_derivatives_read_as_in_the_question():
    net = IdentityNet(0.3)
    E = half_squared_error(net(1.0), 1.0)
    names = node_names(topological_order(E))
    nodes = {v.label: v for v in names if v.label}
    y_hat, z = nodes["y_hat"], nodes["z"]
    square = next(v for v in names if v.operation is power_op(2.0))
    difference = square.children[0]
    assert names[square].text == "(y_hat − y)^2"
    assert local_formula(square, 0, names).text == "2·(y_hat − y)"
    assert local_formula(y_hat, 0, names).text == "y_hat·(1 − y_hat)"
    assert local_formula(z, 0, names).text == "x" and local_formula(z, 1, names).text == "w"
    assert local_formula(difference, 1, names).text == "−1"
    numbers = {v: number(v.data) for v in names}
    assert local_formula(y_hat, 0, numbers).text == "0.574443·(1 − 0.574443)"


def test_names_are_labels_then_numbers_then_short_expressions():
    model = MLP(2, [3, 1], seed=0)
    loss = half_squared_error(model([1.0, -1.0]), 1.0)
    names = node_names(topological_order(loss))
    texts = [e.text for e in names.values()]
    assert "L1.N0" in texts and "L0.N2.w1" in texts and "-1" in texts
    assert all(len(t) <= 32 for v, t in zip(names, texts) if not v.label)
    assert any("…" in t for t in texts) and not any("⟨" in t for t in texts)


def test_a_template_with_an_unknown_operator_brackets_every_compound_operand():
    circle = define_op("oplus", forward=lambda a, b: a + 2 * b, rule=lambda g, out, a, b: (g, 2 * g),
                       notation="{0} ⊕ {1}")
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    v = circle(a * b, a) * b
    assert full_names(v)[v].text == "((a·b) ⊕ a)·b"


def test_a_slot_no_operand_fills_stays_as_written():
    assert fill("{0} + {5}", [Expr("a", ATOM)]).text == "a + {5}"
    assert fill("f({out})", [Expr("a", ATOM)]).text == "f({out})"


def test_levels_and_operands():
    assert fill("{0} + {1}", [Expr("a", ATOM)] * 2).level == SUM
    assert fill("{0}·{1}", [Expr("a", ATOM)] * 2).level == PRODUCT
    assert fill("−{0}", [Expr("a", ATOM)]).level == UNARY
    assert fill("{0}", [Expr("a + b", SUM)]) == Expr("a + b", SUM)  # one slot: binds as its operand
    assert operand(Expr("a + b", SUM)) == "(a + b)" and operand(Expr("sigmoid(a + b)", ATOM)) == "sigmoid(a + b)"
    assert number(-0.5) == Expr("-0.5", UNARY) and number(0.0) == Expr("0", ATOM)
    assert number(1 / 3, 3).text == "0.333"


def test_every_builtin_template_reads_without_error():
    operands = [Expr("a + b", SUM), Expr("c", ATOM)]
    for op in OPS.values():
        fill(op.notation, operands[:op.arity])
        for template in op.derivatives:
            fill(template, operands[:op.arity], Expr("o", ATOM))


def test_printable_escapes_control_characters_only():
    assert printable("y_hat") == "y_hat" and printable("ŷ") == "ŷ"
    assert printable("w\x1b[2J") == r"w\x1b[2J" and printable("a\nb") == r"a\nb"


@given(st.integers(0, 10 ** 6), st.integers(0, 10 ** 6), st.one_of(st.none(), st.integers(0, 999), st.just("b")))
def test_nn_labels_read_back_as_made(layer, neuron, parameter):
    label = nn_label(layer, neuron, parameter)
    parsed = parse_nn_label(label)
    expected = None if parameter is None else "b" if parameter == "b" else f"w{parameter}"
    assert parsed == (layer, neuron, expected)
    assert nn_label(nn_label(layer, neuron), parameter=parameter) == label  # a neuron labels its parameters


@pytest.mark.parametrize("label", ["", "L0", "L0.N", "L0.N1.x", "l0.n1", "L0.N1.w", "L0.N1.b2", "w"])
def test_other_labels_are_not_nn_labels(label):
    assert parse_nn_label(label) is None


def test_the_mlp_labels_its_parameters_in_the_grammar():
    model = MLP(3, [2, 1], seed=0)
    for name, _ in model.named_parameters():
        assert parse_nn_label(name) is not None
    assert [n for n, _ in model.named_parameters()][:4] == ["L0.N0.w0", "L0.N0.w1", "L0.N0.w2", "L0.N0.b"]
