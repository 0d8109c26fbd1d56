"""The engine's fast paths agree with what they shortcut, and backward is safe from several threads.

* ``backward`` runs reverse mode in place on .grad; ``grad`` runs the
  reference algorithm on a dict. On random graphs both give the same numbers,
  exactly, for every node, also when backward is called a second time.
* A Value method (``a + b``, ``a.exp()``) records exactly what calling its Op
  does (``ADD(a, b)``, ``EXP(a)``); ``+`` and ``×`` write their forward out.
* backward() from several threads at once on one shared graph adds up each
  thread's gradients, as in PyTorch.
"""

import math
import sys
import threading

import pytest
from expression_trees import BINARY, UNARY, evaluate, show, trees
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_id import Value, define_op, grad
from micrograd_id.engine import OPS, power_op, record, topological_order

FORWARD_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def build(tree, xs):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    try:
        return leaves, evaluate(tree, leaves)
    except FORWARD_ERRORS:
        return leaves, None


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


@settings(max_examples=300, deadline=None)
@given(tree=trees(3, max_leaves=12), xs=st.lists(st.floats(-3.0, 3.0), min_size=3, max_size=3))
def test_backward_in_place_agrees_exactly_with_the_reference_algorithm(tree, xs):
    leaves, out = build(tree, xs)
    if not isinstance(out, Value):
        return
    nodes = topological_order(out)
    try:
        reference = grad(out, nodes)
    except FORWARD_ERRORS:  # a rule's own domain error: backward must raise it too, changing nothing
        with pytest.raises(FORWARD_ERRORS, match="backward of op"):
            out.backward()
        assert all(node.grad == 0.0 for node in nodes)
        return
    out.backward()
    assert all(same(node.grad, g) for node, g in zip(nodes, reference)), show(tree)
    out.backward()  # a second backward adds the same again
    assert all(same(node.grad, g + g) for node, g in zip(nodes, reference)), show(tree)


@pytest.mark.parametrize("name", sorted(OPS))
def test_a_value_method_records_what_record_of_its_op_records(name):
    op = OPS[name]
    method = {"neg": UNARY["neg"], "abs": UNARY["abs"], **BINARY}.get(name) or (lambda a: getattr(a, name)())
    args = [Value(0.3), Value(0.7)][:op.arity]
    by_method, by_op = method(*args), record(op, *args)
    assert by_method.operation is by_op.operation is op
    assert by_method.children == by_op.children == tuple(args)
    assert by_method.data == by_op.data == op.forward(*[a.data for a in args])


@pytest.mark.parametrize("a, b", [(0.3, 0.7), (-2.5, 1e300), (1e300, 1e300), (math.inf, -math.inf), (math.nan, 1.0),
                                  (-0.0, 0.0), (3, 0.5)])
def test_the_written_out_add_and_mul_equal_their_ops_forward(a, b):
    for make, op in ((lambda x, y: x + y, OPS["+"]), (lambda x, y: x * y, OPS["*"])):
        for left, right in ((Value(a), Value(b)), (Value(a), b), (a, Value(b))):
            out = make(left, right)
            assert same(out.data, op.forward(float(a), float(b))) and out.operation is op
            assert [c.data for c in out.children] == [float(a), float(b)] or math.isnan(a)


def test_an_op_called_with_numbers_makes_leaves_and_refuses_a_wrong_number_of_inputs():
    out = record(OPS["*"], 2, Value(3.0))
    assert out.data == 6.0 and out.children[0].data == 2.0 and out.children[0].operation is None
    assert record(power_op(2.0), 3.0).data == 9.0
    with pytest.raises(TypeError, match=r"^\+\(\) takes 2 input\(s\), got 1$"):
        record(OPS["+"], Value(1.0))
    with pytest.raises(TypeError, match=r"^exp\(\) takes 1 input\(s\), got 2$"):
        record(OPS["exp"], 1.0, 2.0)
    with pytest.raises(TypeError, match="Value data must be a real number"):
        record(OPS["exp"], "1")
    three = define_op("three", forward=lambda a, b, c: a + b + c, rule=lambda g, out, a, b, c: (g, g, g))
    assert record(three.op, 1.0, 2.0, Value(3.0)).data == 6.0
    with pytest.raises(TypeError, match=r"^three\(\) takes 3 input\(s\), got 2$"):
        three(1.0, 2.0)


# ----- threads ------------------------------------------------------------------------------------

def shared_graph(n_ops=20_000):
    """x and y feed a long chain of ops mixing them: 20,000 ops, every node's gradient nonzero."""
    x, y = Value(0.5, label="x"), Value(-0.25, label="y")
    out = x
    for i in range(n_ops // 4):
        out = (out * 0.999 + y).tanh() + x * 1e-3
    return x, y, out


def test_backward_from_four_threads_on_one_graph_adds_up_four_backwards():
    x, y, out = shared_graph()
    nodes = topological_order(out)
    out.backward()
    once = [node.grad for node in nodes]
    for node in nodes:
        node.grad = 0.0
    for _ in range(4):
        out.backward()
    four_in_turn = [node.grad for node in nodes]
    assert four_in_turn == pytest.approx([4 * g for g in once], rel=1e-12)
    for node in nodes:
        node.grad = 0.0

    start = threading.Barrier(4)
    failures = []

    def run():
        try:
            start.wait(timeout=30)
            out.backward()
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            failures.append(error)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: any race shows
    try:
        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(switch)
    assert not failures and not any(t.is_alive() for t in threads)
    assert [node.grad for node in nodes] == four_in_turn  # exactly: the same additions in some order of threads
    assert x.grad == pytest.approx(4 * once[nodes.index(x)], rel=1e-12) and x.grad != 0.0
