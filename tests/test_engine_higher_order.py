"""Higher-order gradients (grad of grad) and the Newton optimiser built on them.

Checked against derivatives worked out by hand, central differences of
first derivatives, and PyTorch (double precision) when it is installed.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import identity_net_error, load_script
from expression_trees import OutOfDomain, data, evaluate, in_domain, inputs, show, trees
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from micrograd_id import Value, grad
from micrograd_id.identity import IdentityNet, forward, hand_gradient, hand_gradient_bias
from micrograd_id.losses import half_squared_error
from micrograd_id.optim import SGD, Newton
from micrograd_id.train import train

WS = [float(w) for w in np.linspace(-6.0, 6.0, 25)]
W_CONCAVE = -2.0  # for x = 1, E'' < 0 wherever A(w) < 1/3, i.e. w < -ln 2 (see below)


def close(a, b, rel=1e-12, abs_=1e-14):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def derivatives(f, x, order):
    """[f, f', f'', ...] at x up to ``order``, each by grad() of the one before."""
    v = Value(x)
    out = [f(v)]
    for _ in range(order):
        (d,) = grad(out[-1], [v], create_graph=True)
        out.append(d)
    return [d.data for d in out]


def hessian(loss, params):
    """Rows of second derivatives by reverse over reverse mode."""
    first = grad(loss, params, create_graph=True)
    return [grad(g, params) for g in first]


# ----- the seed's net: E(w) = 1/2 (A(w x) - y)^2 -----------------------------------
#
# Derivation by hand, with a = A(w x), A = sigmoid, A' = A (1 - A):
#   da/dw     = x a (1 - a)                                      (chain rule through z = w x)
#   dE/dw     = (a - y) da/dw = (a - y) x a (1 - a)              (eq. 6)
#   d2E/dw2   = x d/dw[(a - y) a (1 - a)]
#             = x [da/dw a (1 - a) + (a - y) (1 - 2a) da/dw]     (d/da of a(1-a) is 1 - 2a)
#             = x^2 a (1 - a) [a (1 - a) + (a - y) (1 - 2a)]
# With a bias, z = w x + b and dz/db = 1, so each w-derivative brings a factor x
# and each b-derivative a factor 1:  Hessian = q [[x^2, x], [x, 1]] with
#   q = a (1 - a) [a (1 - a) + (a - y) (1 - 2a)].
# For x = y = 1: q = a (1 - a)^2 (3a - 1), negative exactly where a < 1/3.

def curvature_factor(w, x, y, b=0.0):
    a = forward(w, x, b)
    return a * (1 - a) * (a * (1 - a) + (a - y) * (1 - 2 * a))


def hand_second_derivative(w, x, y=None, b=0.0):
    y = x if y is None else y
    return x * x * curvature_factor(w, x, y, b)


@pytest.mark.parametrize("x", [0.0, 1.0])
@pytest.mark.parametrize("w", WS)
def test_second_derivative_of_the_seeds_error_matches_the_hand_derivation(w, x):
    net, E = identity_net_error(w, x, backward=False)
    (dE,) = grad(E, [net.w], create_graph=True)
    (d2E,) = grad(dE, [net.w])
    assert close(dE.data, hand_gradient(w, x))
    assert close(d2E, hand_second_derivative(w, x))


@pytest.mark.parametrize("x", [0.0, 1.0])
@pytest.mark.parametrize("w", WS)
def test_second_derivative_equals_a_central_difference_of_eq6(w, x):
    h = 1e-5
    numeric = (hand_gradient(w + h, x) - hand_gradient(w - h, x)) / (2 * h)
    net, E = identity_net_error(w, x, backward=False)
    (d2E,) = hessian(E, [net.w])[0]
    assert math.isclose(d2E, numeric, rel_tol=1e-7, abs_tol=1e-10)


def test_for_x_0_the_error_is_flat_to_every_order():
    net, E = identity_net_error(1.7, 0.0, backward=False)
    d = E
    for _ in range(3):
        (d,) = grad(d, [net.w], create_graph=True)
        assert d.data == 0.0


def test_for_x_1_the_curvature_changes_sign_where_the_output_is_one_third():
    w_flip = -math.log(2.0)  # A(-ln 2) = 1/3
    for w, sign in [(w_flip - 0.01, -1.0), (w_flip + 0.01, 1.0), (W_CONCAVE, -1.0), (0.3, 1.0)]:
        net, E = identity_net_error(w, 1.0, backward=False)
        (d2E,) = hessian(E, [net.w])[0]
        assert math.copysign(1.0, d2E) == sign, (w, d2E)


def test_the_second_derivative_of_the_seeds_error_agrees_with_torch():
    torch = pytest.importorskip("torch")
    for w in WS:
        for x in (0.0, 1.0):
            wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
            E = 0.5 * (torch.sigmoid(wt * x) - x) ** 2
            (dE,) = torch.autograd.grad(E, [wt], create_graph=True)
            (d2E,) = torch.autograd.grad(dE, [wt], allow_unused=True, materialize_grads=True)
            net, ours = identity_net_error(w, x, backward=False)
            assert close(hessian(ours, [net.w])[0][0], d2E.item()), (w, x)


# ----- third derivatives of the activations ----------------------------------------
#
# tanh:    t' = 1 - t^2,  t'' = -2 t (1 - t^2),
#          t''' = -2 (1 - t^2)^2 + 4 t^2 (1 - t^2) = -2 sech^2 (1 - 3 t^2)
# sigmoid: s' = s (1 - s),  s'' = s' (1 - 2s),
#          s''' = s' (1 - 2s)^2 - 2 s'^2 = s (1 - s) (1 - 6 s + 6 s^2)

XS = [-6.0, -2.5, -1.0, -0.3, 0.0, 0.3, 1.0, 2.5, 6.0]


@pytest.mark.parametrize("x", XS)
def test_third_derivative_of_tanh(x):
    t = math.tanh(x)
    want = [t, 1 - t * t, -2 * t * (1 - t * t), -2 * (1 - t * t) * (1 - 3 * t * t)]
    got = derivatives(lambda v: v.tanh(), x, 3)
    assert all(close(g, w) for g, w in zip(got, want)), (got, want)


@pytest.mark.parametrize("x", XS)
def test_third_derivative_of_sigmoid(x):
    s = float(forward(1.0, x))
    ds = s * (1 - s)
    want = [s, ds, ds * (1 - 2 * s), ds * (1 - 6 * s + 6 * s * s)]
    got = derivatives(lambda v: v.sigmoid(), x, 3)
    assert all(close(g, w) for g, w in zip(got, want)), (got, want)


@pytest.mark.parametrize("f, third", [
    (lambda v: v.exp(), math.exp),
    (lambda v: v.log(), lambda x: 2 / x**3),
    (lambda v: v**3, lambda x: 6.0),
    (lambda v: 1 / v, lambda x: -6 / x**4),
    (lambda v: 2**v, lambda x: math.log(2) ** 3 * 2**x),
    (lambda v: v**v, lambda x: x**x * ((math.log(x) + 1) ** 3 + 3 * (math.log(x) + 1) / x - 1 / x**2)),
], ids=["exp", "log", "cube", "reciprocal", "2**x", "x**x"])
def test_third_derivatives_of_other_ops(f, third):
    for x in (0.4, 1.0, 2.3):
        assert close(derivatives(f, x, 3)[3], third(x), rel=1e-11), x


# ----- mixed partials with a bias -----------------------------------------------------

@pytest.mark.parametrize("x, y", [(0.0, 0.0), (1.0, 1.0), (-1.3, 0.2), (2.0, 0.9)])
@pytest.mark.parametrize("w, b", [(0.3, 0.0), (-2.0, 1.5), (4.0, -3.0), (-0.7, -0.2)])
def test_the_hessian_with_a_bias_is_q_times_x_outer_x(w, b, x, y):
    net = IdentityNet(w, bias=b)
    E = half_squared_error(net(x), y)
    (hww, hwb), (hbw, hbb) = hessian(E, [net.w, net.b])
    q = curvature_factor(w, x, y, b)
    assert close(hww, q * x * x) and close(hwb, q * x) and close(hbb, q)
    assert close(hwb, hbw, rel=1e-15, abs_=1e-300)  # reverse over reverse: the same sum of terms


def test_mixed_partials_agree_with_central_differences_of_the_other_first_derivative():
    h = 1e-6
    net = IdentityNet(-0.8, bias=0.6)

    def first(w, b):
        net.w.data, net.b.data = w, b
        return grad(half_squared_error(net(1.0), 1.0), [net.w, net.b])

    dwb = (first(-0.8, 0.6 + h)[0] - first(-0.8, 0.6 - h)[0]) / (2 * h)
    dbw = (first(-0.8 + h, 0.6)[1] - first(-0.8 - h, 0.6)[1]) / (2 * h)
    net.w.data, net.b.data = -0.8, 0.6
    (_, hwb), (hbw, _) = hessian(half_squared_error(net(1.0), 1.0), [net.w, net.b])
    assert math.isclose(hwb, dwb, rel_tol=1e-7) and math.isclose(hbw, dbw, rel_tol=1e-7)


# ----- hypothesis: second derivatives vs central differences of first derivatives -----

@settings(deadline=None, max_examples=200)
@given(st.floats(-6, 6), st.floats(-6, 6), st.floats(-2, 2), st.floats(-1, 2))
def test_seed_net_hessian_matches_central_differences_anywhere(w, b, x, y):
    h = 1e-5
    net = IdentityNet(w, bias=b)
    H = hessian(half_squared_error(net(x), y), [net.w, net.b])
    for j, (dw, db) in enumerate([(h, 0.0), (0.0, h)]):
        for i, first in enumerate([hand_gradient, hand_gradient_bias]):
            numeric = (first(w + dw, x, y, b + db) - first(w - dw, x, y, b - db)) / (2 * h)
            assert math.isclose(H[i][j], numeric, rel_tol=1e-6, abs_tol=1e-9), (i, j, H, numeric)


def second_derivatives_by_differences(tree, xs, h):
    """Central differences, with steps h and 2h, of the engine's first derivatives."""
    def first(point):
        leaves = [Value(v) for v in point]
        return grad(evaluate(tree, leaves, in_domain), leaves)

    n = len(xs)
    table = {}
    for step in (h, 2 * h):
        for j in range(n):
            up = [v + step * (k == j) for k, v in enumerate(xs)]
            down = [v - step * (k == j) for k, v in enumerate(xs)]
            g_up, g_down = first(up), first(down)
            for i in range(n):
                table[step, i, j] = (g_up[i] - g_down[i]) / (2 * step)
    return table


@settings(deadline=None, max_examples=300)
@given(trees(2, max_leaves=10), inputs(2))
def test_second_derivatives_of_random_expressions_match_central_differences(tree, xs):
    leaves = [Value(v) for v in xs]
    try:
        H = hessian(evaluate(tree, leaves, in_domain), leaves)
        numeric = second_derivatives_by_differences(tree, xs, h=1e-4)
    except OutOfDomain:
        reject()
    for i in range(2):
        for j in range(2):
            d_h, d_2h = numeric[1e-4, i, j], numeric[2e-4, i, j]
            # d_h - d_2h estimates 3x the truncation error of d_h; rounding adds ~1e-9 of the scale.
            slack = 10 * abs(d_h - d_2h) + 1e-6 * max(1.0, abs(d_h))
            assert abs(H[i][j] - d_h) <= slack, (show(tree), xs, i, j, H[i][j], d_h, d_2h)


# ----- PyTorch cross-check of second and third derivatives -------------------------------

def torch_derivatives(torch, y, xs, order):
    """[[d y/dx_i], [d2 y/dx_i dx_j], ...] flattened per order; constants have zero derivatives."""
    levels, current = [], [y]
    for _ in range(order):
        nxt = []
        for t in current:
            if t.requires_grad:
                nxt.extend(torch.autograd.grad(t, xs, create_graph=True, allow_unused=True, materialize_grads=True))
            else:
                nxt.extend(torch.zeros((), dtype=torch.float64) for _ in xs)
        levels.append([t.item() for t in nxt])
        current = nxt
    return levels


def smooth_for_torch(op, *operands):
    """in_domain, and also refuse a Value exponent of exactly 0, 1 or 2.

    PyTorch's derivative of a**b in a is ``where(b == 0, 0, b * a**(b-1))``: at
    b = 0 the where's constant 0 has no slope in b, so the mixed partial a**-1 is
    lost (see the power test at the end). The derivative graph raises a to b-1,
    then b-2, so up to third order b = 1 and b = 2 hit the same spot.
    """
    in_domain(op, *operands)
    if op == "**" and not isinstance(operands[1], float) and data(operands[1]) in (0.0, 1.0, 2.0):
        raise OutOfDomain("Value exponent where PyTorch drops a higher-order term")


def engine_derivatives(y, xs, order):
    levels, current = [], [y]
    for _ in range(order):
        current = [d for t in current for d in grad(t, xs, create_graph=True)]
        levels.append([d.data for d in current])
    return levels


@settings(deadline=None, max_examples=300)
@given(trees(2, max_leaves=10), inputs(2))
def test_second_and_third_derivatives_of_random_expressions_agree_with_torch(tree, xs):
    torch = pytest.importorskip("torch")
    leaves = [Value(v) for v in xs]
    try:
        ours = engine_derivatives(evaluate(tree, leaves, smooth_for_torch), leaves, 3)
    except OutOfDomain:
        reject()
    tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in xs]
    theirs = torch_derivatives(torch, evaluate(tree, tensors), tensors, 3)
    for order, (mine, ref) in enumerate(zip(ours, theirs), start=1):
        scale = max([1.0] + [abs(r) for r in ref])
        for k, (a, b) in enumerate(zip(mine, ref)):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-10 * scale), (show(tree), xs, order, k, a, b)


