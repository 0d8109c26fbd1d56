"""train() and History: every row obeys the update rule; files round-trip."""

import csv
import io
import json
import math

import pytest

from micrograd_id.identity import IdentityNet, hand_gradient, hand_gradient_bias
from micrograd_id.losses import half_squared_error
from micrograd_id.nn import MLP
from micrograd_id.train import History, train


def test_online_training_uses_xs_in_turn_and_records_each_step():
    hist = train(IdentityNet(w=0.3), xs=[0, 1], lr=0.5, steps=6)
    assert hist.column("step") == list(range(6))
    assert hist.column("x") == [0.0, 1.0] * 3
    assert hist.column("y") == hist.column("x")  # ys default to xs: the identity target
    assert hist.columns == ["step", "x", "y", "y_hat", "E", "w", "dE/dw"]


@pytest.mark.parametrize("bias", [None, 0.0])
def test_every_row_obeys_w_new_equals_w_old_minus_lr_times_the_gradient(bias):
    lr = 0.7
    net = IdentityNet(w=-1.5, bias=bias)
    hist = train(net, xs=[0, 1, 1], lr=lr, steps=30)
    names = ["w"] + (["b"] if bias is not None else [])
    for row, following in zip(hist.rows, hist.rows[1:] + [None]):
        assert row["dE/dw"] == pytest.approx(hand_gradient(row["w"], row["x"], b=row.get("b", 0.0)), rel=1e-12, abs=1e-15)
        if bias is not None:
            assert row["dE/db"] == pytest.approx(hand_gradient_bias(row["w"], row["x"], b=row["b"]), rel=1e-12)
        assert row["E"] == half_squared_error(IdentityNet(row["w"], row.get("b"))(row["x"]), row["y"]).data
        for name in names:
            after = following[name] if following else getattr(net, name).data
            assert after == row[name] - lr * row[f"dE/d{name}"]


def test_full_batch_averages_the_error_over_all_samples():
    hist = train(IdentityNet(w=0.3, bias=0.0), xs=[0, 1], lr=1.0, steps=3, full_batch=True)
    row = hist.rows[0]
    assert row["x"] == [0.0, 1.0] and len(row["y_hat"]) == 2
    assert row["E"] == pytest.approx((0.125 + 0.5 * (row["y_hat"][1] - 1.0) ** 2) / 2, rel=1e-15)
    mean_grad = (hand_gradient(0.3, 0.0) + hand_gradient(0.3, 1.0)) / 2
    assert row["dE/dw"] == pytest.approx(mean_grad, rel=1e-12, abs=1e-15)


def test_an_mlp_trains_on_given_targets():
    net = MLP(2, [4, 1], seed=0, activation="tanh")
    xs, ys = [(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0]
    hist = train(net, xs, ys, lr=0.1, steps=1500, full_batch=True)
    assert hist.rows[-1]["E"] < 0.1 * hist.rows[0]["E"]
    assert hist.rows[0]["x"] == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


def test_momentum_is_passed_to_sgd():
    plain = train(IdentityNet(w=0.3), xs=[1], lr=0.1, steps=3)
    heavy = train(IdentityNet(w=0.3), xs=[1], lr=0.1, steps=3, momentum=0.9)
    assert plain.rows[1]["w"] == heavy.rows[1]["w"]  # no velocity yet after one step
    assert plain.rows[2]["w"] < heavy.rows[2]["w"]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
@pytest.mark.parametrize("full_batch", [False, True])
def test_history_files_round_trip_exactly(tmp_path, suffix, full_batch):
    hist = train(IdentityNet(w=0.1 + 0.2, bias=0.0), xs=[0, 1], lr=0.5, steps=7, full_batch=full_batch)
    path = tmp_path / f"history{suffix}"
    written = hist.to_csv(path) if suffix == ".csv" else hist.to_json(path)
    assert written == path
    back = History.from_csv(path) if suffix == ".csv" else History.from_json(path)
    assert back.rows == hist.rows


def test_history_csv_is_readable_by_any_csv_reader(tmp_path):
    hist = train(IdentityNet(w=0.3), xs=[0, 1], steps=4)
    rows = list(csv.DictReader(io.StringIO(hist.to_csv(tmp_path / "h.csv").read_text())))
    assert [float(r["dE/dw"]) for r in rows] == hist.column("dE/dw")
    assert json.loads((hist.to_json(tmp_path / "h.json")).read_text())[1]["x"] == 1.0


def test_zero_steps_give_an_empty_history(tmp_path):
    hist = train(IdentityNet(w=0.3), xs=[1], steps=0)
    assert len(hist) == 0 and hist.columns == []
    assert "0 steps" in repr(hist)


def test_a_non_finite_error_stops_training_and_names_the_step():
    net = MLP(1, [8, 1], seed=0, activation="relu")
    with pytest.raises(FloatingPointError, match=r"step \d+: .*(overflow|inf|nan).*try a smaller lr"):
        train(net, xs=[3.0], ys=[1.0], lr=1e3, steps=100)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(xs=[]), ValueError, "at least one sample"),
    (dict(xs=[0, "1"]), TypeError, "each of xs must be a real number, got str"),
    (dict(xs=[0, math.nan]), ValueError, "each of xs must be finite"),
    (dict(xs=[0, 1], ys=[0]), ValueError, "differ in length: 2 and 1"),
    (dict(xs=[0, 1], steps=-1), ValueError, "steps must be a whole number >= 0"),
    (dict(xs=[0, 1], steps=2.5), ValueError, "steps must be a whole number >= 0"),
    (dict(xs=[0, 1], lr=0), ValueError, "lr must be > 0, got 0"),
    (dict(xs=1.0), TypeError, r"xs must be a sequence of samples, e\.g\. xs=\[0, 1\], got float 1\.0"),
    (dict(xs="01"), TypeError, "xs must be a sequence of samples, e.g. xs=.*got str '01'"),
    (dict(xs=[0, 1], ys=0.5), TypeError, "ys must be a sequence of samples, e.g. ys=.*got float 0.5"),
])
def test_bad_arguments_are_refused_before_any_step(kwargs, error, message):
    net = IdentityNet(w=0.3)
    with pytest.raises(error, match=message):
        train(net, **kwargs)
    assert net.w.data == 0.3


