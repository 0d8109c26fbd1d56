"""The seed's identity network: autodiff against eq. (6), central differences, and its known behaviour."""

import math

import numpy as np
import pytest
from conftest import FUZZ, identity_error, same_float
from hypothesis import assume, example, given
from hypothesis import strategies as st

from micrograd_id import Value
from micrograd_id.identity import IdentityNet, error, forward, hand_gradient, hand_gradient_bias, sigmoid
from micrograd_id.losses import half_squared_error
from micrograd_id.train import train

W_GRID = np.linspace(-5.0, 5.0, 41)
XS = (0.0, 1.0)


def autodiff(w, x, bias=None, y=None):
    """E and its gradients for one sample, by backward()."""
    net = IdentityNet(w=w, bias=bias)
    E = half_squared_error(net(x), x if y is None else y)
    E.backward()
    return E.data, net.w.grad, (net.b.grad if net.b is not None else None)


def central(f, at, h=1e-6):
    return (f(at + h) - f(at - h)) / (2 * h)


@pytest.mark.parametrize("x", XS)
@pytest.mark.parametrize("w", W_GRID)
def test_dE_dw_equals_eq6_and_a_central_difference(w, x):
    E, dw, _ = autodiff(w, x)
    assert E == pytest.approx(error(w, x), rel=1e-15, abs=1e-300)
    assert dw == pytest.approx(hand_gradient(w, x), rel=1e-12, abs=1e-15)
    assert dw == pytest.approx(central(lambda v: error(v, x), w), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("x", XS)
@pytest.mark.parametrize("b", (-2.0, 0.0, 0.7))
@pytest.mark.parametrize("w", W_GRID[::4])
def test_with_a_bias_both_gradients_equal_the_closed_forms_and_central_differences(w, b, x):
    _, dw, db = autodiff(w, x, bias=b)
    assert dw == pytest.approx(hand_gradient(w, x, b=b), rel=1e-12, abs=1e-15)
    assert db == pytest.approx(hand_gradient_bias(w, x, b=b), rel=1e-12, abs=1e-15)
    assert db == pytest.approx(central(lambda v: error(w, x, b=v), b), rel=1e-6, abs=1e-9)
    assert dw == pytest.approx(central(lambda v: error(v, x, b=b), w), rel=1e-6, abs=1e-9)


def test_a_target_other_than_x_is_honoured():
    _, dw, _ = autodiff(0.8, 1.0, y=0.25)
    assert dw == pytest.approx(hand_gradient(0.8, 1.0, y=0.25), rel=1e-12)
    assert hand_gradient(0.8, 1.0, y=0.25) > 0  # overshooting 0.25: descent lowers w


def test_the_closed_forms_broadcast_over_arrays():
    w = np.linspace(-3, 3, 7)[:, None]
    x = np.array([0.0, 1.0])[None, :]
    grads = hand_gradient(w, x)
    assert grads.shape == (7, 2)
    for i, wi in enumerate(w[:, 0]):
        for j, xj in enumerate(x[0]):
            assert grads[i, j] == hand_gradient(float(wi), float(xj))
    assert isinstance(hand_gradient(0.3, 1.0), float)


def test_the_closed_form_sigmoid_is_finite_far_out():
    assert sigmoid(1000.0) == 1.0 and sigmoid(-1000.0) == 0.0
    assert forward(800.0, 1.0) == 1.0


def test_closed_forms_refuse_text():
    with pytest.raises(TypeError, match="w must be a real number"):
        hand_gradient("abc", 1.0)


# ----- the facts users trip over ------------------------------------------------

@pytest.mark.parametrize("w", W_GRID)
def test_for_x_0_the_output_is_one_half_and_nothing_can_be_learned(w):
    net = IdentityNet(w=w)
    y_hat = net(0.0)
    E = half_squared_error(y_hat, 0.0)
    E.backward()
    assert y_hat.data == 0.5
    assert E.data == 0.125
    assert net.w.grad == 0.0


def test_training_on_x_0_alone_never_moves_w():
    hist = train(IdentityNet(w=0.3), xs=[0], lr=5.0, steps=50)
    assert set(hist.column("w")) == {0.3}
    assert set(hist.column("E")) == {0.125}


def test_for_x_1_the_error_falls_monotonically_while_w_grows_without_bound():
    hist = train(IdentityNet(w=0.3), xs=[1], lr=0.5, steps=4000)
    errors, weights = hist.column("E"), hist.column("w")
    assert all(later < earlier for earlier, later in zip(errors, errors[1:]))
    assert all(later > earlier for earlier, later in zip(weights, weights[1:]))
    assert errors[-1] < 1e-3 and errors[-1] > 0.0
    # Unbounded: the gradient stays negative at every w, so no finite w is a minimum ...
    assert all(hand_gradient(w, 1.0) < 0 for w in (10.0, 20.0, 30.0))
    # ... and w keeps climbing like log(steps): far out dE/dw ~ -e^(-2w), so
    # dw/dt ~ lr e^(-2w) gives e^(2w) ~ 2 lr t, and doubling the steps adds ln(2)/2.
    longer = train(IdentityNet(w=weights[-1]), xs=[1], lr=0.5, steps=4000)
    assert longer.column("w")[-1] - weights[-1] == pytest.approx(math.log(2) / 2, abs=0.03)


def test_with_a_bias_both_inputs_are_fitted():
    net = IdentityNet(w=0.3, bias=0.0)
    train(net, xs=[0, 1], lr=2.0, steps=4000)
    for x in XS:
        assert half_squared_error(net(x), x).data < 1e-3
    assert net.b.data < 0 < net.w.data  # b pushes x=0 towards 0, w + b pushes x=1 towards 1


def test_the_net_is_built_only_from_value_ops_with_labelled_parameters():
    net = IdentityNet(w=0.3, bias=0.1)
    y_hat = net(1.0)
    assert y_hat.op == "sigmoid" and y_hat.label == "y_hat"
    (z,) = y_hat.children
    assert z.op == "+" and z.label == "z"
    assert [p.label for p in net.parameters()] == ["w", "b"]
    assert net.w is net.parameters()[0]
    assert len(IdentityNet(w=0.3).parameters()) == 1


@pytest.mark.parametrize("bad", [math.nan, math.inf, "0.3", None, True])
def test_identity_net_refuses_a_bad_weight(bad):
    with pytest.raises((TypeError, ValueError), match="w"):
        IdentityNet(w=bad)


def test_half_squared_error_takes_a_value_target_and_refuses_text():
    E = half_squared_error(Value(0.75), Value(0.25, label="y"))
    assert E.data == 0.125 and E.label == "E"
    with pytest.raises(TypeError, match="y must be a real number"):
        half_squared_error(Value(0.5), "1")


def test_a_gradient_table_shows_as_an_html_table_with_the_same_cells():
    from micrograd_id.identity import compare_gradients

    table = compare_gradients(w=[0.3], x=[0.0, 1.0])
    html = table._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == 3
    assert "-0.104031063868" in html and "-0.104031063868" in str(table)


# ----- dE/dw for any finite w and x (fuzzed) ------------------------------------------

FINITE = st.floats(allow_nan=False, allow_infinity=False)


@FUZZ
@given(FINITE, st.sampled_from([0.0, 1.0]) | FINITE)
@example(1e308, 10.0)
@example(-1e308, 1.0)
def test_the_seeds_gradient_is_finite_and_equals_eq6_for_any_finite_w_and_x(fuzz_cases, w0, x):
    fuzz_cases["identity net dE/dw"] += 1
    assume(abs(x) < 1e150)  # (y_hat - x)**2 itself overflows past that
    w = Value(w0)
    error = identity_error(w, x)
    error.backward()
    assert math.isfinite(error.data) and math.isfinite(w.grad)
    with np.errstate(over="ignore"):  # numpy warns where w*x overflows to inf; A(inf) = 1 is right
        by_hand = hand_gradient(w0, x)
    assert same_float(w.grad, by_hand, rel=1e-12, abs_=1e-300)
