"""What a recorded graph is, before a line of it is written: the analysis half of compile_graph.

For each node: is it an input, a constant (it depends on no input: its
number is baked in), or an op to compute; does a gradient the caller asked
for flow through it; how many ops use it; which nodes' values the backward
pass reads (each op's rule, traced once per op and pattern of constants);
and which nodes form **layers**.

A layer is the tensor program hiding in scalar code. Neurons that each
compute act(Σ_i p_ji·u_i + b_j) over the same inputs u, with parameters
p_ji, b_j of their own (inputs of the compiled graph used nowhere else),
are one matrix product: Z = W @ U + b, A = act(Z), where row j of W holds
neuron j's weights in the order of U. Backward, the chain rule over all
of them at once is again matrix products: dW = dZ @ Uᵀ, dU = Wᵀ @ dZ, and
db sums dZ over the samples. Nothing here knows a network: the structure is
read from the graph, whoever built it (nn's MLP, or a learner's own Values).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Union

import numpy as np

from micrograd_id.engine import Value, topological_order
from micrograd_id.ops import ADD, MUL, Op
from micrograd_id.tracing import Symbol, trace_rule

__all__ = ["Plan", "Layer", "Neuron", "Slot"]


@dataclass
class Neuron:
    """One act(Σ_i w_i·u_i + b) found in the graph."""

    output: Value  # act(z), or z itself for a linear neuron
    z: Value
    weights: list[Value]  # its weight of each of u
    u: list[Value]  # what it weighs, in its layer's order
    bias: Value | None
    inner: list[Value]  # the + and × nodes inside (and z under an activation): never written out one by one


@dataclass
class Layer:
    """Neurons over the same inputs u with the same activation: one matrix product."""

    index: int
    neurons: list[Neuron]
    u: list[Value]
    activation: Op | None
    has_bias: bool
    members: set[Value] = field(default_factory=set)  # every node the layer computes
    # The earlier layer whose outputs are this layer's u, row for row: its block is this layer's input.
    source: Layer | None = field(default=None, repr=False, compare=False)

    def weights(self) -> list[list[Value]]:
        return [n.weights for n in self.neurons]

    def biases(self) -> list[Value]:
        return [n.bias for n in self.neurons if n.bias is not None]


@dataclass
class Slot:
    """One argument of the program on arrays: a single input, or a layer's weights or biases stacked.

    positions: the inputs it holds (positions in ``inputs``), in its shape:
    () for a single input, (neurons, inputs of the layer) for weights,
    (neurons, 1) for biases (a column, added to every sample's column).
    """

    kind: str  # "input", "weights" or "biases"
    positions: np.ndarray
    layer: int = -1  # the layer of a weights or biases slot


Unit = Union[Value, Layer]  # what one step of the program computes: one node, or a whole layer


class Plan:
    """The analysis of the graph below ``output``: read by the program writers, never changed by them."""

    def __init__(self, output: Value, inputs: Sequence[Value], wrt: Sequence[Value], also: Sequence[Value]) -> None:
        self.output, self.inputs, self.wrt, self.also = output, list(inputs), list(wrt), list(also)
        self.input_set, self.also_set, self.wrt_set = set(inputs), set(also), set(wrt)
        self.order = order = forward_order(output)
        self.depends: dict[Value, bool] = {}  # whether the node depends on an input (else it is a constant)
        self.needs: dict[Value, bool] = {}  # whether a gradient in wrt flows through it
        self.uses: dict[Value, int] = {}  # how many op inputs it is
        for node in order:
            depends, needs = node in self.input_set, node in self.wrt_set
            for child in node.children:
                depends, needs = depends or self.depends[child], needs or self.needs[child]
                self.uses[child] = self.uses.get(child, 0) + 1
            self.depends[node], self.needs[node] = depends, needs
        # The numbers baked in, as they are now: a program written later must not see a leaf changed since.
        self.constants = {node: node.data for node in order if not self.depends[node]}
        self.rules = self._trace_rules()
        self.read = self._read_by_backward()
        self.layers = self._find_layers()
        self.layer_of = {node: layer for layer in self.layers for node in layer.members}
        self.scalar_units: list[Unit] = [node for node in order if self.computed(node)]
        # Backward in the engine's order, so that on floats each gradient adds its terms as the engine does.
        self.scalar_backward: list[Value] = [node for node in topological_order(output) if self.computed(node)]
        self.units = self._unit_order() if self.layers else self.scalar_units
        self.scalar_slots = [Slot("input", np.array(i)) for i in range(len(self.inputs))]
        self.slots = self._slots() if self.layers else self.scalar_slots

    def computed(self, node: Value) -> bool:
        """Whether the program computes node (an op over some input), rather than taking or baking it in."""
        return node.operation is not None and self.depends[node]

    def constant(self, node: Value) -> bool:
        """Whether node depends on no input: its number is baked into the program."""
        return not self.depends[node]

    # ----- the rules, and what the backward pass reads --------------------------------------

    def _trace_rules(self) -> dict[Value, list[Symbol] | None]:
        """Each op node's rule as expressions over placeholders (None: called), traced once per op and constants."""
        cache: dict[tuple[Op, tuple[str | None, ...]], list[Symbol] | None] = {}
        rules = {}
        for node in self.order:
            op = node.operation
            if op is None or not self.needs[node]:
                continue
            constants = [self.constants.get(c) for c in node.children]
            key = (op, tuple(None if c is None else repr(c) for c in constants))
            if key not in cache:
                cache[key] = trace_rule(op, constants)
            rules[node] = cache[key]
        return rules

    def _read_by_backward(self) -> set[Value]:
        """The nodes whose values some backward line reads (these are written out, never folded away)."""
        read: set[Value] = set()
        for node, traced in self.rules.items():
            if traced is None:  # the rule is called with the node's value and its inputs'
                read.update([node, *node.children])
                continue
            for child, expression in zip(node.children, traced):
                if self.needs[child]:
                    for key in expression.names():
                        if key == "out":
                            read.add(node)
                        elif key != "g":
                            read.add(node.children[int(key)])
        return read

    def foldable(self, node: Value) -> bool:
        """Whether node may be written inside the line of the one op that uses it."""
        return self.computed(node) and self._single(node) and not node.label and node not in self.read

    # ----- layers ------------------------------------------------------------------------------

    def _find_layers(self) -> list[Layer]:
        free = {x for x in self.inputs if self.uses.get(x) == 1 and x not in self.also_set}
        claimed: set[Value] = set()
        groups: dict[tuple[object, ...], list[Neuron]] = {}
        for node in reversed(self.order):  # consumers first, so an activation claims its sum
            if node in claimed or not self.computed(node):
                continue
            neuron = None
            op = node.operation
            if op is not None and op.arity == 1 and self._single(node.children[0]):
                neuron = self._neuron(node, node.children[0], op, free)
            if neuron is None:
                neuron = self._neuron(node, node, None, free)
            if neuron is None:
                continue
            claimed.update(neuron.inner)
            key = (frozenset(map(self._same, neuron.u)), op if neuron.z is not node else None, neuron.bias is None)
            groups.setdefault(key, []).append(neuron)
        position = {node: k for k, node in enumerate(self.order)}
        parameter = {x: k for k, x in enumerate(self.inputs)}
        layers: list[Layer] = []
        for neurons in sorted(groups.values(), key=lambda ns: min(position[n.output] for n in ns)):
            if len(neurons) * len(neurons[0].u) < 2:  # one weight: a scalar line says it better
                continue
            neurons.sort(key=lambda n: min(parameter[w] for w in n.weights))  # rows in the order of the inputs
            source = next((earlier for earlier in layers
                           if {n.output for n in earlier.neurons} == set(neurons[0].u)), None)
            u = [n.output for n in source.neurons] if source is not None else neurons[0].u
            for n in neurons:  # each neuron's weights in the order of u
                by_u = dict(zip(map(self._same, n.u), n.weights))
                n.weights, n.u = [by_u[self._same(x)] for x in u], list(u)
            first = neurons[0]
            layer = Layer(len(layers), neurons, list(u),
                          first.output.operation if first.z is not first.output else None, first.bias is not None)
            layer.members = {node for n in neurons for node in (n.output, *n.inner)}
            layer.source = source
            layers.append(layer)
        return layers

    def _same(self, u: Value) -> object:
        """What makes two neurons' inputs the same: the node, or for a constant its number
        (``model([1.0, -2.0])`` makes a new Value of 1.0 for each neuron)."""
        return ("constant", repr(self.constants[u])) if self.constant(u) else u

    def _single(self, node: Value) -> bool:
        """Used by one op only, and not asked for by the caller: may vanish into a layer."""
        return self.uses.get(node) == 1 and node not in self.also_set and node is not self.output

    def _neuron(self, output: Value, z: Value, activation: Op | None, free: set[Value]) -> Neuron | None:
        """output = activation(z), z = Σ w_i·u_i (+ b) with weights and bias in ``free``; else None."""
        terms, inner, stack = [], [], [z]
        while stack:
            node = stack.pop()
            if node.operation is ADD and (node is z or self._single(node)):
                inner.append(node)
                stack.extend(reversed(node.children))  # the left operand first
            else:
                terms.append(node)
        pairs, bias = [], None
        for term in terms:
            if term in free:
                if bias is not None:
                    return None
                bias = term
            elif term.operation is None and self.constants.get(term) == 0.0:
                continue  # the 0 that Python's sum() starts from
            elif term.operation is MUL and (term is z or self._single(term)):
                a, b = term.children
                if a is b or not (a in free or b in free):
                    return None
                if b in free and (a not in free or (b in self.wrt_set and a not in self.wrt_set)):
                    a, b = b, a  # the weight: the factor of its own, and of two, the one differentiated by
                pairs.append((a, b))
                inner.append(term)
            else:
                return None
        us = [u for _, u in pairs]
        if not pairs or len(set(map(self._same, us))) != len(us) or any(u in free for u in us):
            return None
        if activation is not None:
            inner.append(z)
        inner = [node for node in inner if node is not output]
        return Neuron(output, z, [w for w, _ in pairs], us, bias, inner)

    def returned(self, slots: list[Slot]) -> list[int]:
        """The slots whose gradients a program returns: those holding an input of wrt."""
        return [s for s, slot in enumerate(slots)
                if any(self.inputs[int(i)] in self.wrt_set for i in slot.positions.flat)]

    def _slots(self) -> list[Slot]:
        """The program's arguments: each layer's weights and biases where their first one is among the inputs."""
        position = {x: i for i, x in enumerate(self.inputs)}
        block: dict[Value, tuple[Layer, str]] = {}
        for layer in self.layers:
            block.update({w: (layer, "weights") for row in layer.weights() for w in row})
            block.update({b: (layer, "biases") for b in layer.biases()})
        slots, placed = [], set()
        for i, x in enumerate(self.inputs):
            if x not in block:
                slots.append(Slot("input", np.array(i)))
                continue
            layer, kind = block[x]
            if (layer.index, kind) in placed:
                continue
            placed.add((layer.index, kind))
            rows = layer.weights() if kind == "weights" else [[b] for b in layer.biases()]
            slots.append(Slot(kind, np.array([[position[p] for p in row] for row in rows]), layer.index))
        return slots

    # ----- the order of the program ------------------------------------------------------------

    def _unit_order(self) -> list[Unit]:
        """The nodes and layers to compute, each after everything it reads (a layer as one step)."""
        units: list[Unit] = []
        done: set[int] = set()
        for node in self.order:
            if not self.computed(node):
                continue
            stack: list[tuple[Unit, bool]] = [(self.layer_of.get(node, node), False)]
            while stack:
                unit, ready = stack.pop()
                if id(unit) in done:
                    continue
                if ready:
                    done.add(id(unit))
                    units.append(unit)
                    continue
                stack.append((unit, True))
                for child in self._reads(unit):
                    if self.computed(child):
                        dependency = self.layer_of.get(child, child)
                        if dependency is not unit and id(dependency) not in done:
                            stack.append((dependency, False))
        return units

    @staticmethod
    def _reads(unit: Unit) -> list[Value]:
        if isinstance(unit, Layer):
            return list(unit.u)
        return list(unit.children)


def forward_order(root: Value) -> list[Value]:
    """Every node below root, each after the nodes it is computed from, first operands first.

    The engine's topological order reversed would do as well; this one reads
    as the code was written (neuron 0 before neuron 1). Iterative, as the engine's.
    """
    order: list[Value] = []
    done: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if node in done:
            continue
        if ready or not node.children:
            done.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.children) if child not in done)
    return order
