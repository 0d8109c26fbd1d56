"""The scalar autodiff engine: Value, backward, grad, jvp, no_grad, detect_anomaly, define_op.

A Value remembers the operation that made it and the Values it was made
from, so the computation forms a graph. Reverse mode walks that graph from
the output back to the leaves and applies the chain rule at every op:

    input.grad += output.grad · ∂output/∂input

Each op is an ``Op`` of the table in ``micrograd_id.ops``, defined once: its
forward value, its derivative rule and how it is written. ``record(op, ...)``
puts an Op in the graph (``record(ops.ADD, a, b)`` is ``a + b``); backward,
grad, jvp, explain, viz and compile_graph all read the recorded Ops, and
``define_op`` makes a user's op that works in all of them.

A rule ``rule(g, out, *inputs)`` gives ``g · ∂out/∂input`` per input. The
same rule runs on floats (ordinary backward) and on Values
(``create_graph=True``, which makes gradients differentiable again).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from typing import Any, Callable, Union

from micrograd_id import ops
from micrograd_id._checks import real_float
from micrograd_id.ops import OPS, Forward, Op, Rule, power_op, user_op

__all__ = ["Value", "Op", "OPS", "power_op", "AnomalyError", "backward", "grad", "jvp", "no_grad",
           "detect_anomaly", "anomaly_detection_on", "define_op", "record", "topological_order",
           "local_derivatives", "check_inputs"]

# Graph-building mode, per thread and per async context: a set of bit flags.
_NO_GRAD = 1
_ANOMALY = 2
_mode: ContextVar[int] = ContextVar("micrograd_id_mode", default=0)
# How many mode blocks are open, in all threads. While none is, an op need not read the mode
# (a ContextVar read is about 4% of an op's instructions, callgrind); when some are, _mode says
# which apply here.
_open_modes = 0
_open_modes_lock = threading.Lock()
# backward() changes .grad all over the graph: one thread at a time, so that several threads
# running backward() on one graph (or on graphs sharing parameters) add up, as in PyTorch.
# Re-entrant, for a user's rule that runs a backward of its own.
_BACKWARD_LOCK = threading.RLock()

# Names for the annotations. A plain number is a float (an int or a numpy real scalar also
# does); a gradient is a float, or a Value under create_graph (Any: also numpy arrays and
# compile_graph's tracer, which the rules run on too).
Number = float
Operand = Union["Value", float]


class AnomalyError(FloatingPointError):
    """A forward value or a gradient became nan or inf under detect_anomaly()."""


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
        if _open_modes and _mode.get() & _ANOMALY and not math.isfinite(self.data):
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

    def __bool__(self) -> bool:
        """Whether data is nonzero, as for a one-element PyTorch tensor: `if loss:` is False at 0.0 (nan is True)."""
        return bool(self.data)

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

    # ----- the ops, one line each over its Op; numpy's ufuncs call these methods too -----------
    # `_unary(ops.EXP, self)` is what `record(ops.EXP, self)` does, less its generic checks of arity
    # and operands. `+` and `×`, nearly all of an MLP's ops, write their forward out: the MLP
    # benchmark's step takes 8% fewer instructions (49.6M instead of 53.9M).
    # tests/test_engine_paths.py checks them against record().
    def __add__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _as_value(other)
        return _node(self.data + other.data, ops.ADD, (self, other))  # ops.ADD.forward, inlined

    def __radd__(self, other: Operand) -> Value:  # a plain number on the left: 2 + v
        return _binary(ops.ADD, other, self)

    def __sub__(self, other: Operand) -> Value:
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: Operand) -> Value:
        return _binary(ops.SUB, other, self)

    def __mul__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _as_value(other)
        return _node(self.data * other.data, ops.MUL, (self, other))  # ops.MUL.forward, inlined

    def __rmul__(self, other: Operand) -> Value:
        return _binary(ops.MUL, other, self)

    def __truediv__(self, other: Operand) -> Value:
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        return _binary(ops.DIV, other, self)

    def __pow__(self, other: Operand) -> Value:
        """v ** w records op "**" of two Values; v ** k, for a plain number k, the op "**k" of one."""
        if isinstance(other, Value):
            return _binary(ops.POW, self, other)
        k = float(other) if type(other) in (int, float) else real_float(other, "the exponent")
        return _node(ops.POW.forward(self.data, k), power_op(k), (self,))  # power_op(k).forward, without its call

    def __rpow__(self, other: Operand) -> Value:  # 2 ** v
        return _binary(ops.POW, other, self)

    def __neg__(self) -> Value:
        return _unary(ops.NEG, self)

    def __abs__(self) -> Value:
        return _unary(ops.ABS, self)

    def exp(self) -> Value:
        return _unary(ops.EXP, self)

    def log(self) -> Value:
        return _unary(ops.LOG, self)

    def sqrt(self) -> Value:
        return _unary(ops.SQRT, self)

    def tanh(self) -> Value:
        return _unary(ops.TANH, self)

    def sigmoid(self) -> Value:
        return _unary(ops.SIGMOID, self)

    def relu(self) -> Value:
        return _unary(ops.RELU, self)

    def sin(self) -> Value:
        return _unary(ops.SIN, self)

    def cos(self) -> Value:
        return _unary(ops.COS, self)

    def tan(self) -> Value:
        return _unary(ops.TAN, self)

    def arcsin(self) -> Value:
        return _unary(ops.ARCSIN, self)

    def arccos(self) -> Value:
        return _unary(ops.ARCCOS, self)

    def arctan(self) -> Value:
        return _unary(ops.ARCTAN, self)

    def backward(self) -> None:
        """Add d(self)/d(node) to node.grad for every node below self (seed 1.0).

        Gradients accumulate, as in PyTorch: call zero_grad() between steps.
        Threads may call it at once on one graph: each adds its gradients (one
        thread at a time). A failed backward (a domain error, Ctrl-C) leaves
        every .grad as it was. Under detect_anomaly the checked reference
        algorithm, ``_backpropagate``, runs; otherwise the same algorithm in
        place, which tests/test_engine_paths.py checks against it.
        """
        _BACKWARD_LOCK.acquire()  # not `with`: that costs twice the instructions (callgrind)
        try:
            if _open_modes and _mode.get() & _ANOMALY:  # anomaly_detection_on(), without its call (callgrind)
                for node, g in _backpropagate(self, 1.0, create_graph=False).items():
                    node.grad += g
            else:
                _backpropagate_in_place(self)
        finally:
            _BACKWARD_LOCK.release()


# Each one-input method's docstring says its derivative, from its Op.
for _op in OPS.values():
    if _op.arity == 1:
        getattr(Value, {"neg": "__neg__", "abs": "__abs__"}.get(_op.name, _op.name)).__doc__ = (
            f"{_op.name}(self), an op recorded in the graph: ∂/∂x = {_op.derivatives[0].format('x', out='out')}")
del _op


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x


def _as_value(x: Operand) -> Value:
    return x if isinstance(x, Value) else Value(x)


# ----- recording an op ----------------------------------------------------------------------

def _node(data: float, op: Op, children: tuple[Value, ...]) -> Value:
    """The output node of op, with its history; no_grad and detect_anomaly adjust it."""
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.children = children
    out.operation = op
    if _open_modes:  # only then is there more to do: modes cost nothing when off
        _apply_mode(out)
    return out


def _unary(op: Op, a: Value) -> Value:
    return _node(op.forward(a.data), op, (a,))


def _binary(op: Op, a: Operand, b: Operand) -> Value:
    if type(a) is not Value:
        a = _as_value(a)
    if type(b) is not Value:
        b = _as_value(b)
    return _node(op.forward(a.data, b.data), op, (a, b))


def record(op: Op, *operands: Operand) -> Value:
    """The node of op's result on Values or plain numbers (these become leaves), recorded in the graph."""
    if len(operands) != op.arity:
        raise TypeError(f"{op.name}() takes {op.arity} input(s), got {len(operands)}")
    if op.arity == 2:
        return _binary(op, *operands)
    children = tuple(map(_as_value, operands))
    return _node(op.forward(*[child.data for child in children]), op, children)


