"""The identity network of the question, in one place: the model, its closed forms, its derivation.

    y_hat = A(w*x + b),  A = sigmoid,  E = 1/2 (y_hat - y)**2,  y = x by default

``IdentityNet`` is the network built from Values (b only with ``bias=``);
``forward``, ``error``, ``hand_gradient`` (eq. 6) and ``hand_gradient_bias``
are its hand-derived formulas in numpy, which autodiff is checked against
(each broadcasts over arrays and returns a float for scalar input);
``compare_gradients`` puts autodiff, eq. (6) and central differences side by
side; and ``derivation``, given to ``explain(E, w, derivation=derivation)``,
adds the eqs. (1)-(6) of the question, with the same number at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Callable, Union

import numpy as np
from numpy.typing import ArrayLike

from micrograd_id._checks import finite_float
from micrograd_id._table import aligned, html_table, number, plural
from micrograd_id.engine import OPS, Value, grad, power_op
from micrograd_id.gradcheck import DEFAULT_EPS, numerical_grad, relative_error
from micrograd_id.losses import half_squared_error
from micrograd_id.nn import Module

__all__ = ["IdentityNet", "forward", "error", "hand_gradient", "hand_gradient_bias", "sigmoid", "derivation",
           "compare_gradients", "GradientTable"]

# What the closed forms return: a float for scalar input, else an array of the broadcast shape.
FloatOrArray = Union[float, np.ndarray]


def _array(name: str, value: ArrayLike) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or an array of them, got {value!r:.60}") from None


def _out(result: Any) -> FloatOrArray:
    return float(result) if np.ndim(result) == 0 else result


def sigmoid(z: ArrayLike) -> FloatOrArray:
    """A(z) = 1 / (1 + e^-z), computed without overflow for any finite z."""
    z = _array("z", z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return _out(np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def _targets(x: np.ndarray, y: ArrayLike | None) -> np.ndarray:
    return x if y is None else _array("y", y)


def forward(w: ArrayLike, x: ArrayLike, b: ArrayLike = 0.0) -> FloatOrArray:
    """The network's output y_hat = A(w*x + b)."""
    return sigmoid(_array("w", w) * _array("x", x) + _array("b", b))


def error(w: ArrayLike, x: ArrayLike, y: ArrayLike | None = None, b: ArrayLike = 0.0) -> FloatOrArray:
    """E = 1/2 (y_hat - y)**2, with y = x (the identity target) unless given."""
    x = _array("x", x)
    return _out(0.5 * (forward(w, x, b) - _targets(x, y)) ** 2)


def hand_gradient(w: ArrayLike, x: ArrayLike, y: ArrayLike | None = None, b: ArrayLike = 0.0) -> FloatOrArray:
    """Eq. (6): dE/dw = (y_hat - y) * x * (1 - A(w*x + b)) * A(w*x + b)."""
    x = _array("x", x)
    a = forward(w, x, b)
    return _out((a - _targets(x, y)) * x * (1.0 - a) * a)


def hand_gradient_bias(w: ArrayLike, x: ArrayLike, y: ArrayLike | None = None,
                       b: ArrayLike = 0.0) -> FloatOrArray:
    """dE/db = (y_hat - y) * (1 - A) * A: eq. (6) without the factor x."""
    x = _array("x", x)
    a = forward(w, x, b)
    return _out((a - _targets(x, y)) * (1.0 - a) * a)


# ----- the network, built from Values ----------------------------------------

class IdentityNet(Module):
    """The identity network: y_hat = sigmoid(w * x), or sigmoid(w * x + b) with a bias.

    ``bias=None`` is the one-weight net of the question; a number adds the
    parameter ``b`` that lets the net fit both x = 0 and x = 1.
    """

    def __init__(self, w: float = 0.3, bias: float | None = None) -> None:
        self.w = Value(finite_float(w, "w"), label="w")
        self.b = None if bias is None else Value(finite_float(bias, "bias"), label="b")

    def __call__(self, x: Value | float) -> Value:
        x = x if isinstance(x, Value) else Value(finite_float(x, "x"), label="x")
        z = self.w * x if self.b is None else self.w * x + self.b
        z.label = "z"
        y_hat = z.sigmoid()
        y_hat.label = "y_hat"
        return y_hat

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [("w", self.w)] + ([("b", self.b)] if self.b is not None else [])

    def __repr__(self) -> str:
        bias = "" if self.b is None else f", bias={self.b.data:g}"
        return f"IdentityNet(w={self.w.data:g}{bias})"