# ----- how grad() behaves ----------------------------------------------------------------

def test_grad_leaves_every_grad_attribute_untouched():
    net = IdentityNet(0.3, bias=0.1)
    E = half_squared_error(net(1.0), 1.0)
    net.w.grad, net.b.grad = 7.0, -2.0
    before = {id(p): p.grad for p in (net.w, net.b)}
    first = grad(E, net.parameters(), create_graph=True)
    grad(first[0], net.parameters(), create_graph=True)
    grad(E, net.parameters())
    assert {id(p): p.grad for p in (net.w, net.b)} == before
    assert E.grad == 0.0 and all(d.grad == 0.0 for d in first)


def test_a_gradient_value_can_itself_be_backpropagated():
    net, E = identity_net_error(0.3, 1.0, backward=False)
    (dE,) = grad(E, [net.w], create_graph=True)
    dE.backward()  # like torch: backward through a create_graph gradient gives E''
    assert close(net.w.grad, hand_second_derivative(0.3, 1.0))


def test_inputs_the_output_does_not_reach_get_zero_at_every_order():
    w, unused = Value(0.5, label="w"), Value(2.0, label="u")
    y = (w * 3.0).tanh()
    assert grad(y, [unused]) == [0.0]
    (du,) = grad(y, [unused], create_graph=True)
    assert isinstance(du, Value) and du.data == 0.0 and grad(du, [w, unused]) == [0.0, 0.0]
    (dw,) = grad(w * 3.0, [w], create_graph=True)  # a constant first derivative
    assert dw.data == 3.0 and grad(dw, [w]) == [0.0]


