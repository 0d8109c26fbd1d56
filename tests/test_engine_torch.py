"""The engine against PyTorch (double precision): the same expressions built in both.

Skipped when torch is absent. Data and every input's gradient must agree to
1e-12 relative. Near zero a relative test is meaningless (an op that rounds
differently by one unit in the last place, followed by cancellation, leaves a
few ulps of the larger terms), so an absolute tolerance of 1e-12 times the
largest magnitude in the expression applies there.
"""

import math

import pytest
from expression_trees import BINARY, UNARY, OutOfDomain, data, evaluate, in_domain, inputs, show, trees
from hypothesis import given, reject, settings

from micrograd_id import Value

torch = pytest.importorskip("torch")

REL = 1e-12


def both(tree, xs, guarded):
    """The tree built in the engine and in torch at xs: (leaves, out, tensors, torch_out, scale).

    guarded: reject the example where in_domain would (for drawn trees only).
    """
    leaves = [Value(x) for x in xs]
    scale = [max(map(abs, xs), default=0.0)]

    def check(op, *operands):
        if guarded:
            in_domain(op, *operands)
        scale[0] = max(scale[0], *(abs(data(o)) for o in operands))

    try:
        out = evaluate(tree, leaves, check)
    except OutOfDomain:
        reject()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    return leaves, out, tensors, evaluate(tree, tensors), max(scale[0], abs(out.data), 1.0)


def assert_agree(tree, xs, guarded=False):
    leaves, out, tensors, reference, scale = both(tree, xs, guarded)
    tol = dict(rel_tol=REL, abs_tol=REL * scale)
    assert math.isclose(out.data, reference.item(), **tol), ("data", show(tree), xs)
    out.backward()
    reference.backward()
    for i, (leaf, tensor) in enumerate(zip(leaves, tensors)):
        want = 0.0 if tensor.grad is None else tensor.grad.item()
        assert math.isclose(leaf.grad, want, **tol), (f"d/dx{i}", show(tree), xs, leaf.grad, want)


POINTS = [-3.0, -0.7, 0.4, 1.3, 25.0]


@pytest.mark.parametrize("op", sorted(UNARY))
@pytest.mark.parametrize("x", POINTS)
def test_each_unary_op_agrees_with_torch(op, x):
    if op in ("log", "sqrt"):
        x = abs(x)
    if op in ("arcsin", "arccos"):
        x = x / 30.0  # into (-1, 1)
    assert_agree((op, ("x", 0)), [x])


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("a, b", [(-3.0, 0.4), (0.4, -0.7), (1.3, 25.0), (25.0, 1.3)])
def test_each_binary_op_agrees_with_torch(op, a, b):
    if op == "**":
        a = abs(a)
    assert_agree((op, ("x", 0), ("x", 1)), [a, b])


SEED_ERROR = ("*", ("c", 0.5), ("**", ("-", ("sigmoid", ("*", ("x", 0), ("x", 1))), ("x", 1)), ("c", 2.0)))


@pytest.mark.parametrize("tree", [
    ("*", ("c", 2.0), ("x", 0)), ("-", ("c", 1.0), ("x", 0)), ("/", ("c", 1.0), ("x", 0)),
    ("**", ("c", 2.0), ("x", 0)), ("**", ("x", 0), ("c", 3.0)), ("**", ("x", 0), ("c", -2.0)),
], ids=show)
def test_numbers_on_either_side_agree_with_torch(tree):
    for x in POINTS:
        assert_agree(tree, [x])


@pytest.mark.parametrize("w", [-5.0, -0.8, 0.3, 2.0, 7.5])
@pytest.mark.parametrize("x", [0.0, 1.0])
def test_the_seeds_error_agrees_with_torch(w, x):
    """E = 1/2 (sigmoid(w x) - x)**2, the seed's identity net, in both."""
    assert_agree(SEED_ERROR, [w, x])


@settings(deadline=None, max_examples=300)
@given(trees(3, max_leaves=14), inputs(3))
def test_random_expressions_agree_with_torch(tree, xs):
    assert_agree(tree, xs, guarded=True)


@pytest.mark.parametrize("x", [0.0, -0.0, 1e-300, -2.5, math.inf, -math.inf, math.nan])
def test_truthiness_is_pytorchs_for_a_one_element_tensor(x):
    assert bool(Value(x)) is bool(torch.tensor(x, dtype=torch.float64))
