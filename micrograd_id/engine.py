"""The scalar autodiff engine: Value, its ops, backward, grad, jvp, no_grad, detect_anomaly, define_op.

A Value remembers the operation that made it and the Values it was made
from, so the computation forms a graph. Reverse mode walks that graph from
the output back to the leaves and applies the chain rule at every op:

    input.grad += output.grad · ∂output/∂input

Each op is an ``Op`` of the table in ``micrograd_id.ops``, defined once: its
forward value, its derivative rule, and how it is written. backward, grad,
jvp, explain, viz and compile_graph all read it from there, and
``define_op`` makes a user's op that works in all of them.

A rule ``rule(g, out, *inputs)`` gives ``g · ∂out/∂input`` per input. The
same rule runs on floats (ordinary backward) and on Values
(``create_graph=True``, which makes gradients differentiable again).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Union

from micrograd_id._checks import real_float
from micrograd_id.ops import (
    ABS,
    ADD,
    ARCCOS,
    ARCSIN,
    ARCTAN,
    COS,
    DIV,
    EXP,
    LOG,
    MUL,
    NEG,
    OPS,
    POW,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    TAN,
    TANH,
    Op,
    power_op,
)

__all__ = ["Value", "Op", "OPS", "power_op", "AnomalyError", "backward", "grad", "jvp", "no_grad",
           "detect_anomaly", "define_op", "topological_order", "local_derivatives", "check_inputs"]

# Graph-building mode, per thread and per async context: a set of bit flags.
_NO_GRAD = 1
_ANOMALY = 2
_mode: ContextVar[int] = ContextVar("micrograd_id_mode", default=0)

# Names for the annotations. A plain number is a float (an int or a numpy real scalar also
# does); a gradient is a float, or a Value under create_graph (Any: also numpy arrays and
# compile_graph's tracer, which the rules run on too).
Number = float
Operand = Union["Value", float]
Forward = Callable[..., float]
Rule = Callable[..., Sequence[Any]]


class AnomalyError(FloatingPointError):
    """A forward value or a gradient became nan or inf under detect_anomaly()."""


def _result(data: float, operation: Op, children: tuple[Value, ...]) -> Value:
    """The output node of an op, with its history; no_grad and detect_anomaly adjust it."""
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.children = children
    out.operation = operation
    if _mode.get():  # a mode is on: only then is there more to do (modes cost nothing when off)
        _apply_mode(out)
    return out


def _apply_mode(out: Value) -> None:
    """detect_anomaly: refuse a nan or inf. no_grad: drop the history, leaving a bare leaf."""
    mode = _mode.get()
    if mode & _ANOMALY and not math.isfinite(out.data):
        inputs = ", ".join(repr(c) for c in out.children)
        raise AnomalyError(f"forward of op {out.op!r} gave {out.data} from inputs ({inputs}); "
                           f"it computes {_formula(out)}")
    if mode & _NO_GRAD:
        out.operation, out.children = None, ()


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x


def _as_value(x: Operand) -> Value:
    return x if isinstance(x, Value) else Value(x)


# ----- the ops as Value methods ------------------------------------------------------------
# (`type(other) is not Value` spares the common case a call.)

def _binary(op: Op) -> tuple[Callable[[Value, Operand], Value], Callable[[Value, Operand], Value]]:
    forward = op.forward

    def method(self: Value, other: Operand) -> Value:
        if type(other) is not Value:
            other = _as_value(other)
        return _result(forward(self.data, other.data), op, (self, other))

    def reflected(self: Value, other: Operand) -> Value:  # a plain number on the left: 2 * v, 1 - v, 1 / v
        return method(_as_value(other), self)

    return method, reflected


def _unary(op: Op) -> Callable[[Value], Value]:
    forward = op.forward

    def method(self: Value) -> Value:
        return _result(forward(self.data), op, (self,))

    method.__name__ = op.name
    method.__doc__ = f"{op.name}(self), an op recorded in the graph: ∂/∂x = {op.derivatives[0].format('x', out='out')}"
    return method


def _pow(self: Value, other: Operand) -> Value:
    if isinstance(other, Value):
        return _result(POW.forward(self.data, other.data), POW, (self, other))
    k = float(other) if type(other) in (int, float) else real_float(other, "the exponent")
    op = power_op(k)
    return _result(op.forward(self.data), op, (self,))


# An optimisation, measured with callgrind on the MLP benchmark: + × and relu
# are nearly all of an MLP's ops, and writing their forward out here instead
# of calling ADD.forward etc. saves about 1.5% of the instructions per step.
# tests/test_engine.py checks that each agrees with its Op's forward.

def _add(self: Value, other: Operand) -> Value:
    if type(other) is not Value:
        other = _as_value(other)
    return _result(self.data + other.data, ADD, (self, other))


def _mul(self: Value, other: Operand) -> Value:
    if type(other) is not Value:
        other = _as_value(other)
    return _result(self.data * other.data, MUL, (self, other))


def _relu(self: Value) -> Value:
    x = self.data
    return _result(0.0 if x <= 0.0 else x, RELU, (self,))


_relu.__doc__ = _unary(RELU).__doc__


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back.

    ``operation`` is the Op that made it (None for a leaf) and ``children``
    its inputs; ``op`` is that Op's name ("" for a leaf).
    """

    __slots__ = ("data", "grad", "label", "children", "operation", "__weakref__")
    data: float
    grad: float
    label: str
    children: tuple[Value, ...]
    operation: Op | None

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.data = real_float(data, "Value data")
        if _mode.get() & _ANOMALY and not math.isfinite(self.data):
            raise AnomalyError(f"a leaf Value({self.data}, label={label!r}) under detect_anomaly()")
        self.grad = 0.0
        self.label = label
        self.children = ()
        self.operation = None

    @property
    def op(self) -> str:
        return self.operation.name if self.operation is not None else ""

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g}{label})"

    def _repr_html_(self) -> str:  # Jupyter: the same fields as the boxes of a drawn graph
        import html

        made = f"{self.op} of {len(self.children)}" if self.children else "leaf"
        cells = [("label", self.label or "—"), ("data", f"{self.data:.6g}"), ("grad", f"{self.grad:.6g}"), ("op", made)]
        return "<table>" + "".join(f"<tr><th>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in cells) + "</table>"

    # Ordering compares data, so `loss < 1e-3` reads naturally. There is no
    # __eq__: Values hash by identity, which the graph traversal relies on.
    def __lt__(self, other: Operand) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _data(other)

    # ----- the ops, each made from its Op above; numpy's ufuncs call these methods too -----
    __add__ = _add
    __radd__ = _binary(ADD)[1]
    __sub__, __rsub__ = _binary(SUB)
    __mul__ = _mul
    __rmul__ = _binary(MUL)[1]
    __truediv__, __rtruediv__ = _binary(DIV)
    __pow__ = _pow

    def __rpow__(self, other: Operand) -> Value:  # 2 ** v
        return _as_value(other) ** self

    __neg__ = _unary(NEG)
    __abs__ = _unary(ABS)
    exp = _unary(EXP)
    log = _unary(LOG)
    sqrt = _unary(SQRT)
    tanh = _unary(TANH)
    sigmoid = _unary(SIGMOID)
    relu = _relu
    sin = _unary(SIN)
    cos = _unary(COS)
    tan = _unary(TAN)
    arcsin = _unary(ARCSIN)
    arccos = _unary(ARCCOS)
    arctan = _unary(ARCTAN)

    def backward(self) -> None:
        """Reverse mode from this Value (seed grad 1.0), accumulating into .grad: see ``backward``."""
        backward(self)


def define_op(name: str, forward: Forward, rule: Rule, *, symbol: str | None = None, notation: str | None = None,
              derivatives: Iterable[str] | None = None, code: str | None = None,
              js: str | None = None) -> Callable[..., Value]:
    """Make a new op from its forward value and derivative rule; returns a function of Values.

    forward(*floats) -> float; rule(g, out, *inputs) -> one g·∂out/∂input per
    input, as for the built-in ops (use numpy ufuncs such as np.exp, which
    also take Values, and second derivatives work too). The optional notation
    follows ``Op``; without it the op is written as name(...) and its local
    derivatives as ∂out/∂input. ``js``: the forward as a JavaScript expression
    over {0}, {1} (without it the explorer page cannot recompute the op live). Example::

        softplus = define_op("softplus", forward=lambda a: math.log1p(math.exp(a)),
                             rule=lambda g, out, a: (g * (1.0 - np.exp(-out)),))
        softplus(Value(0.5))
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"an op needs a non-empty name, got {name!r}")
    for what, function in (("forward", forward), ("rule", rule)):
        if not callable(function):
            raise TypeError(f"{what} must be callable, got {type(function).__name__}")
    arity = _arity(forward, name)

    def checked_rule(g: Any, out: Any, *inputs: Any) -> tuple[Any, ...]:
        grads = rule(g, out, *inputs)
        if not isinstance(grads, (tuple, list)) or len(grads) != arity:
            raise TypeError(f"the rule of op {name!r} must return a tuple of {arity} gradient(s), "
                            f"one per input; it returned {grads!r:.80}")
        return tuple(_plain(d) for d in grads)

    def checked_forward(*inputs: float) -> float:
        return real_float(forward(*inputs), f"the forward value of op {name!r}")

    op = Op(name, arity, checked_forward, checked_rule, symbol=symbol, notation=notation,
            derivatives=derivatives, code=code, js=js)

    def apply(*args: Operand) -> Value:
        if len(args) != arity:
            raise TypeError(f"{name}() takes {arity} input(s), got {len(args)}")
        children = tuple(_as_value(a) for a in args)
        return _result(checked_forward(*(c.data for c in children)), op, children)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"The user-defined op {name!r} on Values or numbers."
    apply.op = op  # type: ignore[attr-defined]  # the Op rides on its function, for compile_graph and tests
    return apply


def _arity(forward: Callable[..., Any], name: str) -> int:
    import inspect  # only here: importing it costs more than the rest of the engine

    try:
        parameters = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(f"cannot tell how many inputs forward of op {name!r} takes") from None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not positional or any(p.kind == p.VAR_POSITIONAL for p in parameters):
        raise TypeError(f"forward of op {name!r} must take a fixed number (>= 1) of inputs")
    return len(positional)


def _plain(d: Any) -> Any:
    """A numpy scalar from a user's rule as a float, so .grad stays a plain float."""
    return float(d) if type(d) is not float and not isinstance(d, Value) and getattr(d, "ndim", 1) == 0 else d


# ----- the graph ------------------------------------------------------------------------------

def topological_order(root: Value) -> list[Value]:
    """Every node below root (root first), each before the nodes it was computed from.

    Iterative depth-first search (reverse post-order), so a graph of any depth
    works at Python's default recursion limit. A None pushed above a node
    marks the moment all its inputs are ordered; leaves, having no inputs, are
    ordered as soon as they are found (both save stack traffic: benchmarks/).
    """
    post_order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # every input of the node below is ordered
            post_order.append(stack.pop())  # type: ignore[arg-type]  # below a None marker: its node
        elif node not in visited:
            visited.add(node)
            stack.append(node)
            stack.append(None)
            for child in node.children:
                if child not in visited:
                    if child.children:
                        stack.append(child)
                    else:
                        visited.add(child)
                        post_order.append(child)
    post_order.reverse()
    return post_order


def local_derivatives(node: Value) -> Sequence[Any]:
    """∂node/∂input for each input of node, from its op's rule (a leaf has none)."""
    if node.operation is None:
        return ()
    return node.operation.rule(1.0, node.data, *[child.data for child in node.children])


# ----- reverse mode ----------------------------------------------------------------------------

def _backpropagate(root: Value, seed: Operand, create_graph: bool) -> dict[Value, Any]:
    """{node: d(root)/d(node)} for every node below root: reverse mode, the reference algorithm.

    Visit the nodes parents first (topological order), so a node's gradient
    is complete before it is passed on; each op hands g·∂out/∂input to its
    inputs, and an input used twice adds both. Gradients are floats, or
    Values with a graph of their own (create_graph). .grad is not touched.
    Under detect_anomaly every gradient is checked as it is made.
    """
    anomaly = _mode.get() & _ANOMALY
    grads = {root: seed}
    for node in topological_order(root):
        operation = node.operation
        if operation is None:
            continue
        try:
            if create_graph:
                local = operation.rule(grads[node], node, *node.children)
            else:
                local = operation.rule(grads[node], node.data, *map(_DATA, node.children))
        except _MATH_ERRORS as error:
            raise _rule_error(error, root, node) from error
        for child, d in zip(node.children, local):
            if anomaly and not math.isfinite(_data(d)):
                raise AnomalyError(f"backward of op {node.op!r} gave gradient {_data(d)} for input "
                                   f"{child!r}; {_where(root, node)}")
            grads[child] = grads[child] + d if child in grads else d
    return grads


def backward(root: Value) -> None:
    """Add d(root)/d(node) to node.grad for every node below root (seed 1.0).

    Gradients accumulate, as in PyTorch: call zero_grad() between steps. This
    is ``_backpropagate`` run in place on ``.grad``: an optimisation, since
    skipping the dict of gradients and unpacking the common one- and two-input
    ops directly makes backward about 1.3-1.4x faster (benchmarks/). Under
    detect_anomaly the checked reference algorithm runs instead.
    """
    if _mode.get() & _ANOMALY:
        for node, g in _backpropagate(root, 1.0, create_graph=False).items():
            node.grad += g
        return
    order = topological_order(root)
    # Propagate through .grad itself; set earlier gradients aside so that a
    # second backward adds to them instead of pushing them through again.
    earlier = [(node, node.grad) for node in order if node.grad]
    try:
        for node, _ in earlier:
            node.grad = 0.0
        root.grad = 1.0
        for node in order:
            operation = node.operation
            if operation is None:
                continue
            if len(node.children) == 2:
                a, b = node.children
                da, db = operation.rule(node.grad, node.data, a.data, b.data)
                a.grad += da
                b.grad += db
            elif len(node.children) == 1:
                (a,) = node.children
                (da,) = operation.rule(node.grad, node.data, a.data)
                a.grad += da
            else:  # a user's op with three or more inputs
                for child, d in zip(node.children, operation.rule(node.grad, node.data, *map(_DATA, node.children))):
                    child.grad += d
    except BaseException as error:  # a rule failed or Ctrl-C: leave every .grad as it was
        for each in order:
            each.grad = 0.0
        for each, g in earlier:
            each.grad = g
        if isinstance(error, _MATH_ERRORS):
            raise _rule_error(error, root, node) from error
        raise
    for node, g in earlier:
        node.grad += g


_DATA = operator.attrgetter("data")

# What a derivative rule can raise on bad numbers (overflow, 0 ** -1, log of a negative).
_MATH_ERRORS = (ArithmeticError, ValueError)


def _rule_error(error: Exception, root: Value, node: Value) -> Exception:
    """The same kind of error, saying which op's derivative failed and where it sits."""
    return type(error)(f"backward of op {node.op!r} failed: {error}; {_where(root, node)}")


def _where(root: Value, node: Value) -> str:
    """node's inputs and the chain of labels from root down to it, for error messages."""
    path = " <- ".join(v.label or v.op or "?" for v in _path(root, node))
    inputs = ", ".join(repr(c) for c in node.children)
    return f"op inputs ({inputs}); path from the output: {path}"


def _formula(node: Value, depth: int = 4) -> str:
    """How node was made, down to labelled nodes and leaves, e.g. exp(*(w, x)): for messages."""
    if node.label or not node.children:
        return node.label or f"{node.data:g}"
    if depth == 0:
        return "…"
    return f"{node.op}({', '.join(_formula(child, depth - 1) for child in node.children)})"


def _path(root: Value, target: Value) -> list[Value]:
    """One chain of nodes from root down to target (only used for error messages)."""
    parent: dict[Value, Value | None] = {root: None}
    stack = [root]
    while stack:
        node = stack.pop()
        if node is target:
            break
        for child in node.children:
            if child not in parent:
                parent[child] = node
                stack.append(child)
    chain = [target]
    above = parent.get(target)
    while above is not None:
        chain.append(above)
        above = parent.get(above)
    return chain[::-1]


def check_inputs(function: str, output: object, inputs: Iterable[Value]) -> list[Value]:
    """inputs as a list, after checking that output is a Value and every input too; TypeError naming ``function``."""
    if not isinstance(output, Value):
        raise TypeError(f"{function}() needs a Value output, got {type(output).__name__}")
    if isinstance(inputs, Value):
        raise TypeError(f"{function}() takes a list of inputs: write {function}(E, [w], ...), "
                        f"not {function}(E, w, ...)")
    inputs = list(inputs)
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"{function}() inputs must be Values, got {type(x).__name__}")
    return inputs


