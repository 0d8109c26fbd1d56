"""Neural-network pieces built only from Value ops: Module, Neuron, Layer, MLP.

Every parameter is a Value with a stable name (``w``, ``b``, ``L0.N1.w2``);
the same name is its label, so graphs, state dicts and training histories
all speak of a parameter the same way.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from micrograd_id._checks import finite_float
from micrograd_id._files import write_atomic
from micrograd_id.engine import Value
from micrograd_id.notation import nn_label

if TYPE_CHECKING:  # only for the annotations: nn itself does not import numpy
    import numpy as np

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")

# One sample's inputs: a list or tuple of numbers or Values, or a 1-D numpy row (or one number).
Inputs = Union[Sequence[Union[Value, float]], "np.ndarray", Value, float]


class Module:
    """A model: subclasses list their parameters by name in ``named_parameters``."""

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[(name, Value), ...] in a fixed order."""
        return []

    def parameters(self) -> list[Value]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """The parameters as a plain ``{name: float}``."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Set every parameter from ``state``: all of them, or none if anything is wrong."""
        values = _checked_state(state, [name for name, _ in self.named_parameters()])
        for name, p in self.named_parameters():
            p.data = values[name]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the state dict as JSON (floats round-trip exactly); atomic."""
        return write_atomic(path, json.dumps(self.state_dict(), indent=2) + "\n")

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Load a JSON state dict written by ``save``; JSON only, validated, all or nothing."""
        text = Path(path).read_bytes()
        try:
            state = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a JSON state dict ({error})") from None
        self.load_state_dict(state)
        return self


def _refuse_constant(name: str) -> None:
    raise ValueError(f"state dict holds {name}: parameters must be finite numbers")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; a name given twice is an error, not "the last one wins"."""
    state: dict[str, Any] = {}
    for name, value in pairs:
        if name in state:
            raise ValueError(f"state dict names {name!r} twice")
        state[name] = value
    return state


def _checked_state(state: object, names: list[str]) -> dict[str, float]:
    """{name: float} for exactly ``names``, or an error naming the first problem."""
    if not isinstance(state, dict):
        raise TypeError(f"a state dict must be a dict of name -> number, got {type(state).__name__}")
    missing = [n for n in names if n not in state]
    unknown = [n for n in state if n not in names]
    if missing or unknown:
        raise KeyError(f"state dict does not fit the model: missing {missing}, unknown {unknown}")
    values = {}
    for name in names:
        values[name] = finite_float(state[name], f"parameter {name!r}")
    return values


class Neuron(Module):
    """activation(w · x + b), with weights drawn uniformly from [-1, 1] like micrograd's."""

    def __init__(self, nin: int, activation: str = "relu", name: str = "N0",
                 rng: random.Random | None = None) -> None:
        if isinstance(nin, bool) or not isinstance(nin, int) or nin < 1:
            raise ValueError(f"nin must be a positive int, got {nin!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
        rng = rng or random.Random(0)
        self.name = name
        self.activation = activation
        self.w = [Value(rng.uniform(-1.0, 1.0), label=nn_label(name, parameter=k)) for k in range(nin)]
        self.b = Value(0.0, label=nn_label(name, parameter="b"))

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"{self.name} takes {len(self.w)} inputs, got {len(x)}")
        total = self.b
        for wk, xk in zip(self.w, x):
            total = total + wk * xk
        out = total if self.activation == "linear" else getattr(total, self.activation)()
        out.label = self.name
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(p.label, p) for p in (*self.w, self.b)]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same inputs."""

    def __init__(self, nin: int, nout: int, activation: str = "relu", name: str = "L0",
                 rng: random.Random | None = None) -> None:
        rng = rng or random.Random(0)
        self.neurons = [Neuron(nin, activation, nn_label(name, j), rng) for j in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        return [n(x) for n in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [item for n in self.neurons for item in n.named_parameters()]

    def __repr__(self) -> str:
        return f"Layer([{', '.join(map(repr, self.neurons))}])"


class MLP(Module):
    """Layers of sizes ``nouts``; hidden layers use ``activation``, the last is linear.

    ``seed`` makes the initial weights reproducible. A single output comes back
    as a Value, several as a list (as in micrograd).
    """

    def __init__(self, nin: int, nouts: Sequence[int], seed: int | None = 0, activation: str = "relu") -> None:
        nouts = list(nouts)
        if not nouts:
            raise ValueError("nouts must list at least one layer size")
        for size in nouts:
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise ValueError(f"layer sizes must be positive ints, got {size!r} in {nouts}")
        rng = random.Random(seed)
        sizes = [nin] + nouts
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < len(nouts) - 1 else "linear", nn_label(i), rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x: Inputs) -> Value | list[Value]:
        values = _inputs(x)
        for layer in self.layers:
            values = layer(values)
        return values[0] if len(values) == 1 else values

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [item for layer in self.layers for item in layer.named_parameters()]

    def __repr__(self) -> str:
        return f"MLP([{', '.join(map(repr, self.layers))}])"


def _inputs(x: Any) -> list[Any]:
    """One sample's inputs as a list: a list, tuple or 1-D numpy row is its inputs; a number or Value is one input."""
    if isinstance(x, (list, tuple)):
        return list(x)
    ndim = getattr(x, "ndim", 0)  # numpy arrays, without importing numpy here; numpy scalars have ndim 0
    if ndim == 1:
        return x.tolist()
    if ndim > 1:
        raise ValueError(f"an MLP takes one sample at a time (a flat row of inputs), got an array of shape {x.shape}; "
                         f"call it on each row")
    return [x]
