"""matplotlib figures: the identity network's error landscape, training curves, decision boundaries.

    plot_landscape(history)              E(w) (or mean E over (w, b)) with a train() run's descent path
    plot_history(history)                loss (and accuracy) per epoch of fit(), or E per step of train()
    plot_decision_boundary(model, X, y)  a 2-D classifier's regions with the data on top

Each returns a matplotlib Figure, which Jupyter shows inline by itself (no
``%matplotlib inline``, no pyplot: the figures carry their own Agg canvas
and PNG display); ``path=`` also writes it (.png, .svg or .pdf, atomically).

Landscape: without a bias, E depends on the one weight w; the curves for
each input come from the closed forms in ``identity``, and each step of a
History is an arrow from w to the next w along its input's curve. Plain
gradient descent steps by −lr·∂E/∂w, downhill; with momentum a step may go
uphill, carried by the earlier steps, and the picture says so. With a bias b
the landscape is a surface over (w, b): a contour plot with the path on it.

matplotlib is an optional extra (``pip install 'micrograd-id[plot]'``),
imported only when a plot is made.
"""

from __future__ import annotations

import functools
import io
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from micrograd_id._checks import whole_number
from micrograd_id._files import write_atomic
from micrograd_id.identity import error
from micrograd_id.losses import class_of, predicted_class

if TYPE_CHECKING:  # matplotlib is imported only when a plot is made
    from matplotlib.figure import Figure

PathLike = Union[str, "os.PathLike[str]"]
Range = tuple[float, float]  # (low, high) axis limits

__all__ = ["plot_landscape", "plot_history", "plot_decision_boundary", "save_figure", "FORMATS"]

FORMATS = ("png", "svg", "pdf")
"""The file suffixes a figure can be written to (``path=``, ``save_figure``)."""
_INSTALL_HINT = "the plots need matplotlib: pip install 'micrograd-id[plot]'"
_GRID = 400  # points per axis: smooth curves, still instant with numpy
_UPHILL = "darkorange"


@functools.cache
def _inline_figure():
    """A Figure class on the Agg canvas that Jupyter displays as a PNG, or an ImportError saying how to install."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(_INSTALL_HINT) from None

    class InlineFigure(Figure):
        """A Figure that shows itself in Jupyter; pyplot's inline backend is not needed."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            FigureCanvasAgg(self)

        def _repr_png_(self):
            buffer = io.BytesIO()
            self.savefig(buffer, format="png")
            return buffer.getvalue()

    return InlineFigure


# ----- the path of a training run ----------------------------------------------------

def _rows(history):
    """The history's rows, checked for the columns the plot reads."""
    if history is None:
        return []
    rows = history.rows if hasattr(history, "rows") else list(history)
    for k, row in enumerate(rows):
        if not isinstance(row, dict):
            raise TypeError(f"history rows must be dicts (a train() History), row {k} is {type(row).__name__}")
        missing = [c for c in ("x", "y", "w", "E", "dE/dw") if c not in row]
        if missing:
            raise ValueError(f"history row {k} lacks {', '.join(missing)}: pass the History of train() "
                             f"on an IdentityNet")
        if not all(math.isfinite(row[c]) for c in ("w", "E", "dE/dw") + (("b",) if "b" in row else ())):
            raise ValueError(f"history row {k} holds a value that is not finite")
    return rows


def _samples(row):
    """[(x, y), ...] that the row's step used: one sample (online) or the whole batch."""
    if isinstance(row["x"], list):
        return list(zip(row["x"], row["y"]))
    return [(row["x"], row["y"])]


def _pairs(rows, default=((0.0, 0.0), (1.0, 1.0))):
    """The distinct (x, y) samples of a run, in order of first use; without any, the identity network's two."""
    pairs = []
    for row in rows:
        for pair in _samples(row):
            if pair not in pairs:
                pairs.append(pair)
    return sorted(pairs) or list(default)


