"""Loss functions: a Value from a prediction and a target, labelled so graphs and explain name it."""

from micrograd_id._checks import finite_float
from micrograd_id.engine import Value


def half_squared_error(y_hat, y):
    """E = 1/2 (y_hat - y)**2: the identity network's error, whose derivative in y_hat is y_hat - y."""
    y = y if isinstance(y, Value) else Value(finite_float(y, "y"), label="y")
    E = 0.5 * (y_hat - y) ** 2
    E.label = "E"
    return E