def _apply_mode(out: Value) -> None:
    """detect_anomaly: refuse a nan or inf. no_grad: drop the history, leaving a bare leaf."""
    mode = _mode.get()
    if mode & _ANOMALY and not math.isfinite(out.data):
        inputs = ", ".join(repr(c) for c in out.children)
        raise AnomalyError(f"forward of op {out.op!r} gave {out.data} from inputs ({inputs}); "
                           f"it computes {_formula(out)}")
    if mode & _NO_GRAD:
        out.operation, out.children = None, ()


# ----- a user's op ------------------------------------------------------------------------------

def define_op(name: str, forward: Forward, rule: Rule, *, symbol: str | None = None, notation: str | None = None,
              derivatives: Iterable[str] | None = None, code: str | None = None,
              js: str | None = None) -> Callable[..., Value]:
    """Make a new op from its forward value and derivative rule; returns a function of Values.

    forward(*floats) -> float; rule(g, out, *inputs) -> one g·∂out/∂input per
    input, as for the built-in ops (use numpy ufuncs such as np.exp, which
    also take Values, and second derivatives work too). Each gradient must be
    a real number (a Value only under create_graph): anything else is a
    TypeError naming the op. Example::

        softplus = define_op("softplus", forward=lambda a: math.log1p(math.exp(a)),
                             rule=lambda g, out, a: (g * (1.0 - np.exp(-out)),))
        softplus(Value(0.5))

    How it is written (optional, see ``Op``): ``symbol``; ``notation`` and one
    ``derivatives`` text per input, templates over {0}, {1} (and {out}),
    default name(...) and ∂out/∂input; ``js``, the forward in JavaScript, for
    the explorer page to recompute it live. ``code``: the forward as a Python
    expression over {0}, {1} using arithmetic, abs(), inf and nan, which
    compile_graph writes into its source instead of a call of forward. It is
    your own Python, run as written: not a sandbox. Templates that do not fit
    the arity, and a code that disagrees with forward at a few points or is
    not an expression, are a ValueError here, where the op is defined.
    """
    op = user_op(name, forward, rule, symbol=symbol, notation=notation, derivatives=derivatives, code=code, js=js)

    def apply(*operands: Operand) -> Value:
        return record(op, *operands)

    apply.__name__ = apply.__qualname__ = op.name
    apply.__doc__ = f"The user-defined op {op.name!r} on Values or numbers."
    apply.op = op  # type: ignore[attr-defined]  # the Op rides on its function, for compile_graph and tests
    return apply


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

