"""compile_graph: a recorded graph written out as straight-line code, to read and to run fast.

A graph recorded once can be replayed without building it again: one local
variable per node, one line per op (the forward pass), then one line per
edge in reverse (the backward pass), adding up where a node feeds several
ops. That is the "staged" backprop of CS231n's notes, and what tracing
compilers such as jax.jit and torch.compile do with a real program.

Nothing here knows a derivative: the backward lines are each op's own rule,
run on symbols that write down the arithmetic done to them (``tracing``).
``planning`` reads the graph (what each node is, what folds into one line,
which neurons form a layer); ``program`` writes it as Python.

Two programs come out of one graph. On floats, one line per op with
exactly the engine's arithmetic in the engine's order, and the engine's
errors where its forwards refuse an input. On numpy arrays (one value per
sample, each gradient summed over the samples), the tensor program: a layer
of neurons is one matrix product each way. ``source`` shows the program that
runs on arrays; ``scalar_source`` the same graph one op a line.
``to_javascript`` writes the graph for the explorer page from the same rules.
"""

from __future__ import annotations

import math
import operator
import types
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from micrograd_id import engine
from micrograd_id._checks import real_float
from micrograd_id.engine import AnomalyError, Value, anomaly_detection_on
from micrograd_id.ops import HELPERS, Helpers, Op, js_number
from micrograd_id.planning import Plan, Slot
from micrograd_id.program import FUNCTION, PythonProgram
from micrograd_id.tracing import (
    JavaScriptPrinter,
    Symbol,
    Untraceable,
    js_forward,
    placeholders,
    symbol,
    trace_branches,
    trace_rule,
)

__all__ = ["compile_graph", "CompiledGraph", "to_javascript", "Slot"]


# ----- the numbers behind the names: floats, or numpy arrays ----------------------------------

def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu_array(x: np.ndarray) -> np.ndarray:
    # np.maximum returns a nan it meets, as the engine's relu keeps nan; adding 0.0 turns a -0.0 it may
    # return into 0.0, as the engine gives. Measured on a 16 x 1000 block: 10 us, np.where's mask 20 us.
    out = np.maximum(x, 0.0)
    out += 0.0
    return out


def _step_array(x: np.ndarray) -> np.ndarray:
    return np.greater(x, 0.0).astype(float)  # 0.0 at nan, as float(x > 0.0)


# The rules' helpers on arrays: numpy's IEEE arithmetic is what the float helpers spell out.
NUMPY_HELPERS = Helpers(sign=np.sign, step=_step_array, divide=np.divide, power=np.power, log=np.log,
                        sin=np.sin, cos=np.cos)
# Built-in forwards without a code template: numpy's ufunc of the same name, except these two.
_ARRAY_FORWARDS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"sigmoid": _sigmoid_array, "relu": _relu_array}


def _elementwise(function: Callable[..., Any], nin: int) -> Callable[..., np.ndarray]:
    """function on floats, applied to each element of broadcast numpy arrays (for what numpy lacks)."""
    ufunc = np.frompyfunc(function, nin, 1)
    return lambda *args: np.asarray(ufunc(*args), dtype=float)


def _elementwise_rule(rule: Callable[..., Any], arity: int) -> Callable[..., list[np.ndarray]]:
    """A rule on floats applied element by element: one gradient array per input."""
    parts = [_elementwise(lambda *args, i=i: rule(*args)[i], arity + 2) for i in range(arity)]
    return lambda *args: [part(*args) for part in parts]


def _array_forward(op: Op) -> Callable[..., Any]:
    if op.builtin:
        if op.name in _ARRAY_FORWARDS:
            return _ARRAY_FORWARDS[op.name]
        ufunc = getattr(np, op.name, None)
        if isinstance(ufunc, np.ufunc):
            return ufunc
        if op.power is not None:
            k = op.power
            return lambda a: np.power(a, k)
    return _elementwise(op.forward, op.arity)