def _plain_descent(rows):
    """True when every step moved each parameter by the same multiple of −its gradient (no momentum).

    The History does not record the optimiser, but its rows show it: plain
    gradient descent has w_next − w = −lr·∂E/∂w with one lr throughout.
    """
    names = [name for name in ("w", "b") if rows and name in rows[0]]
    rates = []
    for row, following in zip(rows, rows[1:]):
        for name in names:
            move, gradient = following[name] - row[name], row[f"dE/d{name}"]
            if gradient == 0.0:
                if move != 0.0:
                    return False  # moved without a gradient: carried by a velocity
                continue
            rates.append(-move / gradient)
    return not rates or max(rates) - min(rates) <= 1e-9 * max(abs(r) for r in rates)


def _step_words(rows, symbol, gradient):
    """The legend's words for the steps: the update rule, and why a step may go uphill."""
    if _plain_descent(rows):
        return f"descent: {symbol} → {symbol} − lr·{gradient} ({len(rows)} steps)"
    return (f"momentum steps: {symbol} → {symbol} − lr·v, v = m·v + {gradient} ({len(rows)} steps);\n"
            f"v carries earlier steps on, so some go uphill")


def _mean_error(w, pairs, b=0.0):
    return sum(error(w, x, y, b) for x, y in pairs) / len(pairs)


def _spread(moves, lengths, most):
    """At most `most` of the moves, evenly spaced along the distance travelled (first included).

    Spacing by distance rather than by step number keeps arrows on the long
    early steps instead of piling them up where the steps have become tiny.
    """
    if len(moves) <= most:
        return list(moves)
    if most == 0:
        return []
    starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    targets = np.linspace(0.0, starts[-1], most)
    picks = np.searchsorted(starts, targets, side="left").clip(0, len(moves) - 1)
    return [moves[k] for k in sorted(set(picks.tolist()))]


def _range(values, low, high, margin):
    values = list(values)
    lo = min([low] + [v - margin for v in values])
    hi = max([high] + [v + margin for v in values])
    return lo, hi


# ----- E(w) without a bias ---------------------------------------------------------------

def _curve_figure(rows, w_range, title, max_arrows):
    make = _inline_figure()
    pairs = _pairs(rows)
    fig = make(figsize=(9, 6.8), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    lo, hi = w_range or _range((r["w"] for r in rows), -6.0, 6.0, 1.0)
    ws = np.linspace(lo, hi, _GRID)
    colours = {pair: f"C{k}" for k, pair in enumerate(pairs)}
    for pair in pairs:
        x, y = pair
        ax.plot(ws, error(ws, x, y), color=colours[pair], lw=2.2, label=f"E(w) for x = {x:g} (y = {y:g})")
    if len(pairs) > 1:
        label = "mean of the " + ("two" if len(pairs) == 2 else str(len(pairs))) + " curves"
        if pairs == [(0.0, 0.0), (1.0, 1.0)]:
            label += "\n(→ 0.0625 as w → ∞: the x = 0 half never improves)"
        ax.plot(ws, _mean_error(ws, pairs), color="0.25", lw=1.6, ls="--", label=label)
    _draw_steps(ax, rows, colours, max_arrows)
    _annotate_seed_facts(ax, colours, lo, hi)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.02, max(0.55, max((r["E"] for r in rows), default=0) * 1.1))
    ax.set_xlabel("weight w")
    ax.set_ylabel("error E = ½(ŷ − y)²")
    ax.set_title(title or "Error landscape of ŷ = sigmoid(w·x)", fontsize=12)
    ax.grid(alpha=0.3)
    _legend_below(ax)
    return fig


def _legend_below(ax, columns=2):
    """The legend under the plot, so it covers neither the curves nor their notes (constrained layout makes room)."""
    ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=columns, fontsize=9,
                     frameon=False)


