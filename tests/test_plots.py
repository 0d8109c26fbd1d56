"""The plots: the landscape's curves are the closed forms and its arrows point downhill; files are whole."""

import builtins
import math
import os

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from micrograd_id import plots  # noqa: E402
from micrograd_id.identity import IdentityNet, error  # noqa: E402
from micrograd_id.plots import plot_decision_boundary, plot_history, plot_landscape  # noqa: E402
from micrograd_id.train import History, train  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def seed_history():
    return train(IdentityNet(0.3), xs=[0, 1], lr=2.0, steps=40)


@pytest.fixture(scope="module")
def bias_history():
    return train(IdentityNet(0.3, bias=0.0), xs=[0, 1], lr=2.0, steps=200)


def arrows(fig):
    """(start, end) of every arrow drawn on the figure's first axes."""
    ax = fig.axes[0]
    return [(a.xyann, a.xy) for a in ax.texts if getattr(a, "arrow_patch", None) is not None and not a.get_text()]


def test_curves_are_the_closed_forms_x0_flat_at_0125(seed_history):
    fig = plot_landscape(seed_history)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    flat = lines["E(w) for x = 0 (y = 0)"]
    assert np.all(flat.get_ydata() == 0.125)
    one = lines["E(w) for x = 1 (y = 1)"]
    ws, es = one.get_xdata(), one.get_ydata()
    assert np.allclose(es, error(ws, 1.0))
    assert np.all(np.diff(es) < 0)  # x = 1: E falls as w grows, over the whole range
    mean = next(line for label, line in lines.items() if label.startswith("mean"))
    assert np.allclose(mean.get_ydata(), (0.125 + error(ws, 1.0)) / 2)


def test_arrows_point_along_minus_the_gradient(seed_history):
    fig = plot_landscape(seed_history, max_arrows=100)
    drawn = arrows(fig)
    moving = [r for r in seed_history.rows[:-1] if r["dE/dw"] != 0.0]
    assert len(drawn) == len(moving) > 0
    for (start, end), row in zip(drawn, moving):
        assert start[0] == row["w"]
        assert math.copysign(1.0, end[0] - start[0]) == -math.copysign(1.0, row["dE/dw"])
        assert end[1] < start[1]  # downhill on the step's own curve


def test_max_arrows_limits_the_arrows(seed_history):
    assert len(arrows(plot_landscape(seed_history, max_arrows=5))) == 5
    assert arrows(plot_landscape(seed_history, max_arrows=0)) == []


def test_writes_a_png_atomically(tmp_path, seed_history):
    path = tmp_path / "landscape.png"
    fig = plot_landscape(seed_history, path=path)
    assert fig.axes and path.read_bytes().startswith(PNG_MAGIC)
    assert os.listdir(tmp_path) == ["landscape.png"]  # no temporary file left behind


def test_svg_and_pdf_by_suffix(tmp_path, seed_history):
    plot_landscape(seed_history, path=tmp_path / "l.svg")
    plot_landscape(None, path=tmp_path / "l.pdf")
    assert b"<svg" in (tmp_path / "l.svg").read_bytes()[:2000]
    assert (tmp_path / "l.pdf").read_bytes().startswith(b"%PDF")