def test_a_model_with_several_outputs_is_refused():
    with pytest.raises(ValueError, match="one output"):
        train(MLP(1, [2]), xs=[1.0], steps=1)


def test_progress_bar_goes_to_stderr_only_when_asked(capsys):
    train(IdentityNet(w=0.3), xs=[0, 1], steps=20, progress=True)
    err = capsys.readouterr().err
    assert "20/20" in err and "E=" in err
    train(IdentityNet(w=0.3), xs=[0, 1], steps=2000)  # not a terminal: no bar
    assert capsys.readouterr().err == ""


def test_numpy_samples_train_like_plain_floats():
    np = pytest.importorskip("numpy")
    plain = train(IdentityNet(w=0.3), xs=[0, 1], steps=4).rows
    from_numpy = train(IdentityNet(w=np.float32(0.3)), xs=np.array([0, 1]), steps=4).rows
    assert [row["dE/dw"] for row in from_numpy] == pytest.approx([row["dE/dw"] for row in plain], rel=1e-7)


def test_a_non_finite_gradient_stops_training_before_the_update():
    net = IdentityNet(w=1e-300)
    # z = w*x = 1 and E = 1/2 (y_hat - 1e10)**2 are finite, but dE/dw = (y_hat - y) * s(1-s) * x overflows.
    with pytest.raises(FloatingPointError, match=r"step 0: the gradient dE/dw became -inf"):
        train(net, xs=[1e300], ys=[1e10], lr=0.1, steps=3)
    assert net.w.data == 1e-300


def test_a_history_shows_as_a_table_in_jupyter():
    from micrograd_id.identity import IdentityNet

    history = train(IdentityNet(w=0.3), xs=[0.0, 1.0], lr=2.0, steps=30, progress=False)
    html = history._repr_html_()
    assert html.startswith("<p>History(30 steps") and html.count("<tr>") == 1 + 11
    assert "dE/dw" in html and f"{history.rows[-1]['w']:.6g}" in html


@pytest.mark.parametrize("bias", [None, 0.0])
def test_a_history_records_its_parameters_lr_and_momentum_once(tmp_path, bias):
    hist = train(IdentityNet(w=0.3, bias=bias), xs=[0, 1], lr=2, steps=3, momentum=0.5)
    names = ["w"] if bias is None else ["w", "b"]
    assert (hist.parameters, hist.lr, hist.momentum) == (names, 2.0, 0.5)
    assert all(f"dE/d{name}" in row and name in row for row in hist.rows for name in hist.parameters)
    back = History.from_json(hist.to_json(tmp_path / "h.json"))
    assert (back.parameters, back.lr, back.momentum) == (names, None, 0.0)  # the file keeps only the rows
    assert History.from_csv(hist.to_csv(tmp_path / "h.csv")).parameters == names


def test_a_history_made_by_hand_takes_its_parameters_as_given():
    hist = History([{"step": 0, "w": 1.0, "dE/dw": 0.5}], parameters=["w"], lr=0.1)
    assert (hist.parameters, hist.lr, hist.momentum) == (["w"], 0.1, 0.0)
    assert History().parameters == [] and History().lr is None


def test_the_collector_is_paused_while_training_and_restored_after_an_error():
    import gc

    seen = []

    class Spy(IdentityNet):
        def __call__(self, x):
            seen.append(gc.isenabled())
            return super().__call__(x)

    assert gc.isenabled()
    train(Spy(w=0.3), xs=[0, 1], steps=3)
    assert gc.isenabled() and seen == [False] * 3
    with pytest.raises(FloatingPointError, match="step 0"):
        train(Spy(w=1e-300), xs=[1e300], ys=[1e10], lr=0.1, steps=3)
    assert gc.isenabled()