def _backpropagate(root: Value, seed: Any, create_graph: bool) -> dict[Value, Any]:
    """{node: d(root)/d(node)} for every node below root: reverse mode, the one algorithm.

    Visit the nodes parents first (topological order), so a node's gradient
    is complete before it is passed on; each op hands g·∂out/∂input to its
    inputs, and an input used twice adds both. Gradients are floats, or
    Values with a graph of their own (create_graph). Nothing in the graph is
    changed, so any number of threads may run this on one graph at once.
    Under detect_anomaly every gradient is checked as it is made.
    """
    anomaly = _mode.get() & _ANOMALY
    grads = {root: seed}
    for node in topological_order(root):
        operation = node.operation
        if operation is None:
            continue
        children = node.children
        try:
            if create_graph:
                local = operation.rule(grads[node], node, *children)
            else:
                local = operation.rule(grads[node], node.data, *[child.data for child in children])
        except _MATH_ERRORS as error:
            raise _rule_error(error, root, node) from error
        for child, d in zip(children, local):
            if anomaly and not math.isfinite(_data(d)):
                raise AnomalyError(f"backward of op {node.op!r} gave gradient {_data(d)} for input "
                                   f"{child!r}; {_where(root, node)}")
            grads[child] = grads[child] + d if child in grads else d
    return grads


# The module's backward(root) is the method itself: a call less on every training step.
backward = Value.backward


