"""Writing a planned graph as a Python function: the emission half of compile_graph.

One variable per node, one line per op (the forward pass), then one line per
edge in reverse (the backward pass), adding up where a node feeds several
ops; a layer (see ``planning``) is one matrix product each way. An
unlabelled value used once, and not read by the backward pass, is written
inside the line of the op that uses it, so a neuron is one line.

The program's global names are few and fixed: ``ops`` (the op forwards it
calls), ``rules`` (the rules it calls), ``helpers`` (the rules' helper
table), ``np``, ``inf``, ``nan``, ``stack_rows`` and ``rows_like`` (a
layer's rows as one block) and ``check`` (detect_anomaly). An op's
name, however a user spelled it ("sign", "np", "a b"), is an attribute of
``ops``, never a variable, so it cannot collide with another op, a helper
or a label. What the names stand for is the caller's: floats (the engine's
functions) or numpy arrays.
"""

from __future__ import annotations

import builtins
import keyword
import operator
import re

from micrograd_id.engine import Value
from micrograd_id.notation import Expr, fill
from micrograd_id.ops import ATOM, DIV, POW, SUM, Op
from micrograd_id.planning import Layer, Plan, Slot
from micrograd_id.tracing import Printed, PythonPrinter, Symbol, comment, python_number

__all__ = ["FUNCTION", "GLOBALS", "PythonProgram", "identifier"]

FUNCTION = "forward_backward"
GLOBALS = ("ops", "rules", "helpers", "np", "inf", "nan", "stack_rows", "rows_like", "check")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")  # what a label may become as a name
_RESERVED = set(keyword.kwlist) | set(dir(builtins)) | {"math", FUNCTION, *GLOBALS}
_FOLD_LIMIT = 64  # ops in one expression at most: deep chains stay within the parser's limits

# The forwards that are exactly their code template on floats and never refuse an input.
_TOTAL_ON_FLOATS = (operator.add, operator.sub, operator.mul, operator.neg, abs)


def _template_on_floats(op: Op, strict: bool) -> bool:
    """Whether the float program writes op's code template out rather than calling its forward.

    strict: only where the template never refuses an input (so every error is the
    forward's own, with the engine's message). Otherwise also where the template
    refuses exactly when the forward does, by an exception of the same type:
    a division (ZeroDivisionError) and a power with an integer exponent
    (ZeroDivisionError, OverflowError); the caller reruns the strict program
    for the engine's message. A power with any other exponent is never
    written out on floats: Python gives a complex number where the forward raises.
    """
    if op.code is None or not op.builtin:
        return False
    if op.forward in _TOTAL_ON_FLOATS:
        return True
    return not strict and (op is DIV or (op.power is not None and float(op.power).is_integer()))


def identifier(wanted: str) -> str | None:
    """wanted as a plain identifier (L0.N1.w2 -> L0_N1_w2), or None if it cannot be one."""
    name = re.sub(r"[.\-\[\]]", "_", wanted) if wanted else wanted
    return name if name and _IDENTIFIER.fullmatch(name) and not keyword.iskeyword(name) else None


class _Names:
    """Unique identifiers in one name space; a wanted name that is reserved there gets the fallback."""

    def __init__(self, reserved: set[str] | frozenset[str] = frozenset()) -> None:
        self.reserved = frozenset(reserved)
        self.taken = set(reserved)

    def fresh(self, wanted: str | None, fallback: str) -> str:
        base = wanted if wanted and wanted not in self.reserved else fallback
        name, k = base, 2
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.add(name)
        return name


def _derivative_text(op: Op, i: int, names: list[str], out: str) -> str:
    """∂out/∂(input i) as the notation writes it, over the program's names."""
    return fill(op.derivatives[i], [Expr(n, ATOM) for n in names], Expr(out, ATOM)).text


def _op_attribute(op: Op) -> str | None:
    """The name of op's forward and rule as attributes of ``ops`` and ``rules``: its own, if it can be one."""
    if op is POW:
        return "pow"
    wanted = identifier("pow" + format(op.power, "g").replace("-", "m").replace(".", "_")) \
        if op.power is not None else identifier(op.name)
    return None if wanted is None or wanted.startswith("_") else wanted  # never a dunder of the namespace


