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


def numerical_grad(f: Callable[[], Value | float], params: Value | Iterable[Value],
                   eps: float = DEFAULT_EPS) -> list[float]:
    """Central differences (f(p + eps) - f(p - eps)) / (2 eps) for each Value in params.

    f: a callable taking no arguments that reads the params' ``.data`` and
    returns a Value or a real number. Each parameter is nudged in turn and put
    back exactly (also when f raises). f runs under no_grad, so no graph is built.
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
        x = p.data
        above = _at(f, p, x + eps)
        below = _at(f, p, x - eps)
        grads.append((above - below) / (2.0 * eps))
    return grads


def _at(f: Callable[[], Value | float], p: Value, x: float) -> float:
    """f evaluated with p.data set to x; p.data put back as it was (also when f raises)."""
    original = p.data
    try:
        p.data = x
        return _evaluate(f)
    finally:
        p.data = original


def _evaluate(f: Callable[[], Value | float]) -> float:
    with no_grad():
        out = f()
    value = out.data if isinstance(out, Value) else out
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"f must return a Value or a real number, got {type(out).__name__}")
    return float(value)


def relative_error(a: float, b: float) -> float:
    """|a - b| / max(|a|, |b|); 0 when both are 0."""
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale else 0.0


def check_gradients(f: Callable[..., Value], args: float | Sequence[float],
                    hand: Callable[..., Sequence[float]] | None = None, *, eps: float = DEFAULT_EPS,
                    rtol: float = 1e-5, atol: float = 1e-8) -> list[dict[str, Any]]:
    """Assert that autodiff of ``f`` at ``args`` is right; return the rows compared.

    f(*Values) -> Value: the function, built from Value ops. args: the numbers
    to evaluate it at. hand(*floats) -> [df/darg, ...]: your derivation, if
    you have one (for a function of one argument, a bare number will do).
    Each autodiff gradient must be within ``atol + rtol·scale`` of the
    central difference and of ``hand``; otherwise AssertionError with a table
    of all arguments, the wrong ones marked. Where ``f`` has a kink (relu or
    abs at 0) no derivative exists to check: the table marks it KINK and says
    so. Each row: name, value, autodiff, numerical, hand (None without it), ok,
    kink (None, or the slopes from the left and the right where f has one).

    Args:
        f: f(*Values) -> Value, built from Value ops; the table names each argument after f's parameters.
        args: one number or a sequence of numbers (finite) to evaluate f at.
        hand: hand(*floats) -> a sequence with one derivative per argument (a number for one argument), or None.
        eps: the central difference's step.
        rtol: the relative tolerance, finite and >= 0: they agree within ``atol + rtol·max(|autodiff|, |other|)``.
        atol: the absolute tolerance, finite and >= 0.

    Returns:
        The rows compared, one dict per argument.

    Raises:
        AssertionError: a gradient disagrees or f has a kink at args (the message is the table).
        TypeError: f or hand is not callable, f does not return a Value, or hand returns something
            other than numbers.
        ValueError: args is empty or holds a number that is not finite, rtol or atol is not finite
            and >= 0, or hand returns the wrong count.
    """
    if not callable(f) or (hand is not None and not callable(hand)):
        raise TypeError("f (and hand, when given) must be callables")
    rtol = finite_float(rtol, "rtol", low=0.0)
    atol = finite_float(atol, "atol", low=0.0)
    points = [finite_float(a, f"args[{i}]") for i, a in enumerate(_listed(args))]
    names = _argument_names(f, len(points))
    function = f.__name__ if getattr(f, "__name__", "<lambda>").isidentifier() else "f"
    inputs = [Value(a, label=name) for a, name in zip(points, names)]
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value (build it from the Values it is given), got {type(out).__name__}")
    autodiff = grad(out, inputs)
    numerical = numerical_grad(lambda: f(*inputs), inputs, eps)
    by_hand = _hand_gradients(hand, points, names) if hand is not None else [None] * len(inputs)
    def close(a: float, b: float) -> bool:
        return abs(a - b) <= atol + rtol * max(abs(a), abs(b))

    rows = []
    for p, name, a, auto, num, mine in zip(inputs, names, points, autodiff, numerical, by_hand):
        ok = all(close(auto, other) for other in (num, mine) if other is not None)
        kink = None if close(auto, num) else _kink(lambda: f(*inputs), p, eps, close)
        rows.append({"name": name, "value": a, "autodiff": auto, "numerical": num, "hand": mine, "ok": ok,
                     "kink": kink})
    if not all(row["ok"] for row in rows):
        notes = "".join(f"\n{_kink_note(function, row)}" for row in rows if row["kink"] is not None)
        raise AssertionError(f"gradients disagree (rtol={rtol:g}, atol={atol:g}):\n{_check_table(function, rows)}"
                             + notes)
    return rows


def _kink(f: Callable[[], Value], p: Value, eps: float, close: Callable[[float, float], bool]
          ) -> tuple[float, float] | None:
    """(slope from the left, slope from the right) if f has a kink at p, else None.

    At a kink (relu or abs at 0) the two one-sided slopes differ however
    small the step; where f is smooth their gap shrinks with the step.
    """
    x, middle = p.data, _evaluate(f)  # f at p itself: the same for both steps

    def one_sided(h: float) -> tuple[float, float]:
        below = _at(f, p, x - h)
        above = _at(f, p, x + h)
        return (middle - below) / h, (above - middle) / h

    left, right = one_sided(eps)
    fine_left, fine_right = one_sided(eps / 16)
    if close(left, right) or close(fine_left, fine_right) or abs(fine_right - fine_left) < abs(right - left) / 2:
        return None
    return fine_left, fine_right


def _kink_note(function: str, row: dict[str, Any]) -> str:
    left, right = row["kink"]
    return (f"∂{function}/∂{row['name']}: {function} has a kink at {row['name']} = {row['value']:g} (slope "
            f"{left:.6g} from the left, {right:.6g} from the right): it is not differentiable there, so no "
            f"gradient is right; autodiff gives {row['autodiff']:.6g} by convention and the central difference "
            f"averages the two sides. Check at a point away from the kink.")


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


def _hand_gradients(hand, args, names):
    """hand's gradients as floats: a list (or tuple, array) with one per argument; one number for one argument."""
    returned = hand(*args)
    expected = f"return a list of {len(args)} numbers, [∂f/∂{', ∂f/∂'.join(names)}]" \
        if len(args) > 1 else "return a number or a list of one"
    if isinstance(returned, numbers.Real) and not isinstance(returned, bool) and len(args) == 1:
        returned = [returned]
    if isinstance(returned, (str, bytes)) or not isinstance(returned, Iterable):
        raise TypeError(f"hand returned {type(returned).__name__} {returned!r:.40}: {expected}")
    values = list(returned)
    if len(values) != len(args):
        raise ValueError(f"hand returned {len(values)} gradients for {len(args)} arguments: {expected}")
    return [finite_float(v, f"hand's gradient {i}") for i, v in enumerate(values)]


def _check_table(function, rows):
    with_hand = rows[0]["hand"] is not None
    head = ["", "at", "autodiff", "central diff."] + (["hand"] if with_hand else []) + [""]
    lines = [head]
    for row in rows:
        cells = [f"∂{function}/∂{row['name']}", number(row["value"]), number(row["autodiff"], 12),
                 number(row["numerical"], 12)]
        cells += [number(row["hand"], 12)] if with_hand else []
        lines.append(cells + ["ok" if row["ok"] else "KINK" if row["kink"] is not None else "MISMATCH"])
    return aligned(lines)
