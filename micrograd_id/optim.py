"""Optimisers: they move parameters against their gradients."""

import math

from micrograd_id.engine import Value


def _parameter_list(params):
    params = list(params)
    if not params:
        raise ValueError("the optimiser got no parameters")
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"parameters must be Values, got {type(p).__name__}")
    return params


def _positive(name, number):
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {number!r}")
    return float(number)


class SGD:
    """Gradient descent: ``p.data -= lr * p.grad`` (the seed's w_new = w_old - lr * dE/dw).

    With ``momentum`` m > 0 each parameter keeps a velocity v = m*v + grad and
    moves by lr * v instead, which smooths the path through narrow valleys.
    """

    def __init__(self, params, lr, momentum=0.0):
        self.params = _parameter_list(params)
        self.lr = _positive("lr", lr)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be a number in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.velocity = [0.0] * len(self.params)

    def step(self):
        if self.momentum == 0.0:
            for p in self.params:
                p.data -= self.lr * p.grad
            return
        for i, p in enumerate(self.params):
            self.velocity[i] = self.momentum * self.velocity[i] + p.grad
            p.data -= self.lr * self.velocity[i]

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0