def test_an_input_listed_twice_gets_its_gradient_twice():
    w = Value(0.7)
    assert grad(w * w * w, [w, w]) == pytest.approx([3 * 0.49, 3 * 0.49])


def test_first_order_grad_returns_plain_floats_and_matches_backward():
    net, E = identity_net_error(-1.1, 1.0, backward=False)
    (g,) = grad(E, [net.w])
    assert type(g) is float
    E.backward()
    assert g == net.w.grad


@pytest.mark.parametrize("output, inputs, message", [
    (1.0, "w", "needs a Value output"),
    (None, "w", "needs a Value output"),
    ("E", [0.5], "inputs must be Values"),
    ("E", ["a list"], "inputs must be Values"),
])
def test_bad_arguments_to_grad_are_refused_by_name(output, inputs, message):
    w = Value(0.3)
    E = (w * 2.0).sigmoid()
    output = E if output == "E" else output
    inputs = [w] if inputs == "w" else inputs
    with pytest.raises(TypeError, match=message):
        grad(output, inputs)


def test_grad_needs_a_list_of_inputs_not_a_single_value():
    w = Value(0.3)
    with pytest.raises(TypeError, match=r"list of inputs"):
        grad(w * w, w)


# ----- Newton's method ---------------------------------------------------------------------

