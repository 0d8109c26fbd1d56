"""Three independent ways to one derivative: autodiff, the hand formula (eq. 6), central differences.

If all three agree to ~1e-10, the backpropagation is right; ``numerical_grad``
works for any function of Values, ``compare_gradients`` puts the seed's
identity network side by side with eq. (6).
"""

import math
import numbers

from micrograd_id._checks import finite_float
from micrograd_id.engine import Value, no_grad
from micrograd_id.identity import hand_gradient, hand_gradient_bias
from micrograd_id.losses import half_squared_error
from micrograd_id.nn import IdentityNet

__all__ = ["numerical_grad", "compare_gradients", "GradientTable", "DEFAULT_EPS"]

DEFAULT_EPS = 1e-6  # truncation error ~eps², rounding error ~1e-16/eps: both ~1e-10 here


def numerical_grad(f, params, eps=DEFAULT_EPS):
    """Central differences (f(p + eps) - f(p - eps)) / (2 eps) for each Value in params.

    f: a callable taking no arguments that reads the params' ``.data`` and
    returns a Value or a real number. Each parameter is nudged in turn and put
    back exactly (also when f raises). f runs under no_grad, so no graph is built.
    """
    if not callable(f):
        raise TypeError(f"f must be a callable returning a Value or a number, got {type(f).__name__}")
    params = [params] if isinstance(params, Value) else list(params)
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"params must be Values, got {type(p).__name__}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0.0 < eps < math.inf:
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    grads = []
    for p in params:
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


def _evaluate(f):
    with no_grad():
        out = f()
    value = out.data if isinstance(out, Value) else out
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"f must return a Value or a real number, got {type(out).__name__}")
    return float(value)


class GradientTable:
    """Rows comparing the three gradients; ``str()`` prints them as a table.

    Each row: parameter, w, x, y, b (None without bias), E, autodiff, eq6,
    numerical, and the errors of eq. (6) and of the numerical value against
    autodiff: abs_err_eq6, rel_err_eq6, abs_err_numerical, rel_err_numerical.
    """

    columns = ("parameter", "w", "x", "y", "b", "E", "autodiff", "eq6", "numerical",
               "abs_err_eq6", "rel_err_eq6", "abs_err_numerical", "rel_err_numerical")

    def __init__(self, rows):
        self.rows = list(rows)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def max_error(self, against="eq6"):
        """The largest absolute error of "eq6" or "numerical" against autodiff."""
        if against not in ("eq6", "numerical"):
            raise ValueError(f"against must be 'eq6' or 'numerical', got {against!r}")
        return max((row[f"abs_err_{against}"] for row in self.rows), default=0.0)

    def __str__(self):
        with_bias = any(row["b"] is not None for row in self.rows)
        head = ["", "w", "x"] + (["b"] if with_bias else []) + ["autodiff", "eq. (6)", "central diff.",
                                                              "|eq.6 - auto|", "|num - auto|"]
        lines = []
        for row in self.rows:
            cells = [f"dE/d{row['parameter']}", f"{row['w']:g}", f"{row['x']:g}"]
            if with_bias:
                cells.append(f"{row['b']:g}")
            cells += [f"{row['autodiff']:.12f}", f"{row['eq6']:.12f}", f"{row['numerical']:.12f}",
                      f"{row['abs_err_eq6']:.1e}", f"{row['abs_err_numerical']:.1e}"]
            lines.append(cells)
        widths = [max(len(r[k]) for r in [head] + lines) for k in range(len(head))]
        fmt = lambda cells: "  ".join(c.rjust(n) for c, n in zip(cells, widths)).rstrip()  # noqa: E731
        return "\n".join([fmt(head)] + [fmt(cells) for cells in lines])

    def __repr__(self):
        return f"GradientTable({len(self.rows)} rows, max error vs eq. (6) {self.max_error():.1e}, " \
               f"vs central difference {self.max_error('numerical'):.1e})"


def compare_gradients(w=0.3, x=1.0, y=None, bias=None, eps=DEFAULT_EPS):
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
            row[f"rel_err_{kind}"] = _relative(row[kind], p.grad)
        rows.append(row)
    return rows


def _relative(a, b):
    """|a - b| / max(|a|, |b|); 0 when both are 0."""
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale else 0.0
