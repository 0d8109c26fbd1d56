"""fit(): one row per epoch, minibatches as asked, accuracy for classifiers, the moons benchmark claim."""

import json
import math

import numpy as np
import pytest

from micrograd_id import Value
from micrograd_id.data import make_blobs, make_moons
from micrograd_id.losses import binary_cross_entropy, cross_entropy, hinge, mse, predicted_class
from micrograd_id.nn import MLP, Module
from micrograd_id.optim import SGD, Adam, AdamW, Newton
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


OPTIMISERS = {
    "SGD with momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "Adam": lambda ps: Adam(ps, lr=0.05, weight_decay=0.01),
    "AdamW": lambda ps: AdamW(ps, lr=0.05, weight_decay=0.1),
}


def _trained(make_model, X, y, compiled, **options):
    model = make_model()
    hist = fit(model, X, y, epochs=3, progress=False, compiled=compiled, **options)
    return [p.data for p in model.parameters()], hist


@pytest.mark.parametrize("optimiser", OPTIMISERS)
@pytest.mark.parametrize("loss, batch_size", [(binary_cross_entropy, 8), (hinge, None)])
def test_compiled_fit_ends_where_fit_on_values_ends(optimiser, loss, batch_size):
    X, y = make_moons(30, noise=0.1, seed=0)
    make = lambda: MLP(2, [8, 8, 1], seed=0)  # noqa: E731
    runs = {}
    for compiled in (False, True):
        model = make()
        optimizer = OPTIMISERS[optimiser](model.parameters())
        hist = fit(model, X, y, loss=loss, optimizer=optimizer, epochs=3, batch_size=batch_size, progress=False,
                   compiled=compiled)
        runs[compiled] = [p.data for p in model.parameters()], hist
    (values, by_values), (arrays, by_arrays) = runs[False], runs[True]
    assert values != [p.data for p in make().parameters()]  # it trained
    assert max(abs(a - b) for a, b in zip(values, arrays)) <= 1e-9
    assert [row["accuracy"] for row in by_values.rows] == [row["accuracy"] for row in by_arrays.rows]
    assert [row["loss"] for row in by_values.rows] == pytest.approx([row["loss"] for row in by_arrays.rows],
                                                                     rel=1e-12)


def test_compiled_fit_handles_class_indices_and_regression_targets():
    X, y = make_blobs(30, noise=0.3, classes=3, seed=2)
    values, by_values = _trained(lambda: MLP(2, [8, 3], seed=1), X, y, False, loss=cross_entropy, batch_size=7)
    arrays, by_arrays = _trained(lambda: MLP(2, [8, 3], seed=1), X, y, True, loss=cross_entropy, batch_size=7)
    assert max(abs(a - b) for a, b in zip(values, arrays)) <= 1e-9
    assert by_values.column("accuracy") == by_arrays.column("accuracy")
    X = np.linspace(-1.0, 1.0, 40)[:, None]  # 40 different targets: the target is an input of one graph
    y = np.sin(3.0 * X[:, 0])
    make = lambda: MLP(1, [8, 1], seed=1, activation="tanh")  # noqa: E731
    values, _ = _trained(make, X, y, False, loss=mse, batch_size=7)
    arrays, _ = _trained(make, X, y, True, loss=mse, batch_size=7)
    assert max(abs(a - b) for a, b in zip(values, arrays)) <= 1e-9


def test_compiled_fit_puts_the_numbers_into_the_values_at_each_epochs_row(monkeypatch):
    import micrograd_id.train as train_module

    class Bar:  # stands in for the progress bar, which is updated just after each epoch's row
        def __init__(self, model):
            self.model, self.seen = model, []

        def set_postfix(self, row, refresh):
            pass

        def update(self):
            self.seen.append([p.data for p in self.model.parameters()])

        def close(self):
            pass

    X, y = make_moons(12, seed=4)
    seen = {}
    for compiled in (False, True):
        model = MLP(2, [3, 1], seed=0)
        bar = Bar(model)
        monkeypatch.setattr(train_module, "_progress_bar", lambda *args, **kwargs: bar)
        fit(model, X, y, epochs=3, batch_size=5, compiled=compiled)
        seen[compiled] = bar.seen
    assert len(seen[True]) == 3 and seen[True][0] != seen[True][1]
    for by_values, by_arrays in zip(seen[False], seen[True]):
        assert max(abs(a - b) for a, b in zip(by_values, by_arrays)) <= 1e-12


def test_compiled_fit_refuses_an_optimiser_it_cannot_run_on_arrays():
    class Plain:
        def zero_grad(self):
            pass

        def step(self):
            pass

    model = MLP(2, [2, 1])
    with pytest.raises(TypeError, match=r"fit\(compiled=True\) needs an optimiser whose update\(\) runs on arrays"):
        fit(model, [[0.0, 1.0]], [1], optimizer=Plain(), compiled=True)
    stray = Value(1.0, label="stray")
    with pytest.raises(ValueError, match="the optimiser holds stray, which is not one of the model's parameters"):
        fit(model, [[0.0, 1.0]], [1], optimizer=SGD(model.parameters() + [stray]), compiled=True)


def test_an_optimiser_over_another_models_parameters_is_refused():
    model, other = MLP(2, [2, 1]), MLP(2, [2, 1])
    for compiled in (False, True):
        with pytest.raises(ValueError, match=r"the Adam optimiser holds none of this model's parameters, so fit\(\) "
                                             r"would not change the model"):
            fit(model, [[0.0, 1.0]], [1], optimizer=Adam(other.parameters()), compiled=compiled)


@pytest.mark.parametrize("X, y, name", [
    ([[1.0 + 2.0j]], [1], "X"),
    (np.array([[1.0]]), np.array([1 + 0j]), "y"),
])
def test_complex_data_is_refused_not_cast(X, y, name):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way
        with pytest.raises(TypeError, match=f"{name} holds complex numbers: fit\\(\\) needs real ones"):
            fit(Line(), X, y, progress=False)


@pytest.mark.parametrize("compiled", [False, True])
def test_the_collector_is_paused_while_training_and_restored_after(compiled):
    import gc

    class Spy(Line):
        collecting: list = []

        def __call__(self, x):
            self.collecting.append(gc.isenabled())
            return super().__call__(x)

    X, y = np.array([[1.0], [2.0]]), np.array([1, 0])
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            model = Spy()
            model.collecting = []
            fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=2, progress=False, compiled=compiled)
            assert gc.isenabled() is enabled
            if not compiled:  # compiled=True calls the model once, to record it, before the loop
                assert model.collecting and not any(model.collecting)
            with pytest.raises(FloatingPointError, match="epoch 1"):
                model.a.data = 1e300
                fit(model, [[1e10]], [1.0], loss=mse, optimizer=SGD(model.parameters(), lr=0.1), progress=False)
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