def mean_error(net, xs=(0.0, 1.0)):
    """Full-batch error: the mean of E over the samples, with the identity target y = x."""
    return sum(half_squared_error(net(x), x) for x in xs) * (1.0 / len(xs))


def test_newton_solves_a_quadratic_in_one_step():
    u, v = Value(4.0), Value(-7.0)
    opt = Newton([u, v])
    info = opt.step(3 * (u - 1) ** 2 + (u - 1) * (v + 2) + 2 * (v + 2) ** 2 + 5)
    assert info.newton
    assert close(u.data, 1.0) and close(v.data, -2.0)
    assert np.allclose(info.hessian, [[6.0, 1.0], [1.0, 4.0]], rtol=1e-14)


def test_lr_scales_the_newton_step_and_damping_shortens_it():
    w = Value(0.0)
    Newton([w], lr=0.5).step(2 * (w - 3) ** 2)  # full step lands on 3
    assert close(w.data, 1.5)
    w.data = 0.0
    Newton([w], damping=4.0).step(2 * (w - 3) ** 2)  # E'/(E'' + 4) = -12/8
    assert close(w.data, 1.5)


def test_one_newton_step_on_the_seeds_net_is_w_minus_e1_over_e2():
    w0 = 0.3
    net, E = identity_net_error(w0, 1.0, backward=False)
    info = Newton([net.w]).step(E)
    assert info.newton
    assert close(net.w.data, w0 - hand_gradient(w0, 1.0) / hand_second_derivative(w0, 1.0))


