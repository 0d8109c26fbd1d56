"""fit(): one row per epoch, minibatches as asked, accuracy for classifiers, the moons benchmark claim."""

import json
import math

import numpy as np
import pytest

from micrograd_id import Value
from micrograd_id.data import make_blobs, make_moons
from micrograd_id.losses import binary_cross_entropy, cross_entropy, hinge, mse, predicted_class
from micrograd_id.nn import MLP, Module
from micrograd_id.optim import SGD, Adam, Newton
from micrograd_id.train import History, accuracy, fit


class Line(Module):
    """score = a*x + b, counting the samples it sees."""

    def __init__(self):
        self.a, self.b, self.seen = Value(0.0, label="a"), Value(0.0, label="b"), []

    def __call__(self, x):
        self.seen.append(x)
        return self.a * x[0] + self.b

    def named_parameters(self):
        return [("a", self.a), ("b", self.b)]


def test_one_row_per_epoch_with_loss_and_accuracy():
    X, y = make_moons(20, seed=1)
    model = MLP(2, [4, 1], seed=0)
    hist = fit(model, X, y, epochs=3, progress=False)
    assert isinstance(hist, History) and hist.column("epoch") == [1, 2, 3]
    assert hist.columns == ["epoch", "loss", "accuracy"]
    assert all(0.0 <= a <= 1.0 for a in hist.column("accuracy"))
    assert "3 epochs" in repr(hist) and "accuracy=" in repr(hist)


def test_full_batch_loss_is_the_mean_of_the_per_sample_losses_before_the_step():
    X, y = np.array([[1.0], [-2.0], [0.5]]), np.array([1, 0, 1])
    model = Line()
    model.a.data = 0.3
    expected = sum(binary_cross_entropy(Value(0.3 * x[0]), t).data for x, t in zip(X, y)) / 3
    hist = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=1, shuffle=False, progress=False)
    assert hist.rows[0]["loss"] == pytest.approx(expected, rel=1e-15)
    # the one full-batch step used the mean gradient: d/da mean = mean((sigmoid(z) - y) * x)
    sig = 1 / (1 + np.exp(-0.3 * X[:, 0]))
    assert model.a.data == pytest.approx(0.3 - 0.1 * np.mean((sig - y) * X[:, 0]), rel=1e-14)


def test_minibatches_visit_every_row_once_per_epoch_in_a_seeded_order():
    X, y = np.arange(10.0)[:, None], np.arange(10) % 2
    runs = []
    for _ in range(2):
        model = Line()
        fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.01), epochs=2, batch_size=3, seed=5,
            progress=False)
        runs.append([x[0] for x in model.seen])
    assert runs[0] == runs[1]
    assert sorted(runs[0][:10]) == list(range(10)) and sorted(runs[0][10:]) == list(range(10))
    assert runs[0][:10] != runs[0][10:] and runs[0][:10] != list(range(10))
    model = Line()
    fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.01), epochs=1, shuffle=False, progress=False)
    assert [x[0] for x in model.seen] == list(range(10))


