"""Training loops with a record: ``train`` (online, one row per step) and ``fit`` (data sets, one row per epoch).

The record (``History``) is what makes gradient descent inspectable: each row
of ``train`` holds a parameter's value *before* the update and its gradient,
so ``next w == w - lr * dE/dw`` can be checked row by row. ``fit`` trains a
model on a data set in minibatches with any loss and optimiser and keeps
each epoch's mean loss (and accuracy, for classifiers).
"""

from __future__ import annotations

import csv
import gc
import html
import io
import json
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Protocol, Union

import numpy as np

from micrograd_id._checks import finite_float, whole_number
from micrograd_id._files import (
    from_spreadsheet_cell,
    from_strict_json,
    spreadsheet_cell,
    strict_json,
    write_atomic,
)
from micrograd_id._table import html_table
from micrograd_id.engine import Value
from micrograd_id.losses import (
    CLASSIFICATION_LOSSES,
    binary_cross_entropy,
    class_of,
    half_squared_error,
    hinge,
    predicted_class,
)
from micrograd_id.optim import SGD, Adam, Newton

PROGRESS_MIN_STEPS = 1000  # shorter runs finish before a bar would help

PathLike = Union[str, "os.PathLike[str]"]


class Model(Protocol):
    """What train() and fit() need of a model: call it on one sample, list its parameters (by name too)."""

    def __call__(self, x: Any) -> Any: ...

    def parameters(self) -> list[Value]: ...

    def named_parameters(self) -> list[tuple[str, Value]]: ...


class Optimizer(Protocol):
    """What fit() needs of an optimiser (SGD, Adam, AdamW)."""

    def zero_grad(self) -> None: ...

    def step(self) -> None: ...


def _cell(value):
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _csv_text(value: Any) -> str:
    """A cell's text: a list as JSON, a number in full precision (repr round-trips floats exactly)."""
    return json.dumps(value) if isinstance(value, list) else repr(value)