def grad(output: Value, inputs: Iterable[Value], create_graph: bool = False) -> list[Any]:
    """d(output)/d(input) for each input, as a list; .grad is left untouched.

    With create_graph=True each gradient is a Value with its own graph, so
    grad() applies to it again for second and higher derivatives. An input the
    output does not depend on gets gradient 0.
    """
    inputs = check_inputs("grad", output, inputs)
    seed = Value(1.0) if create_graph else 1.0
    grads = _backpropagate(output, seed, create_graph)
    zero = Value(0.0) if create_graph else 0.0
    return [grads.get(x, zero) for x in inputs]


# ----- forward mode ------------------------------------------------------------------------------

def jvp(output: Value, inputs: Iterable[Value], tangents: Iterable[Number]) -> float:
    """Σ_i ∂output/∂inputs[i] · tangents[i]: forward mode, one sweep over the recorded graph.

    Each node's tangent is the sum of its inputs' tangents times its local
    derivatives, visited inputs first. One sweep gives the derivative along
    one direction of all inputs; reverse mode gives the derivatives of one
    output in all directions. ``tangents``: one real number per input.
    """
    inputs = check_inputs("jvp", output, inputs)
    tangents = [real_float(t, "a tangent") for t in tangents]
    if len(tangents) != len(inputs):
        raise ValueError(f"jvp() needs one tangent per input: {len(inputs)} inputs, {len(tangents)} tangents")
    seeded: dict[Value, float] = {}
    for x, t in zip(inputs, tangents):
        seeded[x] = seeded.get(x, 0.0) + t
    tangent: dict[Value, Any] = {}
    for node in reversed(topological_order(output)):  # inputs before the nodes computed from them
        moving = [(i, tangent[c]) for i, c in enumerate(node.children) if c in tangent]
        if moving:  # only nodes that depend on an input have a tangent
            try:
                local = local_derivatives(node)
            except _MATH_ERRORS as error:
                raise _rule_error(error, output, node) from error
            tangent[node] = sum(local[i] * t for i, t in moving)
        if node in seeded:  # an input; an inner node as input also moves through its own inputs, as in grad()
            tangent[node] = tangent.get(node, 0.0) + seeded[node]
    return tangent.get(output, 0.0)



# ----- modes ---------------------------------------------------------------------------------------

def no_grad() -> AbstractContextManager[None]:
    """Ops inside build no graph: outputs are plain leaves (cheaper, nothing to free)."""
    return _mode_with(_NO_GRAD)


def detect_anomaly() -> AbstractContextManager[None]:
    """Raise AnomalyError, naming the op, when a value or gradient turns nan or inf."""
    return _mode_with(_ANOMALY)


@contextmanager
def _mode_with(flag: int) -> Iterator[None]:
    """Turn a mode flag on for a with-block, in this thread or async context only."""
    token = _mode.set(_mode.get() | flag)
    try:
        yield
    finally:
        _mode.reset(token)