def _stack_rows(*rows: Any) -> np.ndarray:
    """Rows (numbers or per-sample arrays) as one 2-D block, a row each: a layer's input."""
    # Rows that are all arrays of one length (a training step's columns) are one np.array call:
    # measured 0.7 us for two rows of 8 samples, where broadcasting them first takes 6 us.
    try:
        block = np.array(rows, dtype=float)
    except ValueError:  # numbers beside arrays, or arrays of different lengths
        block = None
    if block is not None and block.ndim == 2:
        return block
    return np.stack(np.broadcast_arrays(*rows)).reshape(len(rows), -1)


def _rows_like(block: np.ndarray, *rows: Any) -> np.ndarray:
    """Rows of gradients as a block shaped like ``block`` (summed over the samples if block has one column)."""
    stacked = _stack_rows(*rows)
    if stacked.shape == block.shape:
        return stacked
    if block.shape[1] == 1 and stacked.shape[1] > 1:
        return stacked.sum(axis=1, keepdims=True)
    return np.broadcast_to(stacked, block.shape)


def _checker(on_arrays: bool, messages: list[str]) -> Callable[[Any, int], None]:
    def check(value: Any, k: int) -> None:
        finite = bool(np.isfinite(value).all()) if on_arrays else math.isfinite(value)
        if not finite:
            shown = value if not on_arrays else np.asarray(value)[~np.isfinite(value)].flat[0]
            raise AnomalyError(messages[k].format(shown))
    return check


def _function(program: PythonProgram, on_arrays: bool) -> Callable[..., Any]:
    """The program's function, with its names bound to the float or the array versions."""
    namespace: dict[str, Any] = {
        "inf": math.inf, "nan": math.nan, "np": np, "stack_rows": _stack_rows,
        "rows_like": _rows_like,
        "helpers": NUMPY_HELPERS if on_arrays else HELPERS,
        "ops": types.SimpleNamespace(**{name: _array_forward(op) if on_arrays else op.forward
                                        for op, name in program.forwards.items()}),
        "rules": types.SimpleNamespace(**{name: _elementwise_rule(op.rule, op.arity) if on_arrays else op.rule
                                          for op, name in program.rule_calls.items()}),
        "check": _checker(on_arrays, program.messages),
    }
    # The source holds generated names, numbers and the code= templates of the graph's user ops:
    # the user's own Python, which runs here as it would in the user's program (not a sandbox).
    exec(compile(program.source, "<compiled graph>", "exec"), namespace)  # noqa: S102
    return namespace[FUNCTION]


# ----- the compiled graph -------------------------------------------------------------------------

