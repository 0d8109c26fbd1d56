"""The seed's identity network in closed form, with numpy (no autodiff).

    y_hat = A(w*x + b),  A = sigmoid,  E = 1/2 (y_hat - y)**2,  y = x by default

These are the hand-derived formulas that autodiff is checked against; every
function broadcasts over numpy arrays and returns a float for scalar input.
"""

import numpy as np


def _array(name, value):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or an array of them, got {value!r:.60}") from None


def _out(result):
    return float(result) if np.ndim(result) == 0 else result


def sigmoid(z):
    """A(z) = 1 / (1 + e^-z), computed without overflow for any finite z."""
    z = _array("z", z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return _out(np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def _targets(x, y):
    return x if y is None else _array("y", y)


def forward(w, x, b=0.0):
    """The network's output y_hat = A(w*x + b)."""
    return sigmoid(_array("w", w) * _array("x", x) + _array("b", b))


def error(w, x, y=None, b=0.0):
    """E = 1/2 (y_hat - y)**2, with y = x (the identity target) unless given."""
    x = _array("x", x)
    return _out(0.5 * (forward(w, x, b) - _targets(x, y)) ** 2)


def hand_gradient(w, x, y=None, b=0.0):
    """Eq. (6): dE/dw = (y_hat - y) * x * (1 - A(w*x + b)) * A(w*x + b)."""
    x = _array("x", x)
    a = forward(w, x, b)
    return _out((a - _targets(x, y)) * x * (1.0 - a) * a)


def hand_gradient_bias(w, x, y=None, b=0.0):
    """dE/db = (y_hat - y) * (1 - A) * A: eq. (6) without the factor x."""
    x = _array("x", x)
    a = forward(w, x, b)
    return _out((a - _targets(x, y)) * (1.0 - a) * a)