class PythonProgram:
    """The source of one compiled graph, and the ops and rules it calls.

    on_floats: forwards that can refuse an input are called (``ops.log(x)``,
    ``ops.pow0_5(x)``; with strict, also ``/`` and integer powers) rather than
    written out, and the program returns the gradients of ``plan.wrt`` in order. Otherwise it takes one argument per
    slot, returns a gradient for each slot holding an input of wrt
    (``plan.returned``) and, with layers, writes them as matrix products.
    checks: a ``check(value, k)`` after every line, for detect_anomaly
    (``messages[k]`` says which op), and nothing folded into another line.
    """

    def __init__(self, plan: Plan, *, on_floats: bool, layers: bool = True, checks: bool = False,
                 strict: bool = False) -> None:
        self.plan, self.on_floats, self.checks, self.strict = plan, on_floats, checks, strict or checks
        self.layers = plan.layers if layers and not on_floats and not checks else []
        self.units = plan.units if self.layers else plan.scalar_units
        self.layer_results: set[str] = set()
        self.lines: list[str] = []
        self.messages: list[str] = []
        self.op_attributes: dict[Op, str] = {}  # an op's name in the program's ``ops`` and ``rules``
        self.forwards: dict[Op, str] = {}  # the ops whose forward the program calls
        self.rule_calls: dict[Op, str] = {}  # the ops whose rule the program calls
        self._op_names = _Names()
        self.names = _Names(_RESERVED)
        self.printer = PythonPrinter({}, self._forward_call)
        self.name: dict[Value, str] = {}  # node -> its variable, row of a block, or literal
        self._name_nodes()
        self._write()
        self.source = "\n".join(self.lines) + "\n"

    # ----- names -------------------------------------------------------------------------------

    def _name_nodes(self) -> None:
        plan, name = self.plan, self.name
        for k, node in enumerate(plan.inputs):
            name[node] = self.names.fresh(identifier(node.label), f"x{k}")
        self.block: dict[int, str] = {}  # layer index -> the name of its output block
        for layer in self.layers:
            k = layer.index
            self.block[k] = self.names.fresh(None, f"A{k}" if layer.activation else f"Z{k}")
            for j, neuron in enumerate(layer.neurons):
                name[neuron.output] = f"{self.block[k]}[{j}]"
        counter = 0
        inside_layers = {node for layer in self.layers for node in layer.members}  # never written on their own
        for node in plan.order:
            if node in name or node in inside_layers:
                continue
            if plan.constant(node):
                name[node] = python_number(plan.constants[node])
            else:
                name[node] = self.names.fresh(identifier(node.label), f"v{counter}")
                counter += 1
        self.layer_names: dict[int, dict[str, str]] = {}
        for layer in self.layers:
            k = layer.index
            self.layer_names[k] = {part: self.names.fresh(None, f"{part}{k}") for part in ("W", "b", "U", "Z")}
        self.slots: list[Slot] = plan.slots if self.layers else plan.scalar_slots
        self.arguments = [name[plan.inputs[int(slot.positions)]] if slot.kind == "input"
                          else self.layer_names[slot.layer]["W" if slot.kind == "weights" else "b"]
                          for slot in self.slots]

    def _op_attribute(self, op: Op) -> str:
        if op not in self.op_attributes:
            self.op_attributes[op] = self._op_names.fresh(_op_attribute(op), f"op{len(self.op_attributes)}")
        return self.op_attributes[op]

    def _forward_call(self, op: Op) -> str | None:
        """``ops.NAME`` if the program calls op's forward; None where its template is written out."""
        if op.code is not None and (not self.on_floats or _template_on_floats(op, self.strict)):
            return None
        self.forwards[op] = self._op_attribute(op)
        return f"ops.{self.forwards[op]}"

    # ----- lines -------------------------------------------------------------------------------

    def _line(self, code: str, note: str, limit: int = 100) -> None:
        self.lines.append(f"    {code:<44}  # {comment(note, limit)}")

    def _check(self, variable: str, message: str) -> None:
        if self.checks:
            self.lines.append(f"    check({variable}, {len(self.messages)})")
            self.messages.append(message)

    def _write(self) -> None:
        plan, name = self.plan, self.name
        self.lines.append(f"def {FUNCTION}({', '.join(self.arguments)}):")
        self.lines.append("    # forward: each value computed after the values it uses; an unlabelled value used once")
        self.lines.append("    # and not read by the backward pass is written inside that op's line (the same order)")
        self.folded: dict[Value, tuple[Symbol, int, list[str]]] = {}  # node -> (expression, ops in it, notes)
        self.named_for_layers = {u for layer in self.layers for u in layer.u}
        for unit in self.units:
            if isinstance(unit, Layer):
                self._layer_forward(unit)
            else:
                self._forward_line(unit)
        output = plan.output
        self.grad: dict[Value, str] = {}
        self.assigned: set[Value] = set()
        self.block_grads: dict[int, list[str]] = {layer.index: [] for layer in self.layers}
        self.lines.append(f"    # backward: d_n is ∂{name[output]}/∂n. The chain rule, one edge per line, "
                          "from the output:")
        self.lines.append("    # an op's d times its local derivative is added to each input's d")
        if plan.needs[output]:
            self._set_grad(output, "1.0", f"∂{name[output]}/∂{name[output]} = 1")
        for unit in (reversed(self.units) if self.layers else self.plan.scalar_backward):
            if isinstance(unit, Layer):
                self._layer_backward(unit)
            elif plan.needs[unit]:
                self._backward_lines(unit)
        kept = f", [{', '.join(name[v] for v in plan.also)}]" if plan.also else ""
        self.lines.append(f"    return {name[output]}, [{', '.join(self._results())}]{kept}")

    def _results(self) -> list[str]:
        """The gradients returned: of wrt in order on floats, else of each slot holding an input of wrt."""
        if self.on_floats:
            return [self.grad[x] if x in self.assigned else "0.0" for x in self.plan.wrt]
        results = []
        for s in self.plan.returned(self.slots):
            slot, argument = self.slots[s], self.arguments[s]
            if slot.kind == "input":
                x = self.plan.inputs[int(slot.positions)]
                results.append(self.grad[x] if x in self.assigned else "0.0")
            else:
                results.append(f"d_{argument}" if argument in self.layer_results else "0.0")
        return results

    # ----- forward ------------------------------------------------------------------------------

    def _argument(self, node: Value) -> tuple[Symbol, int, list[str]]:
        if node in self.folded:
            return self.folded.pop(node)
        if self.plan.constant(node):
            return Symbol("number", self.plan.constants[node]), 0, []
        return Symbol.name(self.name[node]), 0, []

    def _forward_line(self, node: Value) -> None:
        plan = self.plan
        arguments = [self._argument(c) for c in node.children]
        expression = Symbol("forward", node.operation, *(a[0] for a in arguments))
        held = sum(a[1] for a in arguments)
        notes = [n for a in arguments for n in a[2]]
        if plan.foldable(node) and held < _FOLD_LIMIT and not self.checks and node not in self.named_for_layers:
            self.folded[node] = (expression, held + 1, notes + [self._short(node)])
            return
        note = self._note(node) + (f"; inside, in order: {', '.join(notes)}" if notes else "")
        self._line(f"{self.name[node]} = {self.printer.text(expression)}", note, limit=100 if not notes else 240)
        self._check(self.name[node], f"forward of op {node.op!r} gave {{}} for {self.name[node]} (compiled graph)")

    def _note(self, node: Value) -> str:
        """The comment of node's op: its symbol and local derivatives, on its inputs' names."""
        op, name = node.operation, self.name
        assert op is not None
        args = [name[c] for c in node.children]
        local = ", ".join(f"∂{name[node]}/∂{a} = {_derivative_text(op, i, args, name[node])}"
                          for i, (a, c) in enumerate(zip(args, node.children)) if self.plan.depends[c])
        label = f"{node.label} = " if node.label and identifier(node.label) != name[node] else ""
        return f"{label}{op.symbol}: {local}" if local else f"{label}{op.symbol}"

    def _short(self, node: Value) -> str:
        """node's op on its inputs' names: what a folded node would have been as a line of its own."""
        op, args = node.operation, [self.name[c] for c in node.children]
        assert op is not None
        text = op.code.format(*args) if op.code is not None else f"{op.name}({', '.join(args)})"
        return f"{self.name[node]} = {text}"

    def _layer_forward(self, layer: Layer) -> None:
        k, names = layer.index, self.layer_names[layer.index]
        U = self._layer_input(layer)
        product = f"{names['W']} @ {U}" + (f" + {names['b']}" if layer.has_bias else "")
        what = f"{_neurons(layer)}: {_count(len(layer.neurons), 'neuron')} × {_count(len(layer.u), 'input')}"
        act = layer.activation
        if act is None:
            self._line(f"{self.block[k]} = {product}", f"{what}, z = W·u" + (" + b" if layer.has_bias else ""))
            return
        rule = self.plan.rules.get(layer.neurons[0].output)
        keeps_z = self.plan.needs[layer.neurons[0].output] and (rule is None or "0" in rule[0].names())
        z: Printed = (names["Z"], ATOM) if keeps_z else (product, SUM)
        if keeps_z:
            self._line(f"{names['Z']} = {product}", f"{what}, z = W·u" + (" + b" if layer.has_bias else ""))
        self.printer.names = {"z": z}
        self._line(f"{self.block[k]} = {self.printer.text(Symbol('forward', act, Symbol.name('z')))}",
                   f"{what}, {act.symbol}(W·u" + (" + b)" if layer.has_bias else ")"))
        self.printer.names = {}

    def _layer_input(self, layer: Layer) -> str:
        """The name of the block U the layer multiplies: a previous layer's block as it is, else stacked rows."""
        U = self._input_block(layer)
        if layer.source is None:
            self._line(f"{U} = stack_rows({', '.join(self.name[u] for u in layer.u)})",
                       "the layer's inputs, a row each")
        return U

    # ----- backward -----------------------------------------------------------------------------

    def _set_grad(self, node: Value, text: str, note: str, op: Op | None = None) -> None:
        """Add text to node's gradient (the first contribution sets it)."""
        if node not in self.grad:
            self.grad[node] = self.names.fresh(f"d_{self.name[node].replace('[', '_').rstrip(']')}", "d")
        total = f"{self.grad[node]} + {text}" if node in self.assigned else text
        # `d = d + term`, not `d += term`: on numpy arrays += works in place, and d may be
        # the very array another gradient was set to (d_x1 = d_v2 after a +).
        self.assigned.add(node)
        self._line(f"{self.grad[node]} = {total}", note)
        by = f"of op {op.name!r} " if op is not None else ""
        self._check(self.grad[node], f"backward {by}gave gradient {{}} for input {self.name[node]} (compiled graph)")

    def _backward_lines(self, node: Value) -> None:
        op, name, plan = node.operation, self.name, self.plan
        assert op is not None
        if node not in self.assigned:
            return  # nothing flows into it (it feeds only ops outside wrt's paths)
        args = [name[c] for c in node.children]
        traced = plan.rules[node]
        if traced is None:  # the rule is called: on arrays element by element
            self.rule_calls[op] = self._op_attribute(op)
            parts = self.names.fresh(f"d_{name[node]}_inputs" if identifier(name[node]) else None, "parts")
            call = f"rules.{self.rule_calls[op]}({', '.join([self.grad[node], name[node], *args])})"
            self.lines.append(f"    {parts} = {call}  # the rule of {comment(op.name, 40)} (not plain arithmetic)")
            texts = [f"{parts}[{i}]" for i in range(len(args))]
        else:
            self.printer.names = {"g": (self.grad[node], ATOM), "out": (name[node], ATOM),
                                  **{str(i): (a, ATOM) for i, a in enumerate(args)}}
            texts = [self.printer.text(d) for d in traced]
            self.printer.names = {}
        for i, (child, text) in enumerate(zip(node.children, texts)):
            if not plan.needs[child]:
                continue
            if text == self.grad[node] and plan.uses[child] == 1 and child.children:  # after a +: no line needed
                self.lines.append(f"    # d_{comment(name[child])} is {text}: ∂{name[node]}/∂{args[i]} = 1")
                self.grad[child] = text
                self.assigned.add(child)
                continue
            self._set_grad(child, text, f"∂{name[node]}/∂{args[i]} = {_derivative_text(op, i, args, name[node])}", op)

    def _layer_backward(self, layer: Layer) -> None:
        k, names, plan = layer.index, self.layer_names[layer.index], self.plan
        block, rows = self.block[k], [n.output for n in layer.neurons]
        if not plan.needs[rows[0]]:
            return
        parts = list(self.block_grads[k])
        if any(r in self.assigned for r in rows):
            row_grads = ", ".join(self.grad[r] if r in self.assigned else "0.0" for r in rows)
            parts.append(f"rows_like({block}, {row_grads})")
        if not parts:
            return
        d_block = self.names.fresh(f"d_{block}", "d_block")
        self._line(f"{d_block} = {' + '.join(parts)}", f"∂/∂{block}: each row's gradient, from the ops that use it")
        d_z = d_block
        act = layer.activation
        if act is not None:
            d_z = self.names.fresh(f"d_{names['Z']}", "d_z")
            traced = plan.rules[rows[0]]
            if traced is None:
                self.rule_calls[act] = self._op_attribute(act)
                z = names["Z"]
                self._line(f"{d_z} = rules.{self.rule_calls[act]}({d_block}, {block}, {z})[0]",
                           f"the rule of {act.name}, on every neuron at once")
            else:
                self.printer.names = {"g": (d_block, ATOM), "out": (block, ATOM), "0": (names["Z"], ATOM)}
                self._line(f"{d_z} = {self.printer.text(traced[0])}",
                           f"through {act.symbol}: {_derivative_text(act, 0, [names['Z']], block)}")
                self.printer.names = {}
        U = self._input_block(layer)
        if any(plan.needs[w] for row in layer.weights() for w in row):
            self._line(f"d_{names['W']} = {d_z} @ {U}.T", "∂/∂W: each weight's d_z times its input, over the samples")
            self.layer_results.add(names["W"])
        if layer.has_bias and any(plan.needs[b] for b in layer.biases()):
            self._line(f"d_{names['b']} = {d_z}.sum(axis=1, keepdims=True)", "∂/∂b: d_z summed over samples")
            self.layer_results.add(names["b"])
        if any(plan.needs[u] for u in layer.u):
            contribution = f"{names['W']}.T @ {d_z}"
            if layer.source is not None:
                self.block_grads[layer.source.index].append(contribution)
                return
            d_u = self.names.fresh(f"d_{names['U']}", "d_u")
            self._line(f"{d_u} = {contribution}", "∂/∂u: the weights transposed times d_z")
            for i, u in enumerate(layer.u):
                if plan.needs[u]:
                    self._set_grad(u, f"{d_u}[{i}]", f"row {i} of {d_u}")

    def _input_block(self, layer: Layer) -> str:
        """The name of the block U the layer multiplies (written by _layer_input)."""
        return self.block[layer.source.index] if layer.source is not None else self.layer_names[layer.index]["U"]


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _neurons(layer: Layer) -> str:
    """The neurons a layer stands for, by their labels: "L0: N0…N15"."""
    labels = [n.output.label or n.z.label for n in layer.neurons]
    if not all(labels):
        return f"layer {layer.index}"
    prefix = labels[0].rpartition(".")[0]
    if prefix and all(label.rpartition(".")[0] == prefix for label in labels):
        rest = [label.rpartition(".")[2] for label in labels]
        return f"{prefix}: {rest[0]}…{rest[-1]}" if len(rest) > 2 else f"{prefix}: {', '.join(rest)}"
    return f"{labels[0]}…{labels[-1]}" if len(labels) > 2 else ", ".join(labels)