def test_the_guard_takes_a_gradient_step_where_the_curvature_is_negative():
    net, E = identity_net_error(W_CONCAVE, 1.0, backward=False)
    assert hand_second_derivative(W_CONCAVE, 1.0) < 0
    # Unguarded Newton heads for the maximum of this concave stretch: uphill, away from w > 0.
    raw = W_CONCAVE - hand_gradient(W_CONCAVE, 1.0) / hand_second_derivative(W_CONCAVE, 1.0)
    assert raw < W_CONCAVE and identity_net_error(raw, 1.0, backward=False)[1].data > E.data
    info = Newton([net.w], fallback_lr=0.5).step(E)
    assert not info.newton
    assert close(net.w.data, W_CONCAVE - 0.5 * hand_gradient(W_CONCAVE, 1.0))
    assert net.w.data > W_CONCAVE and identity_net_error(net.w.data, 1.0, backward=False)[1].data < E.data


def test_the_guard_also_catches_a_singular_hessian_and_damping_lifts_it():
    # One sample with a bias: the Hessian q [[x^2, x], [x, 1]] has rank 1.
    net = IdentityNet(0.3, bias=0.0)
    info = Newton(net.parameters()).step(half_squared_error(net(1.0), 1.0))
    assert not info.newton and np.allclose(info.delta, -info.gradient)
    info = Newton(net.parameters(), damping=0.1).step(half_squared_error(net(1.0), 1.0))
    assert info.newton


def test_a_zero_hessian_falls_back_too():
    w = Value(1.0)
    info = Newton([w]).step(3 * w)
    assert not info.newton and w.data == -2.0


def test_newton_does_not_touch_grad_attributes():
    net = IdentityNet(0.3, bias=0.0)
    net.w.grad = 5.0
    Newton(net.parameters()).step(mean_error(net))
    assert net.w.grad == 5.0 and net.b.grad == 0.0


def newton_steps_to(net, threshold, cap):
    """Full-batch Newton steps until the mean error (checked before each step) is below threshold."""
    opt = Newton(net.parameters())
    for step in range(cap):
        loss = mean_error(net)
        if loss.data < threshold:
            return step
        opt.step(loss)
    return None


def test_newton_fits_both_samples_with_a_bias_in_a_few_steps_where_sgd_needs_thousands():
    net = IdentityNet(0.3, bias=0.0)
    steps = newton_steps_to(net, 1e-3, cap=20)
    assert steps is not None and steps <= 5
    for x in (0.0, 1.0):
        assert half_squared_error(net(x), x).data < 1e-3
    # SGD at the seed's learning rate, same start, same full-batch error: 100x the steps fall short.
    slow = IdentityNet(0.3, bias=0.0)
    hist = train(slow, xs=[0, 1], lr=0.5, steps=100 * steps, full_batch=True)
    assert min(hist.column("E")) > 1e-3
    assert mean_error(slow).data > 1e-3


