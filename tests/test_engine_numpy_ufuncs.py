"""numpy ufuncs on Values call the Value method of the same name, also elementwise on object arrays."""

import math

import numpy as np
import pytest

from micrograd_id import Value, grad


@pytest.mark.parametrize("ufunc, method, x", [
    (np.sin, "sin", 0.7), (np.cos, "cos", 0.7), (np.tan, "tan", 0.7), (np.exp, "exp", 0.7),
    (np.log, "log", 0.7), (np.sqrt, "sqrt", 0.7), (np.tanh, "tanh", 0.7), (np.arcsin, "arcsin", 0.7),
    (np.arccos, "arccos", 0.7), (np.arctan, "arctan", 0.7), (np.abs, "__abs__", -0.7), (np.negative, "__neg__", 0.7),
])
def test_a_ufunc_on_a_value_is_the_value_method(ufunc, method, x):
    v, w = Value(x), Value(x)
    out, want = ufunc(v), getattr(w, method)()
    assert isinstance(out, Value) and out.op == want.op and out.children == (v,)
    assert out.data == want.data
    out.backward()
    want.backward()
    assert v.grad == w.grad != 0.0


def test_ufuncs_on_object_arrays_backprop_each_element():
    xs = np.array([Value(0.2), Value(1.1), Value(-0.4)], dtype=object)
    out = np.sin(xs) + np.exp(xs) + np.sqrt(np.abs(xs))
    assert out.dtype == object and all(isinstance(o, Value) for o in out)
    total = out.sum()
    total.backward()
    for v in xs:
        x = v.data
        want = math.cos(x) + math.exp(x) + math.copysign(0.5 / math.sqrt(abs(x)), x)
        assert v.grad == pytest.approx(want, rel=1e-14)


def test_tanh_of_a_matrix_vector_product_backprops_like_the_hand_formula():
    rng = np.random.default_rng(0)
    W0, x0 = rng.normal(size=(3, 2)), rng.normal(size=2)
    W = np.array([[Value(w) for w in row] for row in W0], dtype=object)
    x = np.array([Value(v) for v in x0], dtype=object)
    h = np.tanh(W @ x)
    loss = (h * h).sum()
    loss.backward()
    t = np.tanh(W0 @ x0)
    dz = 2 * t * (1 - t * t)  # d loss / d (W x)
    assert loss.data == pytest.approx(float(t @ t), rel=1e-14)
    assert np.array([[w.grad for w in row] for row in W]) == pytest.approx(np.outer(dz, x0), rel=1e-13)
    assert [v.grad for v in x] == pytest.approx(W0.T @ dz, rel=1e-13)


def test_second_derivatives_through_ufuncs():
    v = Value(0.6)
    (d1,) = grad(np.sin(np.exp(v)), [v], create_graph=True)
    (d2,) = grad(d1, [v])
    e = math.exp(0.6)
    assert d1.data == pytest.approx(math.cos(e) * e, rel=1e-14)
    assert d2 == pytest.approx(-math.sin(e) * e * e + math.cos(e) * e, rel=1e-13)


def test_a_ufunc_outside_the_domain_raises_the_engines_error():
    with pytest.raises(ValueError, match="sqrt needs an input >= 0"):
        np.sqrt(Value(-1.0))
    with pytest.raises(ValueError, match=r"arcsin needs an input in \[-1, 1\]"):
        np.arcsin(np.array([Value(0.5), Value(2.0)], dtype=object))