def test_bias_history_gives_a_contour_over_w_and_b(tmp_path, bias_history):
    fig = plot_landscape(bias_history)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "weight w" and ax.get_ylabel() == "bias b"
    assert len(fig.axes) == 2  # the plot and its colour bar
    rows = bias_history.rows
    assert arrows(fig)
    for start, end in arrows(fig):  # each arrow spans one pass over x = 0, 1: the path's own direction
        k = next(i for i, r in enumerate(rows) if (r["w"], r["b"]) == start)
        assert end == (rows[k + 2]["w"], rows[k + 2]["b"])
        for name, moved in (("w", end[0] - start[0]), ("b", end[1] - start[1])):
            descent = -2.0 * (rows[k][f"dE/d{name}"] + rows[k + 1][f"dE/d{name}"])  # lr = 2
            assert moved == pytest.approx(descent, rel=1e-9, abs=1e-15)
    plot_landscape(bias_history, path=tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes().startswith(PNG_MAGIC)


def test_full_batch_history_runs_along_the_mean_curve():
    history = train(IdentityNet(-1.0), xs=[0, 0.5, 1], lr=3.0, steps=10, full_batch=True)
    fig = plot_landscape(history, max_arrows=100)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "E(w) for x = 0.5 (y = 0.5)" in labels and "mean of the 3 curves" in labels
    for (start, end), row, after in zip(arrows(fig), history.rows, history.rows[1:]):
        assert start == (row["w"], row["E"])
        assert end[0] == after["w"] and end[1] == pytest.approx(after["E"], rel=1e-12)


def test_landscape_alone_and_contour_alone():
    assert len(plot_landscape().axes) == 1
    assert len(plot_landscape(bias=0.0).axes) == 2


def test_history_from_csv_plots_the_same(tmp_path, seed_history):
    seed_history.to_csv(tmp_path / "h.csv")
    again = History.from_csv(tmp_path / "h.csv")
    assert [a for a in arrows(plot_landscape(again))] == arrows(plot_landscape(seed_history))


@pytest.mark.parametrize("name", ["l.gif", "l", "l.dot"])
def test_unknown_suffix_is_refused_before_drawing(tmp_path, name):
    with pytest.raises(ValueError, match="suffix"):
        plot_landscape(None, path=tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot_landscape(None, path=tmp_path / "nope" / "l.png")


def test_a_failed_write_keeps_the_old_file(tmp_path, seed_history, monkeypatch):
    path = tmp_path / "l.png"
    path.write_bytes(b"old")
    import matplotlib.figure

    def broken(*args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    with pytest.raises(RuntimeError):
        plot_landscape(seed_history, path=path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["l.png"]


@pytest.mark.parametrize("history, options, error, match", [
    ([{"w": 1.0}], {}, ValueError, "lacks"),
    (["row"], {}, TypeError, "dicts"),
    ([{"x": 1.0, "y": 1.0, "w": float("nan"), "E": 0.1, "dE/dw": 0.0}], {}, ValueError, "finite"),
    (None, {"w_range": (2, 1)}, ValueError, "w_range"),
    (None, {"max_arrows": -1}, ValueError, "max_arrows"),
])
def test_bad_input_is_named(history, options, error, match):
    with pytest.raises(error, match=match):
        plot_landscape(history, **options)


def test_bias_without_a_b_column_is_refused(seed_history):
    with pytest.raises(ValueError, match="no b column"):
        plot_landscape(seed_history, bias=0.0)


def test_without_matplotlib_the_error_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    plots._inline_figure.cache_clear()  # the Figure class is made once, on the first plot
    with pytest.raises(ImportError, match=r"pip install 'micrograd-id\[plot\]'"):
        plot_landscape()
    monkeypatch.undo()
    plots._inline_figure.cache_clear()


# ----- issue 16's pictures --------------------------------------------------------------------

def legend_texts(fig):
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_a_momentum_run_says_its_steps_are_momentum_steps(seed_history):
    plain = legend_texts(plot_landscape(seed_history))
    assert any(t.startswith("descent: w → w − lr·∂E/∂w") for t in plain)
    heavy = train(IdentityNet(0.3), xs=[0, 1], lr=2.0, steps=40, momentum=0.9)
    words = legend_texts(plot_landscape(heavy))
    assert any("momentum steps" in t and "uphill" in t for t in words)
    assert not any(t.startswith("descent:") for t in words)


def test_an_uphill_step_gets_its_own_colour_and_legend_entry():
    history = train(IdentityNet(-3.0), xs=[1], ys=[0.5], lr=5.0, steps=30, momentum=0.9)  # overshoots w = 0
    fig = plot_landscape(history, max_arrows=100)
    colours = {a.arrow_patch.get_edgecolor() for a in fig.axes[0].texts if not a.get_text()}
    assert len(colours) == 2 and "a step uphill on its own curve" in legend_texts(fig)


def test_each_note_points_in_its_own_curves_colour():
    from matplotlib.colors import to_rgba

    for xs in ([1], [0], [0, 1]):
        fig = plot_landscape(train(IdentityNet(0.3), xs=xs, lr=2.0, steps=4))
        curves = {line.get_label(): line.get_color() for line in fig.axes[0].get_lines()}
        notes = [a for a in fig.axes[0].texts if a.get_text().startswith("x = ")]
        assert len(notes) == len(xs)
        for note in notes:
            x = note.get_text()[4]
            curve = curves[f"E(w) for x = {x} (y = {x})"]
            assert to_rgba(note.arrow_patch.get_edgecolor()) == to_rgba(curve)


def test_the_legend_sits_below_the_axes(seed_history, bias_history):
    for fig in (plot_landscape(seed_history), plot_landscape(bias_history)):
        fig.canvas.draw()
        (legend,) = fig.legends
        assert legend.get_window_extent().y1 <= fig.axes[0].get_window_extent().y0


# ----- training curves and decision boundaries ---------------------------------------------------

def test_plot_history_draws_loss_and_accuracy_per_epoch(tmp_path):
    rows = [{"epoch": k, "loss": 10.0 ** -k, "accuracy": min(1.0, 0.5 + 0.1 * k)} for k in range(1, 8)]
    fig = plot_history(History(rows), path=tmp_path / "curves.png")
    loss_ax, accuracy_ax = fig.axes
    assert list(loss_ax.get_lines()[0].get_ydata()) == [10.0 ** -k for k in range(1, 8)]
    assert loss_ax.get_yscale() == "log" and accuracy_ax.get_xlabel() == "epoch"
    assert "100% at the end" in accuracy_ax.get_title()
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG_MAGIC)
    (one,) = plot_history(train(IdentityNet(0.3), xs=[1], steps=5)).axes  # train(): E per step
    assert one.get_xlabel() == "step" and one.get_ylabel() == "E"
    with pytest.raises(ValueError, match="at least one row"):
        plot_history(History())


def test_plot_decision_boundary_colours_regions_by_the_models_class(tmp_path):
    from micrograd_id import Value

    class Vertical:  # class 1 right of x0 = 0.25: score = x0 - 0.25
        def __call__(self, x):
            return Value(x[0]) - 0.25

    X = np.array([[-1.0, 0.0], [1.0, 0.5], [0.0, 1.0], [0.5, -1.0]])
    fig = plot_decision_boundary(Vertical(), X, [0, 1, 1, 1], resolution=11, path=tmp_path / "b.svg")
    ax = fig.axes[0]
    (line,) = ax.collections[1].get_paths()  # the contour output = 0
    assert np.allclose(line.vertices[:, 0], 0.25)
    assert "accuracy 75%" in ax.get_title()  # (0, 1) is on the class-0 side: ringed
    assert "misclassified (1)" in legend_texts(fig)
    assert (tmp_path / "b.svg").exists()


def test_plot_decision_boundary_refuses_what_it_cannot_draw():
    from micrograd_id.nn import MLP

    with pytest.raises(ValueError, match=r"shape \(n, 2\), got shape \(3,\)"):
        plot_decision_boundary(MLP(2, [1]), [1.0, 2.0, 3.0], [0, 1, 0])
    with pytest.raises(ValueError, match="one class label per point"):
        plot_decision_boundary(MLP(2, [1]), [[1.0, 2.0]], [0, 1])
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(MLP(2, [1]), [[1.0, 2.0]], [0], resolution=1)


def test_figures_show_themselves_as_png():
    fig = plot_history(History([{"epoch": 1, "loss": 0.5}]))
    assert fig._repr_png_().startswith(PNG_MAGIC)


def test_a_figure_shows_inline_in_jupyter_without_matplotlib_inline():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from micrograd_id.plots import plot_history\n"
        "from micrograd_id.train import History\n"
        "plot_history(History([{'epoch': 1, 'loss': 0.5}, {'epoch': 2, 'loss': 0.2}]))")])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    (output,) = notebook.cells[0].outputs
    assert output["output_type"] == "execute_result" and "image/png" in output["data"]
