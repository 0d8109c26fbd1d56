"""The losses equal torch.nn.functional in value and gradient, and stay finite at logits of ±1000."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_id import Value
from micrograd_id.losses import binary_cross_entropy, cross_entropy, half_squared_error, hinge, mse

try:
    import torch
    F = torch.nn.functional
except ImportError:  # the torch comparisons skip; the rest still runs
    torch = F = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (pip install '.[torch]')")

TOL = 1e-12
logit = st.floats(-50, 50, allow_nan=False)
EXTREMES = [-1000.0, -30.0, -1e-9, 0.0, 1e-9, 30.0, 1000.0]


def ours(loss, z, target):
    """(value, dloss/dz) with micrograd_id."""
    v = Value(z, label="z")
    out = loss(v, target)
    out.backward()
    return out.data, v.grad


def theirs(loss, z, target):
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    out = loss(t, torch.tensor(float(target), dtype=torch.float64))
    out.backward()
    return out.item(), t.grad.item()


def close(a, b):
    return abs(a - b) <= TOL * max(1.0, abs(b))


def agree(mine, reference):
    assert all(math.isfinite(v) for v in mine)
    assert close(mine[0], reference[0]) and close(mine[1], reference[1]), (mine, reference)


TORCH_FORMS = {  # our loss, and the same written with torch.nn.functional
    "mse": (mse, lambda z, y: F.mse_loss(z, y)),
    "hinge": (hinge, lambda z, y: F.relu(1 - y * z)),
    "bce": (binary_cross_entropy, lambda z, y: F.binary_cross_entropy_with_logits(z, y)),
}
LABELS = {"mse": [-1.5, 0.0, 2.0], "hinge": [-1, 1], "bce": [0, 1, 0.25]}


@needs_torch
@pytest.mark.parametrize("name", TORCH_FORMS)
@settings(max_examples=150, deadline=None)
@given(z=logit, pick=st.integers(0, 2))
def test_each_binary_loss_equals_torch(name, z, pick):
    labels = LABELS[name]
    target = labels[pick % len(labels)]
    mine, reference = TORCH_FORMS[name]
    agree(ours(mine, z, target), theirs(reference, z, target))


@needs_torch
@pytest.mark.parametrize("name", ["hinge", "bce"])
@pytest.mark.parametrize("z", EXTREMES)
def test_classification_losses_equal_torch_at_extreme_and_kink_logits(name, z):
    mine, reference = TORCH_FORMS[name]
    for target in LABELS[name]:
        agree(ours(mine, z, target), theirs(reference, z, target))


def test_bce_gradient_is_sigmoid_minus_label_also_at_zero():
    assert ours(binary_cross_entropy, 0.0, 1)[1] == -0.5
    assert ours(binary_cross_entropy, 0.0, 0) == (math.log(2.0), 0.5)
    value, gradient = ours(binary_cross_entropy, 1000.0, 0)
    assert value == 1000.0 and gradient == 1.0


def torch_cross_entropy(zs, k):
    t = torch.tensor(zs, dtype=torch.float64, requires_grad=True)
    out = F.cross_entropy(t[None], torch.tensor([k]))
    out.backward()
    return out.item(), t.grad.tolist()


@needs_torch
@settings(max_examples=150, deadline=None)
@given(zs=st.lists(st.one_of(logit, st.sampled_from(EXTREMES)), min_size=2, max_size=6), data=st.data())
def test_cross_entropy_equals_torch(zs, data):
    k = data.draw(st.integers(0, len(zs) - 1))
    values = [Value(z) for z in zs]
    out = cross_entropy(values, k)
    out.backward()
    value, grads = torch_cross_entropy(zs, k)
    assert math.isfinite(out.data) and close(out.data, value)
    assert all(close(v.grad, g) for v, g in zip(values, grads)), ([v.grad for v in values], grads)


def test_cross_entropy_of_huge_logits_is_finite():
    zs = [Value(1000.0), Value(-1000.0), Value(999.0)]
    out = cross_entropy(zs, 1)
    out.backward()
    assert out.data == pytest.approx(2000.0 + math.log1p(math.exp(-1.0)), rel=1e-15)
    assert [z.grad for z in zs][1] == -1.0


def test_half_squared_error_is_half_of_mse():
    assert half_squared_error(Value(0.75), 0.25).data * 2 == mse(Value(0.75), 0.25).data


def test_losses_are_graphs_of_the_engines_ops():
    out = binary_cross_entropy(Value(-2.0), 1)
    assert out.label == "loss" and out.op == "-"
    ops = set()
    stack = [out]
    while stack:
        node = stack.pop()
        ops.add(node.op)
        stack.extend(node.children)
    assert {"exp", "log", "*"} <= ops


@pytest.mark.parametrize("call, message", [
    (lambda: hinge(Value(0.5), 0), "y = -1 or \\+1, got 0"),
    (lambda: hinge(Value(0.5), True), "got True"),
    (lambda: binary_cross_entropy(Value(0.5), 2), "in \\[0, 1\\].*got 2"),
    (lambda: binary_cross_entropy(Value(0.5), float("nan")), "finite"),
    (lambda: cross_entropy([Value(1.0), Value(2.0)], 2), "from 0 to 1, got 2"),
    (lambda: cross_entropy([Value(1.0), Value(2.0)], 1.0), "got 1.0"),
    (lambda: cross_entropy(Value(1.0), 0), "at least 2 logits"),
    (lambda: mse(Value(1.0), "1"), "y must be a real number"),
])
def test_bad_labels_name_the_value(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
