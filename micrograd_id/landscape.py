"""The error landscape of the identity network, with a training run's descent path on it.

Without a bias, E depends on the one weight w: ``landscape_figure`` draws
E(w) for x = 0, for x = 1 and their mean, and the steps of a ``History`` as
arrows along the curves. Each arrow goes from w to w - lr·∂E/∂w, so it points
along −∂E/∂w: downhill. With a bias b the landscape is a surface over (w, b):
a contour plot of the mean error with the path drawn on it.

The curves are computed with numpy from the closed forms in ``identity``.
matplotlib is an optional extra (``pip install 'micrograd-id[plot]'``); it is
imported only when a plot is made, and drawn with the Agg canvas (no GUI, no
pyplot global state). Files are rendered in memory and written atomically.
"""

import io
import math
from pathlib import Path

import numpy as np

from micrograd_id._files import write_atomic
from micrograd_id.identity import error

__all__ = ["landscape_figure", "plot_landscape", "FORMATS"]

FORMATS = ("png", "svg", "pdf")
_INSTALL_HINT = "the landscape plot needs matplotlib: pip install 'micrograd-id[plot]'"
_GRID = 400  # points per axis: smooth curves, still instant with numpy


def _figure_class():
    """matplotlib's Figure bound to the Agg canvas, or an ImportError saying how to install it."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(_INSTALL_HINT) from None

    def make(**kwargs):
        figure = Figure(**kwargs)
        FigureCanvasAgg(figure)
        return figure

    return make


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
    """The distinct (x, y) samples of a run, in order of first use; the seed's two without one."""
    pairs = []
    for row in rows:
        for pair in _samples(row):
            if pair not in pairs:
                pairs.append(pair)
    return sorted(pairs) or list(default)


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
    make = _figure_class()
    pairs = _pairs(rows)
    fig = make(figsize=(9, 5.6), dpi=110)
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
            label += " (→ 0.0625 as w → ∞: the x = 0 half never improves)"
        ax.plot(ws, _mean_error(ws, pairs), color="0.25", lw=1.6, ls="--", label=label)
    _draw_steps(ax, rows, colours, max_arrows)
    _annotate_seed_facts(ax, pairs, lo, hi)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.02, max(0.55, max((r["E"] for r in rows), default=0) * 1.1))
    ax.set_xlabel("weight w")
    ax.set_ylabel("error E = ½(ŷ − y)²")
    ax.set_title(title or "Error landscape of ŷ = sigmoid(w·x)", fontsize=12)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=9, framealpha=0.95)
    fig.tight_layout()
    return fig


def _draw_steps(ax, rows, colours, max_arrows):
    """Dots where each step started; arrows from w to the next w along the step's own curve."""
    if not rows:
        return
    for k, row in enumerate(rows):
        samples = _samples(row)
        colour = colours[samples[0]] if len(samples) == 1 else "0.25"
        ax.plot(row["w"], row["E"], "o", ms=3.5, color=colour, alpha=0.7, zorder=4)
    moves = [k for k in range(len(rows) - 1) if rows[k + 1]["w"] != rows[k]["w"]]
    lengths = [abs(rows[k + 1]["w"] - rows[k]["w"]) for k in moves]
    for k in _spread(moves, lengths, max_arrows):
        w0, w1 = rows[k]["w"], rows[k + 1]["w"]
        samples = _samples(rows[k])
        start, end = (w0, rows[k]["E"]), (w1, _mean_error(w1, samples))
        ax.annotate("", xy=end, xytext=start, zorder=5,
                    arrowprops=dict(arrowstyle="-|>", color="crimson", lw=1.6, mutation_scale=14))
    ax.plot([], [], "o", ms=3.5, color="0.4", label="a dot where each step starts, on the curve of its x")
    ax.plot([], [], color="crimson", marker=">", lw=1.6,
            label=f"descent: w → w − lr·∂E/∂w ({len(rows)} steps)")
    first, last = rows[0], rows[-1]
    ax.plot(first["w"], first["E"], "s", ms=9, mfc="none", mec="black", mew=1.5, zorder=6,
            label=f"start: w = {first['w']:.3g}")
    ax.plot(last["w"], last["E"], "D", ms=8, mfc="none", mec="crimson", mew=1.5, zorder=6,
            label=f"last step: w = {last['w']:.3g}, E = {last['E']:.3g}")


