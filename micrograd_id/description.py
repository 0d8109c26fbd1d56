"""One description of a recorded graph, that explain, viz and explore all read.

``describe(root)`` orders the graph once (root first, each node before the
nodes it was computed from) and, on first use, works out from that one order
what the views print: each node's name, its local derivatives as numbers and
as formulas, the gradient of root with respect to every node (with each
op's contribution to each input, the way reverse mode adds them), how often
each node is used, and the neuron or layer boxes of graphs the nn module
built. Each view adds only its own rendering, so a page that draws the
graph, steps through backward and explains every gradient walks it once.

``values_below(root, limit)`` counts a graph without ordering it, stopping
past ``limit``: a view refuses a graph too big to show before doing any
other work.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from micrograd_id.engine import Value, local_derivatives, topological_order
from micrograd_id.notation import (
    ATOM,
    Expr,
    expression,
    fill,
    local_formula,
    name_of,
    nn_label,
    node_names,
    number,
    operand,
    operation,
    parse_nn_label,
    printable,
)

__all__ = ["Description", "describe", "values_below", "is_constant", "COLLAPSE_MODES", "SATURATED"]

COLLAPSE_MODES = ("neuron", "layer")
SATURATED = 0.01  # a sigmoid or tanh slope below this passes (almost) nothing back


def describe(root: Value) -> Description:
    """The description of root's graph: see the module's docstring. TypeError for a non-Value."""
    if not isinstance(root, Value):
        raise TypeError(f"a graph is described from a Value, got {type(root).__name__}")
    return Description(root)


def values_below(root: Value, limit: int | None, *, computed_only: bool = False) -> list[Value]:
    """Values of root's graph (root first), found without ordering it: at most limit + 1 of them.

    limit None: all of them.
    Stops as soon as it holds more than ``limit``, so asking whether a graph of a
    million nodes has more than 3000 costs about 3001 steps. computed_only:
    collect only the Values an op made (the walk still passes through leaves).
    """
    seen = {root}
    stack = [root]
    found = [root] if root.children or not computed_only else []
    if limit is None:
        limit = len(found) - 1 + 2 ** 62  # no graph in memory comes close
    while stack and len(found) <= limit:
        for child in stack.pop().children:
            if child not in seen:
                seen.add(child)
                stack.append(child)
                if child.children or not computed_only:
                    found.append(child)
    return found[:limit + 1]


class Description:
    """A recorded graph as the views see it; every part is computed once, on first use.

    A snapshot: describe the graph again after changing a Value's data.

    order     the nodes, root first, each before the nodes it was computed from
    index     {node: its position in order}
    names     {node: Expr}: labels, numbers for constants, short expressions otherwise
    gradients {node: d(root)/d(node)}, computed as reverse mode computes them
    """

    def __init__(self, root: Value) -> None:
        self.root = root
        self.order: list[Value] = topological_order(root)
        self.index: dict[Value, int] = {v: k for k, v in enumerate(self.order)}
        self._local: dict[Value, Sequence[float]] = {}
        self._names: dict[Value, Expr] = {}
        self._groups: dict[str, dict[Value, str]] = {}

    def __contains__(self, v: object) -> bool:
        return v in self.index

    def __len__(self) -> int:
        return len(self.order)

    # ----- names ---------------------------------------------------------------------------

    @property
    def names(self) -> dict[Value, Expr]:
        """{node: Expr} for every node (names are otherwise made only as they are asked for)."""
        if len(self._names) < len(self.order):
            node_names(self.order, self._names)
        return self._names

    def name(self, v: Value) -> str:
        """v's name in running text (a Value outside the graph: its label or its number)."""
        return self.expr(v).text

    def expr(self, v: Value) -> Expr:
        if v in self.index:
            return self._names[v] if v in self._names else name_of(v, self._names)
        return Expr(printable(v.label), ATOM) if v.label else number(v.data)

    def operand(self, v: Value) -> str:
        """v's name ready to stand beside an operator: bracketed unless a label, a number or a call."""
        return operand(self.expr(v))

    def d(self, top: Value, bottom: Value) -> str:
        """The symbol ∂top/∂bottom."""
        return f"∂{self.operand(top)}/∂{self.operand(bottom)}"

    def expression(self, v: Value) -> Expr:
        """The expression that made v over its inputs' names (never shortened at the top)."""
        return expression(v, self._named(v.children))

    def expression_with_numbers(self, v: Value, digits: int = 6) -> Expr:
        """The same expression with its inputs' numbers: "0.3·1" for w·x."""
        return fill(operation(v).notation, [number(c.data, digits) for c in v.children])

    def formula(self, v: Value, i: int) -> Expr:
        """∂v/∂(input i) as a formula over the names: "y_hat·(1 − y_hat)"."""
        return local_formula(v, i, self._named((v, *v.children)))

    def _named(self, nodes: Sequence[Value]) -> dict[Value, Expr]:
        for v in nodes:
            self.expr(v)
        return self._names

    def formula_with_numbers(self, v: Value, i: int, digits: int = 6) -> Expr:
        """The same formula with numbers: "0.574443·(1 − 0.574443)"."""
        numbers = {c: number(c.data, digits) for c in (v, *v.children)}
        return local_formula(v, i, numbers)

    # ----- numbers ---------------------------------------------------------------------------

    def local(self, v: Value) -> Sequence[float]:
        """∂v/∂input for each input of v, from its op's rule (computed once per node)."""
        found = self._local.get(v)
        if found is None:
            found = self._local[v] = local_derivatives(v)
        return found

    @cached_property
    def _sweep(self) -> tuple[dict[Value, float], dict[Value, tuple[float, ...]]]:
        # Reverse mode as the engine's reference loop runs it (same order, same additions), so
        # every gradient is the engine's bit for bit; kept here because the views also show
        # each op's contribution to each input, which the engine does not keep.
        grads: dict[Value, float] = {self.root: 1.0}
        contributions: dict[Value, tuple[float, ...]] = {}
        for node in self.order:
            if node.operation is None:
                continue
            local = tuple(node.operation.rule(grads[node], node.data, *[c.data for c in node.children]))
            contributions[node] = local
            for child, d in zip(node.children, local):
                grads[child] = grads[child] + d if child in grads else d
        return grads, contributions

    @property
    def gradients(self) -> dict[Value, float]:
        """{node: d(root)/d(node)} for every node; .grad is not touched."""
        return self._sweep[0]

    @property
    def contributions(self) -> dict[Value, tuple[float, ...]]:
        """{op's node: (g·∂node/∂input for each input)}: what backward adds to each input's grad."""
        return self._sweep[1]

    @cached_property
    def uses(self) -> dict[Value, int]:
        """{node: how many times ops use it} (an op using it twice counts twice)."""
        count: dict[Value, int] = {}
        for v in self.order:
            for c in v.children:
                count[c] = count.get(c, 0) + 1
        return count

    def depends_on(self, target: Value) -> set[Value]:
        """The nodes computed from target, target included: those the chain rule's paths run through."""
        found: set[Value] = set()
        for v in reversed(self.order):  # inputs before the nodes made from them
            if v is target or any(c in found for c in v.children):
                found.add(v)
        return found

    # ----- why a derivative is zero or tiny ---------------------------------------------------

    def why_flat(self, v: Value, i: int) -> str | None:
        """Why ∂v/∂(input i) is 0 (or, for a saturated sigmoid or tanh, almost 0); None otherwise."""
        d = self.local(v)[i]
        child = v.children[i]
        name, out = self.name(child), self.operand(v)
        if v.op in ("sigmoid", "tanh") and abs(d) < SATURATED:
            best = 0.25 if v.op == "sigmoid" else 1.0
            return (f"{v.op} is saturated: its input {self.name(child)} = {operand(number(child.data))} lies far "
                    f"out where the curve is flat, so its slope {d:.3g} is {100 * abs(d) / best:.2g}% of its largest "
                    f"({best:g}) and almost nothing passes back.")
        if d != 0.0:
            return None
        if v.op == "relu":
            where = f" ({v.label})" if v.label else ""
            return (f"relu is inactive{where}: its input {name} = {operand(number(child.data))} ≤ 0, so its slope is 0 "
                    f"and nothing passes back through it.")
        formula = self.formula(v, i).text
        if v.op == "*" and len(v.children) == 2:
            other = v.children[1 - i]
            return (f"∂{out}/∂{self.operand(child)} = {formula} = 0: the other factor {self.name(other)} is 0, "
                    f"so a change in {name} cannot change {self.name(v)}.")
        return f"∂{out}/∂{self.operand(child)} = {formula} = 0 here."

    # ----- boxes for neurons and layers ---------------------------------------------------------

    @cached_property
    def nn_labelled(self) -> bool:
        """True when some node carries a label of the nn module's grammar (its graph can collapse)."""
        return any(parse_nn_label(v.label) for v in self.order if v.label)

    def groups(self, mode: str) -> dict[Value, str]:
        """{node: its box's key} for every node inside a neuron ("L0.N1") or layer ("L0") box.

        Inside a box: its labelled parameters and outputs, and the nodes on the way
        from the one to the other (products, sums, activation). Outputs are
        boundaries, so the next layer stays out, and so does whatever computed a
        neuron's inputs. Unlabelled numbers used only inside one box go with it.
        """
        if mode not in COLLAPSE_MODES:
            raise ValueError(f"collapse must be None, 'neuron' or 'layer'; got {mode!r}")
        if mode not in self._groups:
            self._groups[mode] = self._collapse(mode)
        return self._groups[mode]

    def _collapse(self, mode: str) -> dict[Value, str]:
        labels = {v: _box_of(v.label, mode) for v in self.order}
        outputs = {v for v, (key, is_parameter) in labels.items() if key and not is_parameter}
        source: dict[Value, str] = {}  # the one box whose parameters a node was computed from
        for v in reversed(self.order):  # inputs first
            key = labels[v][0]
            if key is None:
                keys = {source[c] for c in v.children if c in source and c not in outputs}
                key = keys.pop() if len(keys) == 1 else None
            if key is not None:
                source[v] = key
        members: dict[Value, str] = {}
        for v in self.order:  # users first: keep what feeds a member of its own box
            own = labels[v][0]
            if own is not None:
                members[v] = own
            if v in members:
                for c in v.children:
                    if c not in outputs and source.get(c) == members[v]:
                        members[c] = members[v]
        users: dict[Value, set[str | None]] = {}
        for v in self.order:
            for c in v.children:
                if is_constant(c):
                    users.setdefault(c, set()).add(members.get(v))
        for c, boxes in users.items():
            box = boxes.pop() if len(boxes) == 1 else None
            if box is not None:
                members[c] = box
        return members


def is_constant(v: Value) -> bool:
    """An unlabelled leaf: a plain number the engine wrapped (the 2 in 2 * v)."""
    return not v.children and not v.label


def _box_of(label: str, mode: str) -> tuple[str | None, bool]:
    """(the box key of a label of the nn grammar, whether it names a parameter); (None, False) otherwise."""
    parsed = parse_nn_label(label)
    if parsed is None:
        return None, False
    key = nn_label(parsed.layer, parsed.neuron if mode == "neuron" else None)
    return key, parsed.parameter is not None