class History:
    """One dict per training step (``train``) or epoch (``fit``); written as CSV or JSON.

    Besides the rows it records, once, how they were made: ``parameters``,
    the names of the parameter columns in order (their gradients are the
    columns ``dE/d{name}``; read from the rows when not given), ``lr``, the
    learning rate (None when unknown, e.g. read back from a file), and
    ``momentum``.
    """

    def __init__(self, rows: Iterable[dict[str, Any]] | None = None, *, parameters: Iterable[str] = (),
                 lr: float | None = None, momentum: float = 0.0) -> None:
        self.rows = list(rows or [])
        self.parameters = list(parameters) or _gradient_columns(self.rows)
        self.lr = None if lr is None else float(lr)
        self.momentum = float(momentum)

    def __len__(self) -> int:
        return len(self.rows)

    def _repr_html_(self, shown: int = 10) -> str:
        """Jupyter: the first rows and the last as a table, under the repr."""
        if not self.rows:
            return html.escape(repr(self))
        rows = self.rows if len(self.rows) <= shown + 1 else self.rows[:shown] + self.rows[-1:]
        cells = [self.columns] + [[_cell(row.get(c)) for c in self.columns] for row in rows]
        return f"<p>{html.escape(repr(self))}</p>" + html_table(cells)

    def __repr__(self) -> str:
        if not self.rows:
            return "History(0 steps)"
        last = self.rows[-1]
        unit = "epoch" if "epoch" in last else "step"
        unit += "" if len(self.rows) == 1 else "s"
        shown = ", ".join(f"{name}={last[name]:.6g}" for name in ("E", "loss", "accuracy") if name in last)
        return f"History({len(self.rows)} {unit}, last {shown})"

    @property
    def columns(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []

    def column(self, name: str) -> list[Any]:
        """Every step's value of one column, e.g. ``hist.column('E')``."""
        return [row[name] for row in self.rows]

    def to_csv(self, path: PathLike) -> Path:
        """Write the rows as CSV (floats in full precision); atomic.

        A cell a spreadsheet would run as a formula (a label such as
        ``=HYPERLINK(...)`` in the header) is written with a leading ``'``.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer)  # lines end in \r\n (RFC 4180), so a \r or \n in a cell gets quoted
        writer.writerow([spreadsheet_cell(name) for name in self.columns])
        for row in self.rows:
            writer.writerow([spreadsheet_cell(_csv_text(row[name]) if name in row else "") for name in self.columns])
        return write_atomic(path, buffer.getvalue())

    def to_json(self, path: PathLike) -> Path:
        """Write the rows as a JSON list of objects (nan and ±inf as the strings "nan", "inf", "-inf"); atomic."""
        return write_atomic(path, strict_json(self.rows, indent=1) + "\n")

    @classmethod
    def from_csv(cls, path: PathLike) -> History:
        """Read a CSV written by ``to_csv`` back (numbers as floats, step as int)."""
        with open(path, newline="", encoding="utf-8") as f:
            header, *lines = [[from_spreadsheet_cell(cell) for cell in line] for line in csv.reader(f) if line] or [[]]
        return cls([{k: _parse_cell(k, v) for k, v in zip(header, line)} for line in lines])

    @classmethod
    def from_json(cls, path: PathLike) -> History:
        with open(path, encoding="utf-8") as f:
            return cls(from_strict_json(json.load(f)))


def _gradient_columns(rows):
    """The parameter names whose gradients the rows hold (columns dE/d{name}), in column order."""
    return [column[4:] for column in (rows[0] if rows else ()) if column.startswith("dE/d")]


def _parse_cell(column, text):
    if column in ("step", "epoch"):
        return int(text)
    return json.loads(text) if text.startswith("[") else float(text)


# ----- the training loop that train() and fit() share ------------------------------------------

@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a training loop, as it was before afterwards (even on error).

    Every step allocates a graph of thousands of Values, and allocations
    trigger the collector's passes, which walk the heap looking for cycles.
    micrograd_id's graphs have none (a rule is handed its output's gradient,
    it never holds the output), so reference counting frees each graph the
    moment the step drops it and those passes find nothing. Pausing them
    made interpreted training 1.3-3.7x faster (fit of a 2-16-16-1 MLP on 100
    samples: 1.8x; 3x with torch imported, whose objects each pass walks too).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _descend(history: History, rounds: Iterable[tuple[int, Iterable[Any]]], optimizer: Optimizer,
             forward_backward: Callable[[Any], None], row_of: Callable[[int], dict[str, Any]], unit: str,
             lr: float | None, bar: Any) -> History:
    """The loop of train() and fit(): for each batch zero the gradients, forward and backward, then step.

    rounds: (number, batches) pairs: a step of train() has one batch, an
    epoch of fit() its minibatches. ``forward_backward(batch)`` fills the
    gradients and notes what the row needs before the parameters move;
    ``row_of(number)`` is the round's row once its batches are done.
    """
    try:
        with _collector_paused():
            for number, batches in rounds:
                for batch in batches:
                    optimizer.zero_grad()
                    try:
                        forward_backward(batch)
                    except ArithmeticError as problem:  # overflow, nan, division by zero: the run diverged
                        now = "" if lr is None else f" (now {lr:g})"
                        raise FloatingPointError(f"{unit} {number}: {problem}; try a smaller lr{now}") from problem
                    optimizer.step()
                row = row_of(number)
                history.rows.append(row)
                if bar is not None:
                    bar.set_postfix({k: row[k] for k in ("E", "loss", "accuracy") if k in row}, refresh=False)
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
    return history


# ----- train: online gradient descent on E = 1/2 (model(x) - y)**2 ------------------------------

def train(model: Model, xs: Sequence[Any], ys: Sequence[Any] | None = None, lr: float = 0.5, steps: int = 100, *,
          momentum: float = 0.0, full_batch: bool = False, progress: bool | None = None,
          compiled: bool = False) -> History:
    """Train ``model`` on E = 1/2 (model(x) - y)**2 by gradient descent; return a History.

    Online (the default): step i uses the single sample ``xs[i % len(xs)]``,
    as in the question of the identity network. ``full_batch=True``: every step averages E over
    all samples. ``ys`` defaults to ``xs`` (the identity target). ``progress``:
    a tqdm bar; by default only for long runs, on a terminal or in Jupyter.
    Raises FloatingPointError naming the step if the run diverges (E or a
    gradient overflows or turns nan). ``compiled=True``: record the step's
    graph once and replay it with ``compile_graph`` (the same numbers, several
    times faster; the model's forward must not branch on its numbers).
    """
    xs, ys = _samples(xs, ys)
    steps = whole_number(steps, "steps", low=0)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    named = model.named_parameters()
    bar = _progress_bar(progress, steps, "step", long_run=steps >= PROGRESS_MIN_STEPS)
    history = History(parameters=[name for name, _ in named], lr=optimizer.lr, momentum=optimizer.momentum)
    run = _replayed(model, xs, ys, full_batch) if compiled else _interpreted(model, xs, ys)
    noted: dict[str, Any] = {}  # the step's row, noted before the update

    def forward_backward(batch: list[int]) -> None:
        error, outputs = run(batch)
        for name, p in named:
            if not math.isfinite(p.grad):
                raise FloatingPointError(f"the gradient dE/d{name} became {p.grad}")
        if full_batch:
            noted.update(x=xs, y=ys, y_hat=outputs)
        else:
            noted.update(x=xs[batch[0]], y=ys[batch[0]], y_hat=outputs[0])
        noted["E"] = error
        for name, p in named:
            noted[name] = p.data
            noted[f"dE/d{name}"] = p.grad

    everything = list(range(len(xs)))
    rounds = ((step, [everything if full_batch else [step % len(xs)]]) for step in range(steps))
    return _descend(history, rounds, optimizer, forward_backward, lambda step: {"step": step, **noted}, "step",
                    optimizer.lr, bar)


def _batch_error(model, xs, ys, batch):
    """(E over the batch, the model's outputs): the graph one training step differentiates."""
    outputs = [_scalar_output(model(xs[i])) for i in batch]
    return _mean([half_squared_error(out, ys[i]) for out, i in zip(outputs, batch)]), outputs


def _checked(error):
    if not math.isfinite(error):
        raise FloatingPointError(f"the error E became {error}")
    return error


def _interpreted(model, xs, ys):
    """step(batch) -> (E, outputs) as numbers, the gradients added to .grad: build the graph, backward."""
    def step(batch):
        error, outputs = _batch_error(model, xs, ys, batch)
        _checked(error.data)
        error.backward()
        return error.data, [out.data for out in outputs]
    return step


def _replayed(model, xs, ys, full_batch):
    """As _interpreted, from one recorded graph: the samples (online) and parameters are its inputs."""
    from micrograd_id.compiled import compile_graph

    params = model.parameters()
    if full_batch:  # every step the same samples: constants of the graph
        error, outputs = _batch_error(model, xs, ys, range(len(xs)))
        graph, samples = compile_graph(error, params, also=outputs), lambda batch: []
    else:  # one sample a step: x and y are inputs too
        x = [Value(v, label=f"x{k}") for k, v in enumerate(xs[0])] if isinstance(xs[0], list) else \
            Value(xs[0], label="x")
        y = Value(ys[0], label="y")
        error, outputs = _batch_error(model, [x], [y], [0])
        leaves = x if isinstance(x, list) else [x]
        graph = compile_graph(error, params + leaves + [y], wrt=params, also=outputs)
        samples = lambda batch: (xs[batch[0]] if isinstance(x, list) else [xs[batch[0]]]) + [ys[batch[0]]]  # noqa: E731

    def step(batch):
        value, grads, outs = graph(*[p.data for p in params], *samples(batch))
        for p, g in zip(params, grads):
            p.grad += g
        return _checked(value), outs
    return step


def _samples(xs, ys):
    """xs and ys as lists of floats (an x may be a list of floats for a multi-input model)."""
    xs = [_sample(x, "xs") for x in _sequence(xs, "xs")]
    if not xs:
        raise ValueError("xs must hold at least one sample")
    ys = list(xs) if ys is None else [_sample(y, "ys") for y in _sequence(ys, "ys")]
    if len(ys) != len(xs):
        raise ValueError(f"xs and ys differ in length: {len(xs)} and {len(ys)}")
    if any(isinstance(y, list) for y in ys):
        raise ValueError("each y must be a single number (the models here have one output)")
    return xs, ys


def _sequence(values, what):
    if isinstance(values, (str, bytes)) or getattr(values, "ndim", 1) == 0 or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a sequence of samples, e.g. {what}=[0, 1], "
                        f"got {type(values).__name__} {values!r:.40}")
    return values


def _sample(value, what):
    if isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) > 0:  # a multi-input sample
        return [_sample(v, what) for v in value]
    return finite_float(value, f"each of {what}")


def _scalar_output(out):
    if isinstance(out, list):
        if len(out) != 1:
            raise ValueError(f"train() needs a model with one output, this one gives {len(out)}")
        return out[0]
    return out


def _mean(losses):
    """The mean of per-sample loss Values, as one Value to call backward() on."""
    return sum(losses) * (1.0 / len(losses))


def _in_jupyter():
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in shell.config


def _progress_bar(progress, total, unit, long_run):
    """A tqdm bar, or None. progress=None: only for long runs, on a terminal or in Jupyter."""
    if progress is None:
        progress = long_run and (sys.stderr.isatty() or _in_jupyter())
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm  # a widget in Jupyter, text on a terminal
        return tqdm(total=total, unit=unit)
    except ImportError:  # Jupyter without ipywidgets: the text bar still shows
        from tqdm.std import tqdm
        return tqdm(total=total, unit=unit)


# ----- fit: a model on a data set -------------------------------------------------------------

def fit(model: Model, X: Any, y: Any, loss: Callable[[Any, Any], Value] = binary_cross_entropy,
        optimizer: Optimizer | None = None, epochs: int = 100, batch_size: int | None = None, shuffle: bool = True,
        seed: int = 0, progress: bool | None = None, compiled: bool = False) -> History:
    """Train ``model`` on the rows of X with targets y; return a History with one row per epoch.

    loss: a per-sample loss ``loss(model(x), target)`` (see losses); each
        step minimises its mean over a minibatch. For ``hinge``, labels 0/1
        are taken as -1/+1 (labels -1/+1 work as they are).
    optimizer: anything with zero_grad() and step() over the model's
        parameters; default Adam(model.parameters(), lr=0.05).
    batch_size: samples per step; None uses all of them (one step per epoch).
    shuffle: visit the rows in a new random order each epoch, drawn from
        numpy's default_rng(seed), so a run repeats exactly.
    progress: a tqdm bar over the epochs; None shows one on a terminal or in Jupyter.
    compiled: record the model and loss on one sample (with the target as
        an input, or once per label for the classification losses), compile
        that graph and replay it on each minibatch as numpy arrays; the
        parameters stay in an array that the optimiser's ``update`` moves
        (SGD, Adam, AdamW), and the model's Values receive its numbers at
        each epoch's row and at the end. The same numbers as compiled=False
        up to rounding, many times faster; like any recording it assumes the
        model does not branch on its numbers.

    Row k (epoch = k, from 1) holds the mean loss over the epoch's samples,
    each computed just before the step it took part in, and for the
    classification losses (hinge, binary_cross_entropy, cross_entropy) with
    whole-number labels, the fraction of those outputs that chose the right
    class. ``accuracy(model, X, y)`` scores the final model.
    Raises FloatingPointError naming the epoch if training diverges.
    """
    rows, labels = _data_set(X, y)
    targets = [-1 if label == 0 else label for label in labels] if loss is hinge else labels
    optimizer = Adam(model.parameters(), lr=0.05) if optimizer is None else optimizer
    if isinstance(optimizer, Newton) or not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(f"fit() needs an optimiser with step() and zero_grad() (SGD, Adam, AdamW), "
                        f"got {type(optimizer).__name__}")
    _check_optimised(model, optimizer, compiled)
    epochs = whole_number(epochs, "epochs", low=0)
    size = len(rows) if batch_size is None else min(whole_number(batch_size, "batch_size", low=1), len(rows))
    scored = loss in CLASSIFICATION_LOSSES and all(float(label).is_integer() for label in labels)
    rng = np.random.default_rng(whole_number(seed, "seed", low=0))
    lr = getattr(optimizer, "lr", None)
    history = History(lr=lr, momentum=getattr(optimizer, "momentum", 0.0))
    epoch = _Epoch(len(rows))
    stepper: Optimizer
    if compiled:
        from micrograd_id.train_arrays import ArrayTraining

        classes = [class_of(label) for label in labels] if scored else None
        arrays = ArrayTraining(model, optimizer, loss, rows, targets, classes)
        stepper, run, settle = arrays, arrays.forward_backward, arrays.write_back
    else:
        stepper, run = optimizer, _interpreted_fit(model, loss, rows, targets, labels, scored)
        settle = _nothing

    def forward_backward(batch: np.ndarray) -> None:
        total, right = run(batch)
        epoch.loss += total
        epoch.right += right

    def row_of(number: int) -> dict[str, Any]:
        settle()  # compiled: the model's Values receive the trained numbers at each epoch's row
        return epoch.row(number, scored)

    def minibatches(order: np.ndarray) -> Iterator[np.ndarray]:
        # Index arrays, not lists: the compiled step takes its columns with them as they are (turning a list
        # of 1000 indices into an array took 28 us, a tenth of that step); the Values' step reads them alike.
        return (order[start:start + size] for start in range(0, len(rows), size))

    rounds = ((number, minibatches(rng.permutation(len(rows)) if shuffle else np.arange(len(rows))))
              for number in range(1, epochs + 1))
    bar = _progress_bar(progress, epochs, "epoch", long_run=True)
    try:
        return _descend(history, rounds, stepper, forward_backward, row_of, "epoch", lr, bar)
    finally:
        settle()  # and at the end, also where a diverging run stopped


def _nothing() -> None:
    pass


class _Epoch:
    """What an epoch's row sums up: the loss of every sample, and how many were classified right."""

    def __init__(self, samples: int) -> None:
        self.samples, self.loss, self.right = samples, 0.0, 0

    def row(self, number: int, scored: bool) -> dict[str, Any]:
        row: dict[str, Any] = {"epoch": number, "loss": self.loss / self.samples}
        if scored:
            row["accuracy"] = self.right / self.samples
        self.loss, self.right = 0.0, 0
        return row


def _interpreted_fit(model, loss, rows, targets, labels, scored):
    """forward_backward(batch) on Values -> (the batch's summed loss, how many it classified right)."""
    def forward_backward(batch: np.ndarray) -> tuple[float, int]:
        outputs = [model(rows[i]) for i in batch]
        losses = [loss(out, targets[i]) for out, i in zip(outputs, batch)]
        mean = _mean(losses)
        if not math.isfinite(mean.data):
            raise FloatingPointError(f"the loss became {mean.data}")
        mean.backward()
        right = sum(predicted_class(out) == class_of(labels[i]) for out, i in zip(outputs, batch)) if scored else 0
        return sum(each.data for each in losses), right
    return forward_backward


def _check_optimised(model: Model, optimizer: Any, compiled: bool) -> None:
    """Refuse an optimiser that would leave the model as it is (made for another model), or, compiled, one
    fit() cannot run on arrays."""
    held = getattr(optimizer, "params", None)
    if compiled and (held is None or not callable(getattr(optimizer, "update", None))):
        raise TypeError(f"fit(compiled=True) needs an optimiser whose update() runs on arrays (SGD, Adam, AdamW), "
                        f"got {type(optimizer).__name__}")
    if held is None:  # a user's optimiser that does not say what it moves
        return
    mine = {id(p) for p in model.parameters()}
    if not any(id(p) in mine for p in held):
        raise ValueError(f"the {type(optimizer).__name__} optimiser holds none of this model's parameters, so fit() "
                         f"would not change the model: make it from them, e.g. "
                         f"{type(optimizer).__name__}(model.parameters(), lr=...)")
    stray = [p for p in held if id(p) not in mine]
    if compiled and stray:
        raise ValueError(f"fit(compiled=True): the optimiser holds {stray[0].label or repr(stray[0])}, "
                         f"which is not one of the model's parameters")


def accuracy(model: Model, X: Any, y: Any) -> float:
    """The fraction of rows of X that ``model`` puts in class y (see predicted_class)."""
    rows, labels = _data_set(X, y)
    return sum(predicted_class(model(x)) == class_of(label) for x, label in zip(rows, labels)) / len(rows)


def _data_set(X, y):
    """X as a list of rows of floats and y as a list of numbers (ints where whole), checked."""
    X, y = _real_array(X, "X"), _real_array(y, "y")
    if X.ndim == 1:
        X = X[:, None]  # one input per sample
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must be an (n, inputs) array with n >= 1, got shape {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"y must hold one target per row of X: X has {len(X)} rows, y has shape {y.shape}")
    for name, array in (("X", X), ("y", y)):
        bad = np.argwhere(~np.isfinite(array)).tolist()
        if bad:
            raise ValueError(f"{name}{bad[0]} is {array[tuple(bad[0])]}: the data must be finite")
    labels = [int(v) if v.is_integer() else v for v in y.tolist()]
    return X.tolist(), labels


def _real_array(data: Any, name: str) -> np.ndarray:
    """data as a float array; TypeError for anything but real numbers (complex ones included, not cast)."""
    try:
        array = np.asarray(data)
        if array.dtype.kind != "c":
            return array.astype(float)
    except (TypeError, ValueError) as problem:
        raise TypeError(f"X and y must hold numbers: {problem}") from None
    raise TypeError(f"{name} holds complex numbers: fit() needs real ones (take .real or abs() first if you mean to)")