def _draw_steps(ax, rows, colours, max_arrows):
    """Dots where each step started; arrows from w to the next w along the step's own curve."""
    if not rows:
        return
    for row in rows:
        samples = _samples(row)
        colour = colours[samples[0]] if len(samples) == 1 else "0.25"
        ax.plot(row["w"], row["E"], "o", ms=3.5, color=colour, alpha=0.7, zorder=4)
    moves = [k for k in range(len(rows) - 1) if rows[k + 1]["w"] != rows[k]["w"]]
    lengths = [abs(rows[k + 1]["w"] - rows[k]["w"]) for k in moves]
    uphill = False
    for k in _spread(moves, lengths, max_arrows):
        w0, w1 = rows[k]["w"], rows[k + 1]["w"]
        samples = _samples(rows[k])
        start, end = (w0, rows[k]["E"]), (w1, _mean_error(w1, samples))
        up = end[1] > start[1]
        uphill |= up
        ax.annotate("", xy=end, xytext=start, zorder=5,
                    arrowprops=dict(arrowstyle="-|>", color=_UPHILL if up else "crimson", lw=1.6,
                                    mutation_scale=14))
    ax.plot([], [], "o", ms=3.5, color="0.4", label="a dot where each step starts, on the curve of its x")
    ax.plot([], [], color="crimson", marker=">", lw=1.6, label=_step_words(rows, "w", "∂E/∂w"))
    if uphill:
        ax.plot([], [], color=_UPHILL, marker=">", lw=1.6, label="a step uphill on its own curve")
    first, last = rows[0], rows[-1]
    ax.plot(first["w"], first["E"], "s", ms=9, mfc="none", mec="black", mew=1.5, zorder=6,
            label=f"start: w = {first['w']:.3g}")
    ax.plot(last["w"], last["E"], "D", ms=8, mfc="none", mec="crimson", mew=1.5, zorder=6,
            label=f"last step: w = {last['w']:.3g}, E = {last['E']:.3g}")


def _annotate_seed_facts(ax, colours, lo, hi):
    """The two facts the identity network teaches, written where they show, each pointing in its curve's colour."""
    box = dict(boxstyle="round,pad=0.3", fc="white", ec="0.6", alpha=0.9)
    if (0.0, 0.0) in colours:
        ax.annotate("x = 0: ŷ = sigmoid(0) = 0.5 whatever w is,\nso E = 0.125 and ∂E/∂w = 0: "
                    "x = 0 cannot move w",
                    xy=(lo + 0.2 * (hi - lo), 0.125), xytext=(lo + 0.03 * (hi - lo), 0.2),
                    fontsize=9, bbox=box, arrowprops=dict(arrowstyle="->", color=colours[(0.0, 0.0)]))
    if (1.0, 1.0) in colours:
        w_text = lo + 0.62 * (hi - lo)
        ax.annotate("x = 1: E keeps falling as w grows;\nit reaches 0 only as w → ∞ (no finite minimum)",
                    xy=(hi - 0.05 * (hi - lo), float(error(hi - 0.05 * (hi - lo), 1.0))),
                    xytext=(w_text, 0.3), fontsize=9, bbox=box, ha="center",
                    arrowprops=dict(arrowstyle="->", color=colours[(1.0, 1.0)]))


# ----- mean E over (w, b) with a bias ---------------------------------------------------------