def test_from_the_concave_region_newton_first_falls_back_then_converges():
    net = IdentityNet(W_CONCAVE, bias=0.0)
    opt = Newton(net.parameters(), fallback_lr=5.0)
    kinds = []
    for _ in range(200):
        loss = mean_error(net)
        if loss.data < 1e-3:
            break
        kinds.append(opt.step(loss).newton)
    assert mean_error(net).data < 1e-3
    assert kinds[0] is False and kinds[-1] is True


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(params=[]), ValueError, "no parameters"),
    (dict(params=[0.5]), TypeError, "must be Values"),
    (dict(lr=0.0), ValueError, "lr must be"),
    (dict(lr=float("nan")), ValueError, "lr must be"),
    (dict(lr=True), TypeError, "lr must be a real number"),
    (dict(damping=-1.0), ValueError, "damping must be"),
    (dict(damping=float("inf")), ValueError, "damping must be"),
    (dict(damping="0"), TypeError, "damping must be a real number"),
    (dict(fallback_lr=-0.1), ValueError, "fallback_lr must be"),
    (dict(params="twice"), ValueError, "same parameter twice"),
])
def test_bad_newton_arguments_are_refused_by_name(kwargs, error, message):
    kwargs = {"params": [Value(1.0)], **kwargs}
    if kwargs["params"] == "twice":
        w = Value(1.0)
        kwargs["params"] = [w, w]
    with pytest.raises(error, match=message):
        Newton(**kwargs)


def test_newton_step_refuses_a_non_value_or_non_finite_loss():
    w = Value(1.0)
    opt = Newton([w])
    with pytest.raises(TypeError, match="loss as a Value"):
        opt.step(0.5)
    with pytest.raises(FloatingPointError, match="loss is nan"):
        opt.step(w * float("nan"))
    with pytest.raises(FloatingPointError, match="step .* is not finite"):
        opt.step(1e-300 * w * w - 1e300 * w)  # E'' = 2e-300: a step of 5e599
    assert w.data == 1.0


def test_sgd_and_newton_share_the_parameter_checks():
    for cls in (SGD, Newton):
        with pytest.raises(TypeError, match="must be Values"):
            cls([Value(1.0), 2.0], lr=0.1)


def test_the_mixed_partial_of_a_power_at_exponent_zero_is_one_over_the_base():
    # d/da a**b = b a**(b-1) vanishes at b = 0, but its slope in b there is a**-1:
    # a rule that returns a constant 0 at b = 0 loses it (PyTorch 2.13 does, giving 0).
    a, b = Value(2.0), Value(0.0)
    (da,) = grad(a**b, [a], create_graph=True)
    assert da.data == 0.0 and grad(da, [b]) == [0.5]


# ----- the page docs/higher_order.md -------------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs"


def docs_generator():
    return load_script(DOCS / "make_higher_order.py")


def test_every_table_in_the_docs_page_is_what_the_library_computes_now(capsys):
    module = docs_generator()
    assert module.main(["--check"]) == 0, capsys.readouterr().err
    assert set(module.tables_in((DOCS / "higher_order.md").read_text(encoding="utf-8"))) == set(module.TABLES)


def test_the_code_in_the_docs_page_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "higher_order.md").read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2
    namespace = {}
    for block in blocks:
        exec(compile(block, "higher_order.md", "exec"), namespace)
    assert "True" in capsys.readouterr().out  # the Newton loop printed its steps


def test_the_generator_flags_a_stale_table_and_rewrites_only_the_tables(tmp_path, monkeypatch, capsys):
    module = docs_generator()
    page = tmp_path / "higher_order.md"
    original = (DOCS / "higher_order.md").read_text(encoding="utf-8")
    page.write_text(original.replace("| d²E/dw² | 0.", "| d²E/dw² | 9."), encoding="utf-8")
    monkeypatch.setattr(module, "PAGE", page)
    monkeypatch.setattr(module, "TABLES", {"worked-example": module.worked_example})
    assert module.main(["--check"]) == 1
    assert "stale sections: worked-example" in capsys.readouterr().err
    assert module.main([]) == 0 and page.read_text(encoding="utf-8") == original
