"""A test a learner writes: is my hand-derived gradient right?

Run it with `pytest test_my_derivation.py`. check_gradients compares
autodiff with central differences and with my formula, and fails with a
table when any of them disagree.
"""

import math

from micrograd_id.gradcheck import check_gradients


def E(w, x):
    """The identity network's error at the target y = x."""
    y_hat = (w * x).sigmoid()
    return 0.5 * (y_hat - x) ** 2


def my_dE(w, x):
    """Eq. (6) for ∂E/∂w, and ∂E/∂x worked out the same way."""
    a = 1 / (1 + math.exp(-w * x))
    return [(a - x) * x * (1 - a) * a, (a - x) * (w * (1 - a) * a - 1)]


def test_my_derivation():
    check_gradients(E, [0.3, 1.0], hand=my_dE)


def test_my_derivation_where_the_sigmoid_saturates():
    check_gradients(E, [8.0, 1.0], hand=my_dE)