def _contour_figure(rows, w_range, b_range, title, max_arrows):
    make = _inline_figure()
    from matplotlib.colors import LogNorm

    pairs = _pairs(rows)
    fig = make(figsize=(9, 7.0), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    w_lo, w_hi = w_range or _range((r["w"] for r in rows), -3.0, 9.0, 1.0)
    b_lo, b_hi = b_range or _range((r["b"] for r in rows), -6.0, 3.0, 1.0)
    W, B = np.meshgrid(np.linspace(w_lo, w_hi, _GRID), np.linspace(b_lo, b_hi, _GRID))
    Z = _mean_error(W, pairs, B)
    floor = max(float(Z.min()), 1e-6)
    levels = np.geomspace(floor, float(Z.max()), 25)
    filled = ax.contourf(W, B, np.maximum(Z, floor), levels=levels, norm=LogNorm(), cmap="viridis")
    ax.contour(W, B, Z, levels=levels[::3], colors="white", linewidths=0.5, alpha=0.6)
    bar = fig.colorbar(filled, ax=ax)
    samples = " and ".join(f"x = {x:g}" for x, _ in pairs)
    bar.set_label(f"mean error E over {samples} (log scale)")
    bar.set_ticks([t for t in (1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.5) if floor <= t <= Z.max()])
    bar.set_ticklabels([f"{t:g}" for t in bar.get_ticks()])
    if rows:
        ws, bs = [r["w"] for r in rows], [r["b"] for r in rows]
        ax.plot(ws, bs, color="white", lw=1.2, alpha=0.9, zorder=4)
        ax.plot(ws, bs, "o", color="white", ms=2.5, zorder=4)
        # Online steps alternate between the inputs (an x = 0 step moves only b), so one
        # step's direction zigzags; an arrow spans one pass over the inputs, the drawn path's direction.
        span = 1 if isinstance(rows[0]["x"], list) else len(pairs)
        moves = [k for k in range(len(rows) - span) if (ws[k + span], bs[k + span]) != (ws[k], bs[k])]
        lengths = [math.hypot(ws[k + span] - ws[k], bs[k + span] - bs[k]) for k in moves]
        for k in _spread(moves, lengths, max_arrows):
            ax.annotate("", xy=(ws[k + span], bs[k + span]), xytext=(ws[k], bs[k]), zorder=5,
                        arrowprops=dict(arrowstyle="-|>", color="crimson", lw=1.5, mutation_scale=13))
        ax.plot([], [], color="crimson", marker=">", lw=1.5,
                label=_step_words(rows, "(w, b)", "(∂E/∂w, ∂E/∂b)"))
        ax.plot(ws[0], bs[0], "s", ms=9, mfc="white", mec="black", mew=1.5, zorder=6,
                label=f"start: w = {ws[0]:.3g}, b = {bs[0]:.3g}")
        ax.plot(ws[-1], bs[-1], "D", ms=8, mfc="crimson", mec="white", mew=1.2, zorder=6,
                label=f"last step: w = {ws[-1]:.3g}, b = {bs[-1]:.3g}")
        _legend_below(ax)
    ax.text(0.02, 0.03, "E → 0 towards b → −∞ with w + b → +∞:\nsigmoid(b) → 0 fits x = 0, "
            "sigmoid(w + b) → 1 fits x = 1", transform=ax.transAxes, fontsize=9,
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.6", alpha=0.9))
    ax.set_xlabel("weight w")
    ax.set_ylabel("bias b")
    ax.set_title(title or "Error landscape of ŷ = sigmoid(w·x + b)", fontsize=12)
    return fig


# ----- training curves -------------------------------------------------------------------------

def _history_figure(history, title):
    rows = history.rows if hasattr(history, "rows") else list(history)
    if not rows or not all(isinstance(row, dict) for row in rows):
        raise ValueError("plot_history needs a History with at least one row (from fit() or train())")
    when = "epoch" if "epoch" in rows[0] else "step"
    loss = "loss" if "loss" in rows[0] else "E"
    for k, row in enumerate(rows):
        missing = [c for c in (when, loss) if c not in row]
        if missing:
            raise ValueError(f"history row {k} lacks {', '.join(missing)}: pass the History of fit() or train()")
    panels = [loss] + (["accuracy"] if "accuracy" in rows[0] else [])
    fig = _inline_figure()(figsize=(5.0 * len(panels), 4.0), dpi=110)
    xs = [row[when] for row in rows]
    for k, column in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        ys = np.array([row[column] for row in rows], dtype=float)
        ax.plot(xs, ys, color=f"C{k}", lw=1.8, marker="o" if len(rows) <= 30 else None, ms=3)
        if column == "accuracy":
            ax.set_ylim(-0.02, 1.02)
            ax.yaxis.set_major_formatter(_percent())
            best = int(np.argmax(ys))
            ax.set_title(f"accuracy: {ys[-1]:.0%} at the end (best {ys[best]:.0%}, {when} {xs[best]})", fontsize=10)
        else:
            finite = ys[np.isfinite(ys)]
            if len(finite) and finite.min() > 0 and finite.max() > 10 * finite.min():
                ax.set_yscale("log")  # losses fall by orders of magnitude
            ax.set_title(f"{'mean loss' if column == 'loss' else 'error E'}: {ys[0]:.3g} → {ys[-1]:.3g}", fontsize=10)
        ax.set_xlabel(when)
        ax.set_ylabel(column)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def _percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


# ----- decision boundaries -------------------------------------------------------------------

def _classify(model, points):
    """(the class predicted at each point, its score when the model has one output else None)."""
    from micrograd_id.engine import Value, no_grad

    with no_grad():  # no graph: only the values are needed
        outputs = [model(point) for point in points]
    classes = np.array([predicted_class(out) for out in outputs])
    binary = all(isinstance(out, Value) for out in outputs)
    return classes, np.array([out.data for out in outputs]) if binary else None


def _boundary_figure(model, X, y, resolution, title):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0 or not np.all(np.isfinite(X)):
        raise ValueError(f"plot_decision_boundary needs finite 2-D points X of shape (n, 2), got shape {X.shape}")
    classes = np.array([class_of(label) for label in np.asarray(y).tolist()])
    if classes.shape != (len(X),):
        raise ValueError(f"y must hold one class label per point: {len(X)} points, {classes.size} labels")
    margin = 0.15 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    regions, scores = _classify(model, np.column_stack([gx.ravel(), gy.ravel()]).tolist())
    predicted, _ = _classify(model, X.tolist())
    binary = scores is not None
    count = max(int(classes.max()), int(regions.max()), 1) + 1
    colours = [f"C{k}" for k in range(count)]
    fig = _inline_figure()(figsize=(6.4, 5.8), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    if binary:  # the score itself, interpolated between grid points: a smooth boundary from a coarse grid
        field, reach = scores.reshape(gx.shape), float(np.abs(scores).max()) + 1.0
        ax.contourf(gx, gy, field, levels=[-reach, 0.0, reach], colors=colours, alpha=0.22)
        ax.contour(gx, gy, field, levels=[0.0], colors="black", linewidths=1.4)
    else:  # class numbers cannot be interpolated: one cell per grid point
        from matplotlib.colors import ListedColormap

        ax.pcolormesh(gx, gy, regions.reshape(gx.shape), shading="nearest", cmap=ListedColormap(colours),
                      vmin=-0.5, vmax=count - 0.5, alpha=0.22)
    for k in range(count):
        mine = classes == k
        ax.scatter(X[mine, 0], X[mine, 1], s=28, color=colours[k], edgecolors="black", linewidths=0.6,
                   zorder=3, label=f"class {k}")
    wrong = predicted != classes
    if wrong.any():
        ax.scatter(X[wrong, 0], X[wrong, 1], s=110, facecolors="none", edgecolors="crimson", linewidths=1.6,
                   zorder=4, label=f"misclassified ({int(wrong.sum())})")
    boundary = "the black line: output = 0" if binary else "regions: the largest logit"
    ax.set_title(title or f"Decision boundary ({boundary}); training accuracy {1 - wrong.mean():.0%}",
                 fontsize=11)
    ax.set_xlabel("x₀")
    ax.set_ylabel("x₁")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    _legend_below(ax, columns=3)
    return fig


# ----- public ----------------------------------------------------------------------------------

def _checked_path(path: PathLike) -> Path:
    """path as a Path with a known suffix in an existing folder: checked before any drawing."""
    path = Path(path)
    if path.suffix.lower().lstrip(".") not in FORMATS:
        raise ValueError(f"cannot write {path}: the suffix must be one of .{', .'.join(FORMATS)}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    return path


def save_figure(figure: Figure, path: PathLike) -> Path:
    """Write a Figure to path (.png, .svg or .pdf by suffix), rendered in memory and written atomically.

    Args:
        figure: a matplotlib Figure, e.g. one of this module's.
        path: where to write it; the suffix chooses the format.

    Returns:
        The path written, as a Path.

    Raises:
        ValueError: path has a suffix other than .png, .svg or .pdf.
        FileNotFoundError: path's folder does not exist.
    """
    path = _checked_path(path)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=path.suffix.lower().lstrip("."))
    return write_atomic(path, buffer.getvalue())


def _shown(figure, path):
    if path is not None:
        save_figure(figure, path)
    return figure


def plot_landscape(history: Any | None = None, *, path: PathLike | None = None, bias: float | None = None,
                   w_range: Range | None = None, b_range: Range | None = None, title: str | None = None,
                   max_arrows: int = 14) -> Figure:
    """The error landscape of the identity network as a Figure, with the descent path of ``history``.

    Args:
        history: the History of ``train()`` on an IdentityNet (or its rows), or None
            for the landscape alone. A history with a ``b`` column, or ``bias`` not
            None, gives the contour plot over (w, b); otherwise E(w) curves.
        path: also write the figure there (.png, .svg or .pdf).
        bias: draw the landscape over (w, b) even without a history.
        w_range: (low, high) limits of the w axis; by default wide enough for the path.
        b_range: (low, high) limits of the b axis, likewise.
        title: the figure's title; a default names what is drawn.
        max_arrows: at most this many steps get an arrow (every step gets a dot).

    Returns:
        The matplotlib Figure (Jupyter shows it inline).

    Raises:
        ValueError: a range that is not (low, high) with finite low < high, rows without the
            columns of ``train()`` or with numbers that are not finite, bias given but no b column,
            or a path with the wrong suffix.
        TypeError: history rows that are not dicts.
        FileNotFoundError: path's folder does not exist.
        ImportError: matplotlib is not installed (``pip install 'micrograd-id[plot]'``).
    """
    path = None if path is None else _checked_path(path)
    rows = _rows(history)
    for name, limits in (("w_range", w_range), ("b_range", b_range)):
        if limits is not None:
            low, high = (float(v) for v in limits)
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"{name} must be (low, high) with finite low < high, got {limits!r}")
    whole_number(max_arrows, "max_arrows", low=0)
    with_bias = bias is not None or any("b" in row for row in rows)
    if with_bias and rows and not all("b" in row for row in rows):
        raise ValueError("bias given but the history has no b column: train an IdentityNet(bias=...)")
    if with_bias:
        return _shown(_contour_figure(rows, w_range, b_range, title, max_arrows), path)
    return _shown(_curve_figure(rows, w_range, title, max_arrows), path)


def plot_history(history: Any, *, path: PathLike | None = None, title: str | None = None) -> Figure:
    """Training curves as a Figure: loss (log scale when it falls a lot) and accuracy per epoch.

    Args:
        history: from ``fit()`` (epoch, loss[, accuracy]) or ``train()`` (step, E).
        path: also write the figure there (.png, .svg or .pdf).
        title: a title above both panels (each panel's own title gives its first and last values).

    Returns:
        The matplotlib Figure (Jupyter shows it inline).

    Raises:
        ValueError: an empty history, rows without those columns, or a path with the wrong suffix.
        FileNotFoundError: path's folder does not exist.
        ImportError: matplotlib is not installed (``pip install 'micrograd-id[plot]'``).
    """
    path = None if path is None else _checked_path(path)
    return _shown(_history_figure(history, title), path)


def plot_decision_boundary(model: Any, X: Any, y: Any, *, path: PathLike | None = None, resolution: int = 50,
                           title: str | None = None) -> Figure:
    """A 2-D classifier's decision regions as a Figure, with the points X (coloured by y) on top.

    One output: the regions are output > 0 (class 1) and <= 0 (class 0), and
    the boundary output = 0 is drawn, as for a logit (binary_cross_entropy)
    or a score (hinge; labels -1/+1 count as 0/1). Several outputs: each
    region is the class of the largest logit (cross_entropy). Misclassified
    points are ringed. The model is evaluated on a resolution × resolution
    grid, one sample at a time (about a second for a 2-16-16-1 MLP at 50).

    Args:
        model: a trained model taking one 2-D sample, e.g. an MLP.
        X: the points, shape (n, 2).
        y: one class label per point.
        path: also write the figure there (.png, .svg or .pdf).
        resolution: grid points per axis, from 2 to 1000.
        title: the figure's title; by default the training accuracy.

    Returns:
        The matplotlib Figure (Jupyter shows it inline).

    Raises:
        ValueError: X not finite points of shape (n, 2), y of another length, resolution out of
            range, or a path with the wrong suffix.
        FileNotFoundError: path's folder does not exist.
        ImportError: matplotlib is not installed (``pip install 'micrograd-id[plot]'``).
    """
    path = None if path is None else _checked_path(path)
    if not 2 <= whole_number(resolution, "resolution", low=2) <= 1000:
        raise ValueError(f"resolution is points per axis, at most 1000, got {resolution!r}")
    return _shown(_boundary_figure(model, X, y, resolution, title), path)
