"""fit(compiled=True): the parameters as one numpy array, moved by compiled graphs and the optimiser's update().

Training on Values builds and differentiates a graph per minibatch. Here the
graph of one sample's loss is recorded once and compiled (``compile_graph``),
then replayed on the minibatch's columns of X at once: one value per sample,
each gradient summed over the batch. The parameters never go back to Values
between steps: they stay in one array that the optimiser's own ``update``
moves (the arithmetic its ``step`` does on Values), and the model's Values
receive the numbers when asked (``write_back``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from micrograd_id.compiled import compile_graph
from micrograd_id.engine import Value

__all__ = ["ArrayTraining", "predicted_classes"]


class ArrayTraining:
    """A model's parameters as an array, with zero_grad() and step() for fit()'s loop.

    The graph of ``loss(model(x), target)`` is recorded on the first row of
    X, with the parameters and the sample's inputs as its inputs. A target
    is baked in as a constant (so a class index may shape the graph, as in
    cross_entropy), one graph per target value, when there are at most
    ``TARGET_GRAPHS`` of them; otherwise it is an input too, and the loss
    must take it as a Value (mse and half_squared_error do).
    """

    TARGET_GRAPHS = 16

    def __init__(self, model: Any, optimizer: Any, loss: Callable[[Any, Any], Value], rows: list[list[float]],
                 targets: list[float], classes: list[int] | None) -> None:
        self.params: list[Value] = model.parameters()
        self.optimizer = optimizer
        self.data = np.array([p.data for p in self.params])
        position = {id(p): i for i, p in enumerate(self.params)}
        self.trained = np.array([position[id(p)] for p in optimizer.params])
        self.grads = np.zeros(len(self.trained))
        self.X, self.targets = np.array(rows), np.array(targets, dtype=float)
        self.classes = None if classes is None else np.array(classes)
        x = [Value(v, label=f"x{k}") for k, v in enumerate(rows[0])]
        output = model(x)
        kept = list(output) if isinstance(output, (list, tuple)) else [output]
        distinct = sorted(set(targets))
        self.graphs: dict[float | None, Any] = {}
        if len(distinct) <= self.TARGET_GRAPHS:
            for target in distinct:
                self.graphs[target] = compile_graph(loss(output, target), self.params + x, wrt=optimizer.params,
                                                    also=kept)
        else:
            y = Value(targets[0], label="y")
            self.graphs[None] = compile_graph(loss(output, y), self.params + x + [y], wrt=optimizer.params,
                                              also=kept)

    def zero_grad(self) -> None:
        """Nothing to zero: each minibatch's gradients are computed afresh."""

    def step(self) -> None:
        self.data[self.trained] = self.optimizer.update(self.data[self.trained], self.grads)

    def forward_backward(self, batch: list[int]) -> tuple[float, int]:
        """The mean loss's gradients over the rows ``batch`` (kept for step()); (summed loss, classified right)."""
        rows = np.array(batch)
        parameters = self.data.tolist()
        total, right, grads = 0.0, 0, np.zeros(len(self.trained))
        for target, graph in self.graphs.items():
            chosen = rows if target is None else rows[self.targets[rows] == target]
            if len(chosen) == 0:
                continue
            columns = [*self.X[chosen].T] + ([self.targets[chosen]] if target is None else [])
            with np.errstate(all="ignore"):  # as on Values: a non-finite loss is refused below
                losses, gradients, outputs = graph(*parameters, *columns)
            total += float(np.sum(losses))
            grads += np.array(gradients, dtype=float)
            if self.classes is not None:
                chose = predicted_classes([np.broadcast_to(out, chosen.shape) for out in outputs])
                right += int(np.sum(chose == self.classes[chosen]))
        if not np.isfinite(total):
            raise FloatingPointError(f"the loss became {total / len(batch)}")
        self.grads = grads * (1.0 / len(batch))
        return total, right

    def write_back(self) -> None:
        """Put the array's numbers into the model's Values."""
        for p, number in zip(self.params, self.data.tolist()):
            p.data = number


def predicted_classes(outputs: list[np.ndarray]) -> np.ndarray:
    """predicted_class for a batch: one output per sample (class 1 where > 0), or the largest logit's index."""
    return (outputs[0] > 0.0).astype(int) if len(outputs) == 1 else np.argmax(np.stack(outputs), axis=0)