def _backpropagate_in_place(root: Value) -> None:
    """``_backpropagate`` with the gradients kept in .grad instead of a dict: an optimisation.

    Measured with callgrind on the MLP benchmark: the propagation loop takes
    half the instructions (15M instead of 30M per backward, a third of a
    training step), from slot attributes instead of dict lookups and the
    one- and two-input ops unpacked by hand.
    """
    order = topological_order(root)
    # Earlier gradients are set aside, so that a second backward adds to them
    # instead of pushing them through the graph again.
    earlier = []
    try:
        for node in order:
            if node.grad:
                earlier.append((node, node.grad))
                node.grad = 0.0
        root.grad = 1.0
        for node in order:
            operation = node.operation
            if operation is None:
                continue
            children = node.children
            if len(children) == 2:
                a, b = children
                da, db = operation.rule(node.grad, node.data, a.data, b.data)
                a.grad += da
                b.grad += db
            elif len(children) == 1:
                (a,) = children
                (da,) = operation.rule(node.grad, node.data, a.data)
                a.grad += da
            else:  # a user's op with three or more inputs
                for child, d in zip(children, operation.rule(node.grad, node.data, *[c.data for c in children])):
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


# What a derivative rule can raise on bad numbers (overflow, 0 ** -1, log of a negative).
_MATH_ERRORS = (ArithmeticError, ValueError)


def _rule_error(error: Exception, root: Value, node: Value) -> Exception:
    """The same kind of error, saying which op's derivative failed and where it sits."""
    return type(error)(f"backward of op {node.op!r} failed: {error}; {_where(root, node)}")


def _where(root: Value, node: Value) -> str:
    """node's inputs and the chain of labels from root down to it, for error messages."""
    path = " <- ".join(v.label or v.op for v in _path(root, node))  # every node on it is an op's
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
    anomaly = anomaly_detection_on()
    tangent: dict[Value, Any] = {}
    for node in reversed(topological_order(output)):  # inputs before the nodes computed from them
        moving = [(i, tangent[c]) for i, c in enumerate(node.children) if c in tangent]
        if moving:  # only nodes that depend on an input have a tangent
            try:
                local = local_derivatives(node)
            except _MATH_ERRORS as error:
                raise _rule_error(error, output, node) from error
            tangent[node] = sum(local[i] * t for i, t in moving)
            if anomaly and not math.isfinite(tangent[node]):
                raise AnomalyError(f"jvp through op {node.op!r} gave tangent {tangent[node]}; "
                                   f"{_where(output, node)}")
        if node in seeded:  # an input; an inner node as input also moves through its own inputs, as in grad()
            tangent[node] = tangent.get(node, 0.0) + seeded[node]
    return tangent.get(output, 0.0)


# ----- modes ---------------------------------------------------------------------------------------

def no_grad() -> AbstractContextManager[None]:
    """Ops inside build no graph: outputs are plain leaves (cheaper, nothing to free)."""
    return _Mode(_NO_GRAD)


def detect_anomaly() -> AbstractContextManager[None]:
    """Raise AnomalyError, naming the op, when a value or gradient turns nan or inf (also in jvp)."""
    return _Mode(_ANOMALY)


def anomaly_detection_on() -> bool:
    """Whether detect_anomaly() is on in this thread or async context (compiled graphs ask per call)."""
    return bool(_open_modes and _mode.get() & _ANOMALY)


class _Mode(AbstractContextManager[None]):
    """Turn a mode flag on for a with-block, in this thread or async context only.

    The object may be entered again, also nested (its tokens form a stack);
    each thread enters its own (no_grad() makes a new one).
    """

    def __init__(self, flag: int) -> None:
        self.flag = flag
        self.tokens: list[Token[int]] = []

    def __enter__(self) -> None:
        global _open_modes
        with _open_modes_lock:
            _open_modes += 1
        self.tokens.append(_mode.set(_mode.get() | self.flag))

    def __exit__(self, *exc_info: object) -> None:
        global _open_modes
        _mode.reset(self.tokens.pop())
        with _open_modes_lock:
            _open_modes -= 1