class CompiledGraph:
    """A graph as a Python function of its inputs: call it for (value, grads); read ``source``.

    It keeps the plan of the recorded graph (and so the graph): each program
    (floats, arrays, the checked ones detect_anomaly runs) is written the
    first time a call needs it.

    ``slots``, ``pack`` and ``run_packed`` are the fast entry for training
    loops that keep the parameters as arrays: one argument per slot (a
    layer's weights as one matrix, its biases as one column, any other input
    as itself), gradients per slot, nothing converted per parameter.
    """

    def __init__(self, output: Value, inputs: Sequence[Value], wrt: Sequence[Value], also: Sequence[Value]) -> None:
        self._plan = Plan(output, inputs, wrt, also)
        self.inputs, self.wrt, self.also = list(inputs), list(wrt), list(also)
        self.slots: list[Slot] = self._plan.slots
        # Each program is written and compiled the first time it is needed: most uses need one of them.
        self._programs: dict[str, PythonProgram] = {}
        self._functions: dict[str, Callable[..., Any]] = {}
        position = {x: i for i, x in enumerate(self.inputs)}
        self._wrt_index = [position[x] for x in self.wrt]
        self._slot_inputs = [slot.positions.ravel().tolist() for slot in self.slots]
        self._block_inputs = [i for slot, held in zip(self.slots, self._slot_inputs) if slot.kind != "input"
                              for i in held]
        in_block = set(self._block_inputs)
        self._take_blocks = operator.itemgetter(*self._block_inputs, *self._block_inputs[:1]) \
            if self._block_inputs else None  # one more, so the result is a tuple even for one
        self._data_inputs = [i for i in range(len(self.inputs)) if i not in in_block]
        # The array program returns the gradients of some slots, a block's as a matrix. Laid out one
        # number per input held, in the order returned, wrt's gradients are at these places (one
        # itemgetter call gathers them: per parameter, a call does no Python work but this and
        # pack's list; measured under cProfile for the 2-16-16-1 MLP at batch 100, 3.3 ms a call
        # with a Python step per parameter, 0.55 ms without):
        self._returned = self._plan.returned(self.slots)
        place: dict[int, int] = {}
        for s in self._returned:
            for i in self._slot_inputs[s]:
                place[i] = len(place)
        self._gather = operator.itemgetter(*[place[i] for i in self._wrt_index]) if self.wrt else None

    _KINDS = {  # name -> (on floats, layers, checks, strict)
        "floats": (True, False, False, False), "strict floats": (True, False, False, True),
        "arrays": (False, True, False, False), "scalar": (False, False, False, False),
        "checked floats": (True, False, True, True), "checked arrays": (False, False, True, False)}

    def _program(self, kind: str) -> PythonProgram:
        if kind == "scalar" and not self._plan.layers:
            kind = "arrays"  # the same program
        if kind not in self._programs:
            on_floats, layers, checks, strict = self._KINDS[kind]
            self._programs[kind] = PythonProgram(self._plan, on_floats=on_floats, layers=layers, checks=checks,
                                                 strict=strict)
        return self._programs[kind]

    def _function(self, kind: str) -> Callable[..., Any]:
        if kind not in self._functions:
            self._functions[kind] = _function(self._program(kind), on_arrays=not self._KINDS[kind][0])
        return self._functions[kind]

    @property
    def source(self) -> str:
        """The program that runs on numpy arrays: layers as matrix products, the rest one op a line."""
        return self._program("arrays").source

    @property
    def scalar_source(self) -> str:
        """The same graph one op a line, no layers: the scalar program the matrix products stand for."""
        return self._program("scalar").source

    def __repr__(self) -> str:
        lines = self.source.count("\n")
        return f"CompiledGraph({len(self.inputs)} inputs, {len(self.wrt)} gradients, {lines} lines)"

    def __call__(self, *values: Any) -> tuple[Any, ...]:
        """(value, [∂value/∂x for x in wrt]) at these input values (floats, or numpy arrays)."""
        if len(values) != len(self.inputs):
            raise TypeError(f"this compiled graph takes {len(self.inputs)} input value(s), got {len(values)}")
        if not set(map(type, values)) <= {float}:  # the common case, checked at C speed
            if any(isinstance(v, (np.ndarray, list, tuple)) for v in values):
                return self._call_arrays(values)
            values = tuple(real_float(v, "an input value") for v in values)
        if anomaly_detection_on():
            return self._function("checked floats")(*values)
        try:
            return self._function("floats")(*values)
        except (ArithmeticError, ValueError):  # a / or ** refused: again with the forwards, for their message
            return self._function("strict floats")(*values)

    # ----- arrays -------------------------------------------------------------------------------

    def _call_arrays(self, values: Sequence[Any]) -> tuple[Any, ...]:
        arrays = [v if type(v) is float else _as_array(v, i) for i, v in enumerate(values)]
        anomaly = anomaly_detection_on()
        if anomaly or not self._scalar_parameters(arrays):
            # One line per op: each checked (detect_anomaly), or a parameter given per sample (no matrix of them).
            kind = "checked arrays" if anomaly else "scalar"
            batch = _batch_shape(arrays)
            with np.errstate(all="ignore"):  # the engine's rules give inf and nan, not errors; checks name them
                value, grads, *kept = self._function(kind)(*arrays)
            out = [_sum_to(g, batch, np.shape(arrays[i])) for g, i in zip(grads, self._wrt_index)]
            return self._per_sample(value, kept, batch, out)
        batch = _batch_shape([arrays[i] for i in self._data_inputs])
        size = math.prod(batch)
        for i in self._data_inputs:  # each sample a column of the layers' blocks
            if np.ndim(arrays[i]):
                arrays[i] = np.broadcast_to(arrays[i], batch).reshape(size)
        with np.errstate(all="ignore"):  # as the engine's rules: inf and nan, not errors
            value, grads, *kept = self._function("arrays")(*self.pack(arrays))
        numbers: list[Any] = []
        for g, s in zip(grads, self._returned):
            slot = self.slots[s]
            if slot.kind == "input":
                numbers.append(_sum_to(g, batch, np.shape(values[int(slot.positions)])))
            else:  # a block out of the output's reach returns 0.0: as many zeros
                numbers.extend(np.broadcast_to(g, slot.positions.shape).ravel().tolist())
        out = [] if self._gather is None else list(self._gather(numbers)) if len(self.wrt) > 1 \
            else [self._gather(numbers)]
        return self._per_sample(value, kept, batch, out)

    def _scalar_parameters(self, arrays: list[Any]) -> bool:
        """Whether every input held in a layer's block is one number (floats checked at C speed)."""
        if self._take_blocks is None:
            return True
        held = self._take_blocks(arrays)
        return set(map(type, held)) <= {float} or not any(np.ndim(a) for a in held)

    @staticmethod
    def _per_sample(value: Any, kept: list[Any], batch: tuple[int, ...], grads: list[Any]) -> tuple[Any, ...]:
        if kept:
            return _per_sample(value, batch), grads, [_per_sample(v, batch) for v in kept[0]]
        return _per_sample(value, batch), grads

    # ----- the fast entry ---------------------------------------------------------------------

    def pack(self, values: Sequence[Any]) -> list[Any]:
        """One value per input (in the order of ``inputs``) as the arguments of ``run_packed``, a slot each."""
        packed = []
        for slot, held in zip(self.slots, self._slot_inputs):
            if slot.kind == "input":
                packed.append(values[held[0]])
            else:
                packed.append(np.array([values[i] for i in held], dtype=float).reshape(slot.positions.shape))
        return packed

    def unpack(self, packed: Sequence[Any]) -> list[Any]:
        """``pack`` undone: one value per input, in the order of ``inputs`` (a block's entries as floats)."""
        values: list[Any] = [None] * len(self.inputs)
        for slot, held, arg in zip(self.slots, self._slot_inputs, packed):
            if slot.kind == "input":
                values[held[0]] = arg
            else:
                for i, x in zip(held, np.ravel(arg).tolist()):
                    values[i] = x
        return values

    def run_packed(self, *packed: Any) -> tuple[Any, ...]:
        """(value, [gradient per slot], [also]) from packed arguments: blocks as matrices, data as 1-D arrays.

        A slot's gradient has the slot's shape, summed over the samples (a
        block's as a matrix product does; a single input given as a number:
        summed here; given per sample: per sample). None: no input of the
        slot is in wrt.
        """
        if anomaly_detection_on():
            self(*self.unpack(packed))  # raises AnomalyError naming the op, if the numbers have one
        with np.errstate(all="ignore"):
            value, returned, *kept = self._function("arrays")(*packed)
        grads: list[Any] = [None] * len(self.slots)
        for s, g in zip(self._returned, returned):
            slot = self.slots[s]
            # A block's gradient is the program's matrix as it is (broadcasting each one to its shape again
            # cost 3 us a slot, a ninth of a training step at batch 8); 0.0 for a block out of the output's reach.
            if slot.kind != "input":
                grads[s] = g if type(g) is not float else np.zeros(slot.positions.shape)
            elif np.ndim(packed[s]) == 0 and np.ndim(g) > 0:
                grads[s] = float(np.sum(g))
            else:
                grads[s] = g
        return (value, grads, *kept)


