"""Gradient checks for any function of Values: autodiff against central differences and your own formula.

``numerical_grad`` nudges each input and measures; ``check_gradients`` is
the assertion for a test file: autodiff of ``f`` must agree with central
differences and, when given, with a hand-derived gradient, or it raises
AssertionError with a table of every argument (pytest prints it).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, Callable

from micrograd_id._checks import finite_float
from micrograd_id._table import aligned, number
from micrograd_id.engine import Value, grad, no_grad

__all__ = ["numerical_grad", "check_gradients", "relative_error", "DEFAULT_EPS"]

DEFAULT_EPS = 1e-6  # truncation error ~eps², rounding error ~1e-16/eps: both ~1e-10 here
"""The central differences' default step."""


def numerical_grad(f: Callable[[], Value | float], params: Value | Iterable[Value],
                   eps: float = DEFAULT_EPS) -> list[float]:
    """Central differences (f(p + eps) - f(p - eps)) / (2 eps) for each Value in params.

    f: a callable taking no arguments that reads the params' ``.data`` and
    returns a Value or a real number. Each parameter is nudged in turn and put
    back exactly (also when f raises). f runs under no_grad, so no graph is built.

    Args:
        f: the function of no arguments, e.g. ``lambda: loss_of(model)``.
        params: one Value or an iterable of Values.
        eps: the nudge, a finite number > 0.

    Returns:
        One float per parameter, in the order of params.

    Raises:
        TypeError: f is not callable or returns neither a Value nor a real number, or a param is not a Value.
        ValueError: eps is not a finite number > 0.
    """
    if not callable(f):
        raise TypeError(f"f must be a callable returning a Value or a number, got {type(f).__name__}")
    values = [params] if isinstance(params, Value) else list(params)
    for p in values:
        if not isinstance(p, Value):
            raise TypeError(f"params must be Values, got {type(p).__name__}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0.0 < eps < math.inf:
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    grads = []
    for p in values:
        original = p.data
        try:
            p.data = original + eps
            above = _evaluate(f)
            p.data = original - eps
            below = _evaluate(f)
        finally:
            p.data = original
        grads.append((above - below) / (2.0 * eps))
    return grads


def _evaluate(f: Callable[[], Value | float]) -> float:
    with no_grad():
        out = f()
    value = out.data if isinstance(out, Value) else out
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"f must return a Value or a real number, got {type(out).__name__}")
    return float(value)


def relative_error(a: float, b: float) -> float:
    """|a - b| / max(|a|, |b|); 0 when both are 0.

    Args:
        a: a real number.
        b: another.

    Returns:
        The relative error as a float in [0, 2] (nan if either is nan).
    """
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale else 0.0


def check_gradients(f: Callable[..., Value], args: float | Sequence[float],
                    hand: Callable[..., Sequence[float]] | None = None, *, eps: float = DEFAULT_EPS,
                    rtol: float = 1e-5, atol: float = 1e-8) -> list[dict[str, Any]]:
    """Assert that autodiff of ``f`` at ``args`` is right; return the rows compared.

    Each autodiff gradient must be within ``atol + rtol·scale``
    of the central difference and of ``hand``; otherwise AssertionError with
    a table of all arguments, the wrong ones marked. Each row: name, value,
    autodiff, numerical, hand (None without it), ok.

    Args:
        f: ``f(*Values) -> Value``, built from Value ops; the table names each argument after f's parameters.
        args: one number or a sequence of numbers (finite) to evaluate f at.
        hand: your derivation, ``hand(*floats) -> [df/darg, ...]`` with one derivative per argument, or None.
        eps: the central difference's step.
        rtol: the relative tolerance: they agree within ``atol + rtol·max(|autodiff|, |other|)``.
        atol: the absolute tolerance.

    Returns:
        The rows compared, one dict per argument.

    Raises:
        AssertionError: a gradient disagrees (the message is the table).
        TypeError: f or hand is not callable, or f does not return a Value.
        ValueError: args is empty or holds a number that is not finite, or hand returns the wrong count.
    """
    if not callable(f) or (hand is not None and not callable(hand)):
        raise TypeError("f (and hand, when given) must be callables")
    points = [finite_float(a, f"args[{i}]") for i, a in enumerate(_listed(args))]
    names = _argument_names(f, len(points))
    function = f.__name__ if getattr(f, "__name__", "<lambda>").isidentifier() else "f"
    inputs = [Value(a, label=name) for a, name in zip(points, names)]
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value (build it from the Values it is given), got {type(out).__name__}")
    autodiff = grad(out, inputs)
    numerical = numerical_grad(lambda: f(*inputs), inputs, eps)
    by_hand = _hand_gradients(hand, points) if hand is not None else [None] * len(inputs)
    rows = []
    for name, a, auto, num, mine in zip(names, points, autodiff, numerical, by_hand):
        ok = all(abs(auto - other) <= atol + rtol * max(abs(auto), abs(other))
                 for other in (num, mine) if other is not None)
        rows.append({"name": name, "value": a, "autodiff": auto, "numerical": num, "hand": mine, "ok": ok})
    if not all(row["ok"] for row in rows):
        raise AssertionError(f"gradients disagree (rtol={rtol:g}, atol={atol:g}):\n{_check_table(function, rows)}")
    return rows


def _listed(args):
    items = [args] if isinstance(args, numbers.Real) else list(args)
    if not items:
        raise ValueError("args must hold at least one number")
    return items


def _argument_names(f, n):
    """f's own parameter names (``w``, ``x``), so the table speaks of ∂f/∂w; arg0... otherwise."""
    try:
        params = [p.name for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return params[:n] if len(params) >= n else [f"arg{i}" for i in range(n)]


def _hand_gradients(hand, args):
    values = list(hand(*args))
    if len(values) != len(args):
        raise ValueError(f"hand returned {len(values)} gradients for {len(args)} arguments")
    return [finite_float(v, f"hand's gradient {i}") for i, v in enumerate(values)]


def _check_table(function, rows):
    with_hand = rows[0]["hand"] is not None
    head = ["", "at", "autodiff", "central diff."] + (["hand"] if with_hand else []) + [""]
    lines = [head]
    for row in rows:
        cells = [f"∂{function}/∂{row['name']}", number(row["value"]), number(row["autodiff"], 12),
                 number(row["numerical"], 12)]
        cells += [number(row["hand"], 12)] if with_hand else []
        lines.append(cells + ["ok" if row["ok"] else "MISMATCH"])
    return aligned(lines)
