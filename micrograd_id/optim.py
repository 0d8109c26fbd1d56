"""Optimisers: they move parameters against their gradients (SGD), or use curvature too (Newton)."""

import math

import numpy as np

from micrograd_id.engine import Value, grad


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
    """Gradient descent: ``p.data -= lr * p.grad`` (the question's w_new = w_old - lr * dE/dw).

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


class NewtonStep:
    """What one Newton.step() saw and did; ``newton`` is False when the guard fell back."""

    __slots__ = ("loss", "gradient", "hessian", "newton", "delta")

    def __init__(self, loss, gradient, hessian, newton, delta):
        self.loss = loss  # float: the loss before the step
        self.gradient = gradient  # numpy (n,)
        self.hessian = hessian  # numpy (n, n)
        self.newton = newton  # True: a Newton step; False: the gradient fallback
        self.delta = delta  # numpy (n,): the change added to the parameters

    def __repr__(self):
        kind = "newton" if self.newton else "gradient fallback"
        return f"NewtonStep(loss={self.loss:.6g}, {kind}, delta={self.delta.tolist()})"


class Newton:
    """Newton's method: solve H d = g and move ``p -= lr * d`` (one parameter: w -= lr * E'/E'').

    The gradient g and Hessian H of the loss come from ``grad`` with
    ``create_graph=True``: one reverse pass for g, then one per parameter for
    the rows of H, so this suits models with a few parameters.

    Guard: Newton's step only goes downhill where the curvature is positive.
    When H + damping*I is not positive definite (in one dimension: E'' <= 0),
    or is so close to singular that its smallest eigenvalue is below
    ``PD_RTOL`` times its largest, the step falls back to plain gradient
    descent ``p -= fallback_lr * g`` instead of jumping towards a maximum or
    a saddle. ``damping`` > 0 (Levenberg style) adds damping*I to H, which
    shortens steps and keeps H usable where it is nearly singular.
    """

    PD_RTOL = 1e-10  # smallest / largest eigenvalue below this counts as singular

    def __init__(self, params, lr=1.0, damping=0.0, fallback_lr=1.0):
        self.params = _parameter_list(params)
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("Newton got the same parameter twice: its Hessian would be singular")
        self.lr = _positive("lr", lr)
        if isinstance(damping, bool) or not isinstance(damping, (int, float)) or not (
            math.isfinite(damping) and damping >= 0
        ):
            raise ValueError(f"damping must be a finite number >= 0, got {damping!r}")
        self.damping = float(damping)
        self.fallback_lr = _positive("fallback_lr", fallback_lr)

    def step(self, loss):
        """Move the parameters one step downhill on ``loss``; return a NewtonStep record.

        ``loss`` is a scalar Value built from the parameters (rebuild it every
        step: it is differentiated twice here). ``.grad`` is not used or changed.
        """
        if not isinstance(loss, Value):
            raise TypeError(f"Newton.step() needs the loss as a Value, got {type(loss).__name__}")
        if not math.isfinite(loss.data):
            raise FloatingPointError(f"Newton.step(): the loss is {loss.data}")
        first = grad(loss, self.params, create_graph=True)
        gradient = np.array([g.data for g in first])
        hessian = np.array([grad(g, self.params) for g in first])
        if not (np.all(np.isfinite(gradient)) and np.all(np.isfinite(hessian))):
            raise FloatingPointError(f"Newton.step(): gradient {gradient} or Hessian {hessian} is not finite")
        direction = _newton_direction(hessian + self.damping * np.eye(len(self.params)), gradient, self.PD_RTOL)
        newton = direction is not None
        delta = -self.lr * direction if newton else -self.fallback_lr * gradient
        if not np.all(np.isfinite(delta)):
            raise FloatingPointError(f"Newton.step(): the step {delta} is not finite; try damping > 0")
        for p, d in zip(self.params, delta):
            p.data += float(d)
        return NewtonStep(loss.data, gradient, hessian, newton, delta)


def _newton_direction(hessian, gradient, rtol):
    """H^-1 g when H is positive definite (smallest eigenvalue > rtol * largest), else None."""
    eigenvalues, vectors = np.linalg.eigh(0.5 * (hessian + hessian.T))
    if not eigenvalues[0] > rtol * abs(eigenvalues[-1]):  # also refuses nan
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # the caller refuses a non-finite step
        return vectors @ ((vectors.T @ gradient) / eigenvalues)
