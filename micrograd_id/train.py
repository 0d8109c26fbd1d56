"""Training loop with a full record: every step's input, output, error, parameters and gradients.

The record (``History``) is what makes gradient descent inspectable: each row
holds a parameter's value *before* the update and its gradient, so
``next w == w - lr * dE/dw`` can be checked row by row.
"""

import csv
import io
import json
import math
import sys

from micrograd_id._checks import finite_float
from micrograd_id._files import write_atomic
from micrograd_id.engine import Value
from micrograd_id.losses import half_squared_error
from micrograd_id.optim import SGD

PROGRESS_MIN_STEPS = 1000  # shorter runs finish before a bar would help


class History:
    """One dict per training step; written as CSV or JSON."""

    def __init__(self, rows=None):
        self.rows = list(rows or [])

    def __len__(self):
        return len(self.rows)

    def __repr__(self):
        last = f", last E={self.rows[-1]['E']:.6g}" if self.rows else ""
        return f"History({len(self.rows)} steps{last})"

    @property
    def columns(self):
        return list(self.rows[0]) if self.rows else []

    def column(self, name):
        """Every step's value of one column, e.g. ``hist.column('E')``."""
        return [row[name] for row in self.rows]

    def to_csv(self, path):
        """Write the rows as CSV (floats in full precision); atomic."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, list) else repr(v) for k, v in row.items()})
        return write_atomic(path, buffer.getvalue())

    def to_json(self, path):
        """Write the rows as a JSON list of objects; atomic."""
        return write_atomic(path, json.dumps(self.rows, indent=1) + "\n")

    @classmethod
    def from_csv(cls, path):
        """Read a CSV written by ``to_csv`` back (numbers as floats, step as int)."""
        with open(path, newline="", encoding="utf-8") as f:
            return cls([{k: _parse_cell(k, v) for k, v in row.items()} for row in csv.DictReader(f)])

    @classmethod
    def from_json(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))


def _parse_cell(column, text):
    if column == "step":
        return int(text)
    return json.loads(text) if text.startswith("[") else float(text)


def train(model, xs, ys=None, lr=0.5, steps=100, *, momentum=0.0, full_batch=False, progress=None,
          compiled=False):
    """Train ``model`` on E = 1/2 (model(x) - y)**2 by gradient descent; return a History.

    Online (the default): step i uses the single sample ``xs[i % len(xs)]``,
    as in the question of the identity network. ``full_batch=True``: every step averages E over
    all samples. ``ys`` defaults to ``xs`` (the identity target). ``progress``:
    draw a bar on stderr; by default only for long runs on a terminal.
    Raises FloatingPointError naming the step if the run diverges (E or a
    gradient overflows or turns nan). ``compiled=True``: record the step's
    graph once and replay it with ``compile_graph`` (the same numbers, several
    times faster; the model's forward must not branch on its numbers).
    """
    xs, ys = _samples(xs, ys)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    named = model.named_parameters()
    if progress is None:
        progress = steps >= PROGRESS_MIN_STEPS and sys.stderr.isatty()
    history = History()
    run = _replayed(model, xs, ys, full_batch) if compiled else _interpreted(model, xs, ys)
    for step in range(steps):
        batch = range(len(xs)) if full_batch else [step % len(xs)]
        optimizer.zero_grad()
        try:
            error, outputs = run(batch)
            for name, p in named:
                if not math.isfinite(p.grad):
                    raise FloatingPointError(f"the gradient dE/d{name} became {p.grad}")
        except ArithmeticError as problem:  # overflow, nan, division by zero: the run diverged
            raise FloatingPointError(f"step {step}: {problem}; try a smaller lr (now {lr})") from problem
        row = {"step": step}
        if full_batch:
            row.update(x=xs, y=ys, y_hat=outputs)
        else:
            row.update(x=xs[batch[0]], y=ys[batch[0]], y_hat=outputs[0])
        row["E"] = error
        for name, p in named:
            row[name] = p.data
            row[f"dE/d{name}"] = p.grad
        history.rows.append(row)
        optimizer.step()
        if progress:
            _draw_progress(step + 1, steps, error)
    if progress:
        print(file=sys.stderr)
    return history


def _batch_error(model, xs, ys, batch):
    """(E over the batch, the model's outputs): the graph one training step differentiates."""
    outputs = [_scalar_output(model(xs[i])) for i in batch]
    return sum(half_squared_error(out, ys[i]) for out, i in zip(outputs, batch)) * (1.0 / len(batch)), outputs


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
    xs = [_sample(x, "xs") for x in xs]
    if not xs:
        raise ValueError("xs must hold at least one sample")
    ys = list(xs) if ys is None else [_sample(y, "ys") for y in ys]
    if len(ys) != len(xs):
        raise ValueError(f"xs and ys differ in length: {len(xs)} and {len(ys)}")
    if any(isinstance(y, list) for y in ys):
        raise ValueError("each y must be a single number (the models here have one output)")
    return xs, ys


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


def _draw_progress(done, total, error):
    width = 30
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  E={error:.3e}")
    sys.stderr.flush()
