"""The landscape plot: the curves are the closed forms, the arrows point downhill, files are whole."""

import builtins
import math
import os

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from micrograd_id.identity import IdentityNet, error  # noqa: E402
from micrograd_id.landscape import landscape_figure, plot_landscape  # noqa: E402
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
    fig = landscape_figure(seed_history)
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
    fig = landscape_figure(seed_history, max_arrows=100)
    drawn = arrows(fig)
    moving = [r for r in seed_history.rows[:-1] if r["dE/dw"] != 0.0]
    assert len(drawn) == len(moving) > 0
    for (start, end), row in zip(drawn, moving):
        assert start[0] == row["w"]
        assert math.copysign(1.0, end[0] - start[0]) == -math.copysign(1.0, row["dE/dw"])
        assert end[1] < start[1]  # downhill on the step's own curve


def test_max_arrows_limits_the_arrows(seed_history):
    assert len(arrows(landscape_figure(seed_history, max_arrows=5))) == 5
    assert arrows(landscape_figure(seed_history, max_arrows=0)) == []


def test_writes_a_png_atomically(tmp_path, seed_history):
    path = plot_landscape(tmp_path / "landscape.png", seed_history)
    assert path == tmp_path / "landscape.png"
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert os.listdir(tmp_path) == ["landscape.png"]  # no temporary file left behind


def test_svg_and_pdf_by_suffix(tmp_path, seed_history):
    assert b"<svg" in plot_landscape(tmp_path / "l.svg", seed_history).read_bytes()[:2000]
    assert plot_landscape(tmp_path / "l.pdf").read_bytes().startswith(b"%PDF")


def test_bias_history_gives_a_contour_over_w_and_b(tmp_path, bias_history):
    fig = landscape_figure(bias_history)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "weight w" and ax.get_ylabel() == "bias b"
    assert len(fig.axes) == 2  # the plot and its colour bar
    for start, end in arrows(fig):
        k = next(i for i, r in enumerate(bias_history.rows) if (r["w"], r["b"]) == start)
        row = bias_history.rows[k]
        assert end == (bias_history.rows[k + 1]["w"], bias_history.rows[k + 1]["b"])
        assert math.copysign(1.0, end[1] - start[1]) == -math.copysign(1.0, row["dE/db"])
    assert plot_landscape(tmp_path / "c.png", bias_history).read_bytes().startswith(PNG_MAGIC)


def test_full_batch_history_runs_along_the_mean_curve():
    history = train(IdentityNet(-1.0), xs=[0, 0.5, 1], lr=3.0, steps=10, full_batch=True)
    fig = landscape_figure(history, max_arrows=100)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "E(w) for x = 0.5 (y = 0.5)" in labels and "mean of the 3 curves" in labels
    for (start, end), row, after in zip(arrows(fig), history.rows, history.rows[1:]):
        assert start == (row["w"], row["E"])
        assert end[0] == after["w"] and end[1] == pytest.approx(after["E"], rel=1e-12)


def test_landscape_alone_and_contour_alone():
    assert len(landscape_figure().axes) == 1
    assert len(landscape_figure(bias=0.0).axes) == 2


def test_history_from_csv_plots_the_same(tmp_path, seed_history):
    seed_history.to_csv(tmp_path / "h.csv")
    again = History.from_csv(tmp_path / "h.csv")
    assert [a for a in arrows(landscape_figure(again))] == arrows(landscape_figure(seed_history))


@pytest.mark.parametrize("name", ["l.gif", "l", "l.dot"])
def test_unknown_suffix_is_refused_before_drawing(tmp_path, name):
    with pytest.raises(ValueError, match="suffix"):
        plot_landscape(tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot_landscape(tmp_path / "nope" / "l.png")


def test_a_failed_write_keeps_the_old_file(tmp_path, seed_history, monkeypatch):
    path = tmp_path / "l.png"
    path.write_bytes(b"old")
    import matplotlib.figure

    def broken(*args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    with pytest.raises(RuntimeError):
        plot_landscape(path, seed_history)
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
        landscape_figure(history, **options)


def test_bias_without_a_b_column_is_refused(seed_history):
    with pytest.raises(ValueError, match="no b column"):
        landscape_figure(seed_history, bias=0.0)


def test_without_matplotlib_the_error_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'micrograd-id\[plot\]'"):
        landscape_figure()