def _annotate_seed_facts(ax, pairs, lo, hi):
    """The two facts the seed's network teaches, written where they show."""
    box = dict(boxstyle="round,pad=0.3", fc="white", ec="0.6", alpha=0.9)
    if (0.0, 0.0) in pairs:
        ax.annotate("x = 0: ŷ = sigmoid(0) = 0.5 whatever w is,\nso E = 0.125 and ∂E/∂w = 0: "
                    "x = 0 cannot move w",
                    xy=(lo + 0.2 * (hi - lo), 0.125), xytext=(lo + 0.03 * (hi - lo), 0.2),
                    fontsize=9, bbox=box, arrowprops=dict(arrowstyle="->", color="C0"))
    if (1.0, 1.0) in pairs:
        w_text = lo + 0.62 * (hi - lo)
        ax.annotate("x = 1: E keeps falling as w grows;\nit reaches 0 only as w → ∞ (no finite minimum)",
                    xy=(hi - 0.05 * (hi - lo), float(error(hi - 0.05 * (hi - lo), 1.0))),
                    xytext=(w_text, 0.3), fontsize=9, bbox=box, ha="center",
                    arrowprops=dict(arrowstyle="->", color="C1"))


# ----- mean E over (w, b) with a bias ---------------------------------------------------------

def _contour_figure(rows, w_range, b_range, title, max_arrows):
    make = _figure_class()
    from matplotlib.colors import LogNorm

    pairs = _pairs(rows)
    fig = make(figsize=(9, 6.2), dpi=110)
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
        moves = [k for k in range(len(rows) - 1) if (ws[k + 1], bs[k + 1]) != (ws[k], bs[k])]
        lengths = [math.hypot(ws[k + 1] - ws[k], bs[k + 1] - bs[k]) for k in moves]
        for k in _spread(moves, lengths, max_arrows):
            ax.annotate("", xy=(ws[k + 1], bs[k + 1]), xytext=(ws[k], bs[k]), zorder=5,
                        arrowprops=dict(arrowstyle="-|>", color="crimson", lw=1.5, mutation_scale=13))
        ax.plot([], [], color="crimson", marker=">", lw=1.5,
                label=f"descent: (w, b) → (w, b) − lr·(∂E/∂w, ∂E/∂b) ({len(rows)} steps)")
        ax.plot(ws[0], bs[0], "s", ms=9, mfc="white", mec="black", mew=1.5, zorder=6,
                label=f"start: w = {ws[0]:.3g}, b = {bs[0]:.3g}")
        ax.plot(ws[-1], bs[-1], "D", ms=8, mfc="crimson", mec="white", mew=1.2, zorder=6,
                label=f"last step: w = {ws[-1]:.3g}, b = {bs[-1]:.3g}")
        ax.legend(loc="upper right", fontsize=9, framealpha=0.95)
    ax.text(0.02, 0.03, "E → 0 towards b → −∞ with w + b → +∞:\nsigmoid(b) → 0 fits x = 0, "
            "sigmoid(w + b) → 1 fits x = 1", transform=ax.transAxes, fontsize=9,
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.6", alpha=0.9))
    ax.set_xlabel("weight w")
    ax.set_ylabel("bias b")
    ax.set_title(title or "Error landscape of ŷ = sigmoid(w·x + b)", fontsize=12)
    fig.tight_layout()
    return fig


# ----- public ----------------------------------------------------------------------------------

def landscape_figure(history=None, *, bias=None, w_range=None, b_range=None, title=None, max_arrows=14):
    """A matplotlib Figure of the error landscape, with the descent path of ``history``.

    history: the History of ``train()`` on an IdentityNet (or its rows), or None
        for the landscape alone. A history with a ``b`` column, or ``bias`` not
        None, gives the contour plot over (w, b); otherwise E(w) curves.
    w_range, b_range: (low, high) axis limits; by default wide enough for the path.
    max_arrows: at most this many steps get an arrow (every step gets a dot).
    """
    rows = _rows(history)
    for name, limits in (("w_range", w_range), ("b_range", b_range)):
        if limits is not None:
            low, high = (float(v) for v in limits)
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"{name} must be (low, high) with finite low < high, got {limits!r}")
    if isinstance(max_arrows, bool) or not isinstance(max_arrows, int) or max_arrows < 0:
        raise ValueError(f"max_arrows must be an int >= 0, got {max_arrows!r}")
    with_bias = bias is not None or any("b" in row for row in rows)
    if with_bias and rows and not all("b" in row for row in rows):
        raise ValueError("bias given but the history has no b column: train an IdentityNet(bias=...)")
    if with_bias:
        return _contour_figure(rows, w_range, b_range, title, max_arrows)
    return _curve_figure(rows, w_range, title, max_arrows)


def plot_landscape(path, history=None, **options):
    """Write ``landscape_figure(history, **options)`` to path (.png, .svg or .pdf); return it as a Path.

    The image is rendered in memory and written atomically: an error never
    leaves a half-written file.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"cannot write {path}: the suffix must be one of .{', .'.join(FORMATS)}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    fig = landscape_figure(history, **options)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    return write_atomic(path, buffer.getvalue())