def test_hinge_takes_labels_0_1_as_minus_1_plus_1():
    X, y = np.array([[2.0], [-2.0]]), np.array([1, 0])
    model = Line()
    model.a.data = 1.0  # margin 2 on both: zero loss, both right
    hist = fit(model, X, y, loss=hinge, optimizer=SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    assert hist.rows[0] == {"epoch": 1, "loss": 0.0, "accuracy": 1.0}
    untrained = Line()  # a = b = 0: score 0 everywhere, class 0, loss 1 on both samples
    same = fit(untrained, X, 2 * y - 1, loss=hinge, optimizer=SGD(untrained.parameters(), lr=0.1), epochs=1,
               progress=False)
    assert same.rows[0] == {"epoch": 1, "loss": 1.0, "accuracy": 0.5}


def test_regression_losses_report_no_accuracy_and_cross_entropy_does():
    X = np.array([[0.0], [1.0]])
    hist = fit(Line(), X, [0.5, 1.5], loss=mse, epochs=2, progress=False)
    assert "accuracy" not in hist.columns
    X, y = make_blobs(30, noise=0.3, classes=3, seed=2)
    model = MLP(2, [8, 3], seed=1)
    hist = fit(model, X, y, loss=cross_entropy, epochs=40, progress=False)
    assert hist.rows[-1]["accuracy"] == 1.0 and accuracy(model, X, y) == 1.0


def test_predicted_class():
    assert predicted_class(Value(0.1)) == 1 and predicted_class(Value(0.0)) == 0
    assert predicted_class([Value(-1.0), Value(3.0), Value(2.0)]) == 1


def test_history_of_fit_round_trips_through_csv_and_json(tmp_path):
    X, y = make_moons(10, seed=3)
    hist = fit(MLP(2, [3, 1]), X, y, epochs=2, progress=False)
    assert History.from_csv(hist.to_csv(tmp_path / "h.csv")).rows == hist.rows
    assert json.loads(hist.to_json(tmp_path / "h.json").read_text()) == hist.rows


def test_progress_bar_is_tqdm_on_stderr(capsys):
    X, y = make_moons(6, seed=0)
    fit(MLP(2, [2, 1]), X, y, epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "loss=" in err
    fit(MLP(2, [2, 1]), X, y, epochs=3)  # not a terminal, not Jupyter: quiet
    assert capsys.readouterr().err == ""


def test_two_moons_reach_97_percent_with_adam():
    """The benchmark's claim, with a fixed seed: a 2-16-16-1 MLP, Adam lr 0.05, full batch."""
    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    hist = fit(model, X, y, loss=binary_cross_entropy, optimizer=Adam(model.parameters(), lr=0.05), epochs=30,
               progress=False)
    assert hist.rows[-1]["accuracy"] >= 0.97
    assert hist.rows[-1]["loss"] < hist.rows[0]["loss"] / 3


@pytest.mark.parametrize("call, error, message", [
    (lambda: fit(Line(), [[1.0]], [1, 0]), ValueError, "one target per row of X: X has 1 rows"),
    (lambda: fit(Line(), [[1.0], [math.nan]], [1, 0]), ValueError, r"X\[1, 0\] is nan"),
    (lambda: fit(Line(), [["a"]], [1]), TypeError, "X and y must hold numbers"),
    (lambda: fit(Line(), np.zeros((0, 2)), []), ValueError, "n >= 1"),
    (lambda: fit(Line(), [[1.0]], [1], epochs=-1), ValueError, "epochs must be a whole number >= 0, got -1"),
    (lambda: fit(Line(), [[1.0]], [1], batch_size=0), ValueError, "batch_size must be a whole number >= 1"),
    (lambda: fit(Line(), [[1.0]], [1], seed=1.5), ValueError, "seed must be a whole number"),
    (lambda: fit(Line(), [[1.0]], [2]), ValueError, "y in \\[0, 1\\]"),
    (lambda: fit(Line(), [[1.0]], [1], optimizer=Newton([Value(1.0)])), TypeError, "got Newton"),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_divergence_names_the_epoch():
    model = Line()
    model.a.data = 1e300
    with pytest.raises(FloatingPointError, match="epoch 1"):
        fit(model, [[1e10]], [1.0], loss=mse, optimizer=SGD(model.parameters(), lr=0.1), progress=False)


def test_the_history_of_fit_records_the_optimisers_lr_and_momentum():
    X, y = make_moons(6, seed=0)
    model = MLP(2, [2, 1])
    hist = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.2, momentum=0.9), epochs=1, progress=False)
    assert (hist.lr, hist.momentum, hist.parameters) == (0.2, 0.9, [])
    assert fit(model, X, y, optimizer=Adam(model.parameters(), lr=0.01), epochs=1, progress=False).lr == 0.01
