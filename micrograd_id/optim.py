"""Optimisers: they move parameters against their gradients (SGD, Adam, AdamW), or use curvature too (Newton).

SGD, Adam and AdamW follow torch.optim's update rules operation for
operation, so the same gradients give the same parameters (tests hold them
to 1e-12 over 100 steps).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from micrograd_id._checks import finite_float
from micrograd_id.engine import Value, grad


def _parameter_list(params: Iterable[Value], optimizer: str) -> list[Value]:
    params = list(params)
    if not params:
        raise ValueError(f"{optimizer} got no parameters")
    seen: set[int] = set()
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"{optimizer}: parameters must be Values, got {type(p).__name__}")
        if id(p) in seen:
            raise ValueError(f"{optimizer} got the same parameter twice ({p.label or repr(p)}): list each "
                             f"parameter once (one step would move it twice)")
        seen.add(id(p))
    return params


def _positive(name: str, number: float) -> float:
    return finite_float(number, name, low=0.0, low_open=True)


def _at_least_zero(name: str, number: float) -> float:
    return finite_float(number, name, low=0.0)


def _fraction(name: str, number: float) -> float:
    """A decay rate in [0, 1): momentum or one of Adam's betas."""
    return finite_float(number, name, low=0.0, high=1.0, high_open=True)


class _GradientOptimizer:
    """What the first-order optimisers share: the parameters, lr, weight decay, zero_grad() and step().

    Each optimiser's arithmetic is written once, in ``update``, on numpy
    arrays holding every parameter: ``step`` runs it on the Values' numbers,
    and ``fit(compiled=True)`` on the arrays it trains. Element by element
    numpy does the very float operations Python would, so both give the
    same numbers.
    """

    def __init__(self, params: Iterable[Value], lr: float, weight_decay: float) -> None:
        self.params = _parameter_list(params, type(self).__name__)
        self.lr = _positive("lr", lr)
        self.weight_decay = _at_least_zero("weight_decay", weight_decay)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Move every parameter against its gradient (``update`` on their numbers)."""
        count = len(self.params)
        data = np.fromiter((p.data for p in self.params), float, count)
        grads = np.fromiter((p.grad for p in self.params), float, count)
        for p, number in zip(self.params, self.update(data, grads).tolist()):
            p.data = number

    def update(self, data: np.ndarray, grads: np.ndarray) -> np.ndarray:
        """The parameters after one step from ``data`` with gradients ``grads`` (arrays in the order of
        ``params``); advances the optimiser's own state (velocity, running averages)."""
        raise NotImplementedError

    def _gradient(self, data: np.ndarray, grads: np.ndarray) -> np.ndarray:
        """The gradients plus weight_decay * p (L2 regularisation) as torch adds it."""
        return grads + self.weight_decay * data if self.weight_decay else grads


class SGD(_GradientOptimizer):
    """Gradient descent: ``p.data -= lr * p.grad`` (the question's w_new = w_old - lr * dE/dw).

    With ``momentum`` m > 0 each parameter keeps a velocity v = m*v + grad and
    moves by lr * v instead, which smooths the path through narrow valleys.
    ``weight_decay`` adds weight_decay * p to each gradient (torch's L2 penalty).
    """

    def __init__(self, params: Iterable[Value], lr: float = 0.5, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = _fraction("momentum", momentum)
        self.velocity = np.zeros(len(self.params))

    def update(self, data: np.ndarray, grads: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # as Python floats: an overflow gives inf, not a warning
            g = self._gradient(data, grads)
            if self.momentum == 0.0:
                return data - self.lr * g
            self.velocity = self.momentum * self.velocity + g
            return data - self.lr * self.velocity


class Adam(_GradientOptimizer):
    """Adam: a step per parameter scaled by running averages of its gradient and squared gradient.

    m = β1·m + (1 − β1)·g and v = β2·v + (1 − β2)·g², both corrected for
    starting at 0; the step is lr · m̂ / (√v̂ + eps), so each parameter moves
    about lr whatever the size of its gradient. ``weight_decay`` adds
    weight_decay·p to g first (L2, as torch.optim.Adam does).
    """

    _decoupled = False  # AdamW: shrink the weights directly instead of through g

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (_fraction("beta1", beta1), _fraction("beta2", beta2))
        self.eps = _positive("eps", eps)
        self.steps = 0
        self.m = np.zeros(len(self.params))
        self.v = np.zeros(len(self.params))

    def update(self, data: np.ndarray, grads: np.ndarray) -> np.ndarray:
        beta1, beta2 = self.betas
        self.steps += 1
        step_size = self.lr / (1.0 - beta1 ** self.steps)
        v_correction = math.sqrt(1.0 - beta2 ** self.steps)
        with np.errstate(all="ignore"):  # as Python floats: an overflow gives inf, not a warning
            if self._decoupled:
                data = data * (1.0 - self.lr * self.weight_decay)
                g = grads
            else:
                g = self._gradient(data, grads)
            self.m = beta1 * self.m + (1.0 - beta1) * g
            self.v = beta2 * self.v + (1.0 - beta2) * g * g
            return data - step_size * self.m / (np.sqrt(self.v) / v_correction + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 − lr·weight_decay each step, apart from the gradient.

    Unlike Adam's L2 term, the decay is not rescaled by the running averages,
    so every weight shrinks at the same rate (torch.optim.AdamW).
    """

    _decoupled = True

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.01) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class NewtonStep:
    """What one Newton.step() saw and did; ``newton`` is False when the guard fell back."""

    __slots__ = ("loss", "gradient", "hessian", "newton", "delta")

    def __init__(self, loss: float, gradient: np.ndarray, hessian: np.ndarray, newton: bool, delta: np.ndarray) -> None:
        self.loss = loss  # float: the loss before the step
        self.gradient = gradient  # numpy (n,)
        self.hessian = hessian  # numpy (n, n)
        self.newton = newton  # True: a Newton step; False: the gradient fallback
        self.delta = delta  # numpy (n,): the change added to the parameters

    def __repr__(self) -> str:
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

    def __init__(self, params: Iterable[Value], lr: float = 1.0, damping: float = 0.0,
                 fallback_lr: float = 1.0) -> None:
        self.params = _parameter_list(params, "Newton")
        self.lr = _positive("lr", lr)
        self.damping = _at_least_zero("damping", damping)
        self.fallback_lr = _positive("fallback_lr", fallback_lr)

    def step(self, loss: Value) -> NewtonStep:
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
        delta = -self.lr * direction if direction is not None else -self.fallback_lr * gradient
        if not np.all(np.isfinite(delta)):
            raise FloatingPointError(f"Newton.step(): the step {delta} is not finite; try damping > 0")
        for p, d in zip(self.params, delta):
            p.data += float(d)
        return NewtonStep(loss.data, gradient, hessian, newton, delta)


def _newton_direction(hessian: np.ndarray, gradient: np.ndarray, rtol: float) -> np.ndarray | None:
    """H^-1 g when H is positive definite (smallest eigenvalue > rtol * largest), else None."""
    eigenvalues, vectors = np.linalg.eigh(0.5 * (hessian + hessian.T))
    if not eigenvalues[0] > rtol * abs(eigenvalues[-1]):  # also refuses nan
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # the caller refuses a non-finite step
        return vectors @ ((vectors.T @ gradient) / eigenvalues)