# ----- three gradients side by side ----------------------------------------

class GradientTable:
    """Rows comparing the three gradients; ``str()`` prints them as a table.

    Each row: parameter, w, x, y, b (None without bias), E, autodiff, eq6,
    numerical, and the errors of eq. (6) and of the numerical value against
    autodiff: abs_err_eq6, rel_err_eq6, abs_err_numerical, rel_err_numerical.
    """

    columns = ("parameter", "w", "x", "y", "b", "E", "autodiff", "eq6", "numerical",
               "abs_err_eq6", "rel_err_eq6", "abs_err_numerical", "rel_err_numerical")

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self.rows = list(rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.rows[i]

    def max_error(self, against: str = "eq6") -> float:
        """The largest absolute error of "eq6" or "numerical" against autodiff."""
        if against not in ("eq6", "numerical"):
            raise ValueError(f"against must be 'eq6' or 'numerical', got {against!r}")
        return max((row[f"abs_err_{against}"] for row in self.rows), default=0.0)

    def __str__(self) -> str:
        return aligned(self._cells())

    def _repr_html_(self) -> str:  # Jupyter shows the table, not the repr
        return html_table(self._cells())

    def _cells(self):
        with_bias = any(row["b"] is not None for row in self.rows)
        head = ["", "w", "x"] + (["b"] if with_bias else []) + ["autodiff", "eq. (6)", "central diff.",
                                                              "|eq.6 - auto|", "|num - auto|"]
        lines = [head]
        for row in self.rows:
            cells = [f"dE/d{row['parameter']}", f"{row['w']:g}", f"{row['x']:g}"]
            if with_bias:
                cells.append(f"{row['b']:g}")
            cells += [number(row[kind], 12) for kind in ("autodiff", "eq6", "numerical")]
            cells += [f"{row['abs_err_eq6']:.1e}", f"{row['abs_err_numerical']:.1e}"]
            lines.append(cells)
        return lines

    def __repr__(self) -> str:
        return f"GradientTable({plural(len(self.rows), 'row')}, max error vs eq. (6) {self.max_error():.1e}, " \
               f"vs central difference {self.max_error('numerical'):.1e})"


def compare_gradients(w: float | Sequence[float] = 0.3, x: float | Sequence[float] = 1.0,
                      y: float | None = None, bias: float | None = None, eps: float = DEFAULT_EPS) -> GradientTable:
    """Autodiff vs eq. (6) vs central difference for the identity network; a GradientTable.

    w and x may each be a number or a list of numbers (every pair is a row);
    y defaults to x (the identity target); with ``bias`` the net is
    A(w·x + b) and dE/db gets a row too (eq. (6) without the factor x).
    """
    ws, xs = _numbers(w, "w"), _numbers(x, "x")
    y = None if y is None else finite_float(y, "y (one target for every x)")
    bias = None if bias is None else finite_float(bias, "bias")
    rows = []
    for w0 in ws:
        for x0 in xs:
            rows += _rows(w0, x0, x0 if y is None else y, bias, eps)
    return GradientTable(rows)


def _numbers(value, name):
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items:
        raise ValueError(f"{name} must hold at least one number")
    return [finite_float(item, name) for item in items]


def _rows(w, x, y, bias, eps):
    net = IdentityNet(w=w, bias=bias)
    error = half_squared_error(net(x), y)
    error.backward()
    loss = lambda: half_squared_error(net(x), y)  # noqa: E731
    b = 0.0 if bias is None else bias
    hand = {"w": hand_gradient(w, x, y, b), "b": hand_gradient_bias(w, x, y, b)}
    rows = []
    for (name, p), numerical in zip(net.named_parameters(), numerical_grad(loss, net.parameters(), eps)):
        row = {"parameter": name, "w": w, "x": x, "y": y, "b": bias, "E": error.data,
               "autodiff": p.grad, "eq6": hand[name], "numerical": numerical}
        for kind in ("eq6", "numerical"):
            row[f"abs_err_{kind}"] = abs(row[kind] - p.grad)
            row[f"rel_err_{kind}"] = relative_error(row[kind], p.grad)
        rows.append(row)
    return rows


# ----- the hand derivation, for explain ----------------------------------------

def _parts(root: Value, wrt: Value) -> dict[str, Value] | None:
    """The nodes of E = 0.5·(A(w·x [+ b]) − y)^2 by their role, when root's graph has that shape; else None.

    Recognised by the ops and how they are wired, never by labels: a graph with
    the identity network's labels but another loss is not this network.
    """
    def op(v: Value, name: str) -> bool:
        return v.operation is OPS[name]

    if not op(root, "*") or not any(not c.children and c.data == 0.5 for c in root.children):
        return None
    square = root.children[1] if not root.children[0].children else root.children[0]
    if square.operation is not power_op(2.0):
        return None
    (difference,) = square.children
    if not op(difference, "-"):
        return None
    y_hat, y = difference.children
    if not op(y_hat, "sigmoid") or y.children:
        return None
    (z,) = y_hat.children
    b = None
    if op(z, "+") and not z.children[1].children:
        product, b = z.children
    else:
        product = z
    if not op(product, "*") or any(c.children for c in product.children):
        return None
    w, x = product.children
    if wrt is not w and (b is None or wrt is not b):
        return None
    parts = {"y_hat": y_hat, "y": y, "z": z, "w": w, "x": x}
    return parts if b is None else {**parts, "b": b}


def derivation(root: Value, wrt: Value, number: Callable[[Any], str]) -> list[str]:
    """The eqs. (1)-(6) of the question, each with its number, ending in eq. (6) in numpy.

    For ``explain(E, w, derivation=derivation)``. On a graph that is not the
    identity network's E = ½(y_hat − y)^2 (or wrt not its w or b) it says so in
    one line rather than print equalities that would not hold there.
    """
    nodes = _parts(root, wrt)
    if nodes is None:
        return ["", "The hand derivation, eqs. (1)-(6), is written for the identity network's "
                    "E = 0.5·(sigmoid(w·x [+ b]) − y)^2 and its w or b; this graph is not that, so it is left out."]
    E, y_hat, y, x, w = root, nodes["y_hat"], nodes["y"], nodes["x"], nodes["w"]
    b = nodes.get("b")
    bias = b.data if b is not None else 0.0
    dE_dyhat, dE_dy = grad(E, [y_hat, y])
    (dyhat_dp,) = grad(y_hat, [wrt])
    a, n = y_hat.data, number
    z = "w·x + b" if b is not None else "w·x"
    p = "w" if wrt is w else "b"
    factor_x, factor_val = ("x", n(x.data)) if p == "w" else ("1", "1")
    closed_form = hand_gradient if p == "w" else hand_gradient_bias
    closed = closed_form(w.data, x.data, y.data, bias)
    autodiff = grad(E, [wrt])[0]
    eq6_note = "" if p == "w" else "   [eq. (6) with ∂z/∂b = 1 in place of x]"
    return [
        "",
        f"The same number along the hand derivation, eqs. (1)-(6), with y_hat = A(z), z = {z}, A = sigmoid:",
        f"  (1)  ∂E/∂{p} = ∂E/∂y_hat · ∂y_hat/∂{p} + ∂E/∂y · ∂y/∂{p}"
        f"  = {n(dE_dyhat)} · {n(dyhat_dp)} + {n(dE_dy)} · 0",
        f"  (2)        = (y_hat − y) · ∂y_hat/∂{p} − (y_hat − y) · 0"
        f"   [y = {n(y.data)} is a constant leaf: ∂y/∂{p} = 0]",
        f"  (3)        = (y_hat − y) · ∂y_hat/∂{p}",
        f"  (4)        = (y_hat − y) · ∂T̂(x)/∂{p}   [T̂ is the network: y_hat = T̂(x)]",
        f"  (5)        = (y_hat − y) · ∂A(z)/∂{p}",
        f"  (6)        = (y_hat − y) · {factor_x} · (1 − A(z)) · A(z){eq6_note}",
        f"             = ({n(a)} − {n(y.data)}) · {factor_val} · (1 − {n(a)}) · {n(a)}",
        f"             = {n(autodiff).strip('()')}",
        f"identity.{closed_form.__name__} (eq. (6) in numpy) gives {closed!r}; autodiff {autodiff!r}; "
        f"difference {abs(closed - autodiff):.1e}.",
    ]