def _as_array(value: Any, i: int) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"input value {i} must be a real number or an array of them: {error}") from None
    return array


def _batch_shape(arrays: Sequence[Any]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*map(np.shape, arrays))
    except ValueError:
        shapes = ", ".join(str(np.shape(a)) for a in arrays)
        raise ValueError(f"the input arrays do not broadcast together: shapes {shapes}") from None


def _per_sample(value: Any, batch: tuple[int, ...]) -> Any:
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return float(value)
    value = value.reshape(batch) if value.size == math.prod(batch) else np.broadcast_to(value, batch).copy()
    return float(value) if value.ndim == 0 else value


def _sum_to(g: Any, batch: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    """A gradient per sample summed to its input's shape: over the axes the input was stretched along."""
    g = np.asarray(g, dtype=float)
    if g.ndim and g.size == math.prod(batch):
        g = g.reshape(batch)
    g = np.broadcast_to(g, batch)
    lead = len(batch) - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return float(g) if g.ndim == 0 else np.array(g)


def _checked_inputs(function: str, output: Value, inputs: Sequence[Value]) -> list[Value]:
    inputs = engine.check_inputs(function, output, inputs)
    for x in inputs:
        if x.operation is not None:
            raise ValueError(f"{function}() inputs must be leaves; {x!r} was made by op {x.op!r}")
    if len(set(inputs)) != len(inputs):
        raise ValueError(f"{function}() got the same input twice")
    return inputs


def compile_graph(output: Value, inputs: Sequence[Value], wrt: Sequence[Value] | None = None, *,
                  also: Sequence[Value] = ()) -> CompiledGraph:
    """The graph below ``output`` as straight-line Python over ``inputs``; see the module's docstring.

    inputs: the leaf Values whose numbers the compiled graph takes, in order;
    every other leaf is a constant, baked in exactly (its number when compiling).
    wrt: the inputs to differentiate by (default: all of them). Python control
    flow that ran while the graph was recorded is baked in too: the compiled
    graph replays this one recording, whatever the new inputs would have made
    the code do. also: other nodes of the graph whose values a call returns
    too, as a third item: ``value, grads, [values of also]``.

    ``value, grads = cg(*numbers)``: on floats exactly the engine's numbers,
    and the engine's error (same type, same message) where its forward
    refuses an input; on numpy arrays a value per sample and each gradient
    summed to its input's shape (size-1 axes included; nan and inf, no
    error). Under ``detect_anomaly()`` a call raises ``AnomalyError`` naming
    the op whose value or gradient turned nan or inf.

    Layers: neurons that each compute act(Σ_i w_ji·u_i + b_j) over the same
    inputs u, with weights and biases of their own among ``inputs`` (used
    nowhere else), run on arrays as one matrix product each way,
    ``A = act(W @ U + b)``, ``dW = dZ @ U.T``, ``dU = W.T @ dZ``, ``db =
    dZ.sum(...)``, within 1e-12 relative of the engine (a matrix product adds
    in another order): for ``nn.MLP`` or a network of the user's own Values,
    any unary op as the activation, with or without bias. ``cg.source`` shows
    that program (a layer a line), ``cg.scalar_source`` the same graph one op
    a line. Ops are attributes of ``ops`` (forwards) and ``rules`` (rules
    called as functions), the rules' helpers of ``helpers``, so no op name
    collides with another name. A ``code=`` template of a user op is the
    user's own Python, run as written on arrays (on floats, its forward runs).

    Raises:
        TypeError: output or an input is not a Value, or inputs is one Value.
        ValueError: an input is not a leaf or is given twice, wrt holds a
            Value outside inputs, or also one outside the graph.
    """
    inputs = _checked_inputs("compile_graph", output, inputs)
    wrt = list(inputs) if wrt is None else engine.check_inputs("compile_graph", output, wrt)
    input_set = set(inputs)
    outside = [x for x in wrt if x not in input_set]
    if outside:
        raise ValueError(f"compile_graph() wrt must be among the inputs; {outside[0]!r} is not")
    graph = set(engine.topological_order(output)) if also else set()
    stray = [v for v in also if v not in graph]
    if stray:
        raise ValueError(f"compile_graph() also: {stray[0]!r} is not in the output's graph")
    return CompiledGraph(output, inputs, wrt, also)


# ----- JavaScript, for the explorer page ---------------------------------------------------------

def to_javascript(output: Value, inputs: Sequence[Value], nodes: Sequence[Value]) -> str:
    """A JavaScript function expression: one number per input in, every node's value and gradient out.

    ``function (x0, x1, ...) { ...; return {values: [...], grads: [...]}; }``
    where values[i] and grads[i] are the value of nodes[i] and ∂output/∂nodes[i].
    Written from the same op rules as the Python (``helpers`` become the
    ``mgid`` functions of ops.JS_HELPERS, which the page includes once). A
    domain error gives NaN. An op without a ``js`` form: ValueError naming it.
    """
    inputs = _checked_inputs("to_javascript", output, inputs)
    order = engine.topological_order(output)[::-1]
    name: dict[Value, str] = {x: f"x{i}" for i, x in enumerate(inputs)}
    lines = []
    for node in order:
        if node in name:
            continue
        name[node] = f"v{len(name)}"
        if node.operation is None:
            lines.append(f"  const {name[node]} = {js_number(node.data)};")
        else:
            forward = js_forward(node.operation, [name[c] for c in node.children])
            lines.append(f"  const {name[node]} = {forward};")
    grad = {node: f"d{k}" for k, node in enumerate(order)}
    rules: dict[Op, list[Symbol]] = {}  # each op's rule, written down once
    lines.append(f"  let {', '.join(f'{grad[n]} = 0' for n in order)};")
    lines.append(f"  {grad[output]} = 1;")
    for node in reversed(order):
        op = node.operation
        if op is None:
            continue
        children = [name[c] for c in node.children]
        if op not in rules:
            rules[op] = _js_rule(op)
        printer = JavaScriptPrinter({"g": grad[node], "out": name[node], **{str(i): c for i, c in enumerate(children)}})
        for child, expression in zip(node.children, rules[op]):
            lines.append(f"  {grad[child]} += {printer.text(expression)};")
    missing = [v for v in nodes if v not in name]
    if missing:
        raise ValueError(f"to_javascript() nodes must be in the output's graph; {missing[0]!r} is not")
    values = ", ".join(name[v] for v in nodes)
    grads = ", ".join(grad[v] for v in nodes)
    arguments = ", ".join(name[x] for x in inputs)
    return "function (" + arguments + ") {\n" + "\n".join(lines) + \
        f"\n  return {{values: [{values}], grads: [{grads}]}};\n}}"


def _js_rule(op: Op) -> list[Symbol]:
    """op's rule as expressions over placeholders; a rule that branches on its numbers, one branch per outcome."""
    if not op.builtin:  # the user's rule: written down if it is plain arithmetic on its inputs
        g, out, inputs = placeholders(op.arity)
        try:
            return [symbol(d) for d in op.rule(g, out, *inputs)]
        except (Untraceable, TypeError, AttributeError) as error:
            raise ValueError(f"op {op.name!r} has a rule the page cannot run (it is not plain arithmetic: "
                             f"{error})") from error
    traced = trace_rule(op, [None] * op.arity)
    if traced is not None:
        return traced
    paths = trace_branches(op)  # JavaScript's c ? a : b picks the branch on the page's numbers
    expressions = []
    for i in range(op.arity):
        expression = paths[-1][1][i]
        for conditions, grads in reversed(paths[:-1]):
            expression = Symbol("select", conditions, grads[i], expression) if conditions else grads[i]
        expressions.append(expression)
    return expressions
