"""The explorer's walk as data: the graph's nodes and arrows, and the steps through them.

Nothing here carries a finished number, so the page can recompute every
number (a learner changes w) and the words, all written in Python, stay true.
Node i is the i-th Value of the topological order (the root is 0); edge k is
the k-th arrow in the order backward passes gradients along them, which is
the order of the steps, so the gradient a step shows is the sum of the edges
passed so far.

An operation's step is only a reference: ``{"kind": "forward", "node": i}``
or ``{"kind": "backward", "node": i}``; the page writes it from the op
sentences of ``explore.words`` with the node's names and current numbers.
A neuron or layer drawn as one box is one step each way, written here (its
weighted sum and activation; backward, a table of what it hands each input)
as text pieces: strings, and ``[code, index]`` for a number the page fills
in (``v`` value of node i, ``g`` its gradient, ``d`` edge k's local
derivative, ``c`` what edge k adds, ``a`` the input's gradient after it;
a third element 1 puts a negative number in parentheses). The box keeps the
steps of its own ops, for a learner who opens it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from micrograd_id.description import SATURATED, Description
from micrograd_id.engine import Value
from micrograd_id.notation import ATOM, Expr, fill, is_number, local_formula, operation

Text = list[Any]  # str | [code, index] | [code, index, 1]

MAX_LEAVES_LISTED = 12
# Why a gradient along an arrow into these ops can be zero (or tiny) though one arrives;
# along + and − it cannot: their local derivatives are ±1.
WHY = {"relu": "relu", "*": "product", "sigmoid": "saturated", "tanh": "saturated"}
NEVER_FLAT = {"+", "-", "neg"}


class Steps:
    """The nodes, the edges in the order backward passes along them, and every step.

    graph: the graph's description; group_of: {Value: the key of the box it is drawn
    in} for the Values inside a collapsed neuron or layer; members: {key: its Values,
    in the graph's order} (the drawing's ``groups``).
    """

    def __init__(self, graph: Description, group_of: dict[Value, str], members: dict[str, list[Value]]) -> None:
        self.graph = graph
        self.order = graph.order
        self.index = graph.index
        self.group_of = group_of
        self.members = members
        self.root = graph.operand(self.order[0])
        self.edges: list[tuple[Value, int, Value]] = []  # (op's output, input index, input)
        # A box's outputs: the members something outside the box uses, or the root.
        used = {c for v in self.order for c in v.children if c in group_of and group_of.get(v) != group_of[c]}
        self.outputs = {key: [m for m in box if m in used or m is self.order[0]] for key, box in members.items()}
        self.steps = [self._start()] + self._forward_steps() + self._backward_steps()

    # ----- the graph, as the op sentences need it ------------------------------------------------

    def node(self, v: Value) -> dict[str, Any]:
        """A node's names: name, operand form and expression (each only where it differs)."""
        g = self.graph
        node: dict[str, Any] = {"name": g.name(v)}
        if g.operand(v) != node["name"]:
            node["operand"] = g.operand(v)
        if v.children:
            node["op"] = operation(v).symbol
            node["notation"] = operation(v).notation
            if v.label:
                node["expr"] = g.expression(v).text
        return node

    def edge(self, k: int) -> list[Any]:
        """[op's output, input, formula of the local derivative ("" for a plain number), why key]."""
        v, i, c = self.edges[k]
        formula = self.graph.formula(v, i).text
        why = WHY.get(v.op, "" if v.op in NEVER_FLAT else "flat")
        return [self.index[v], self.index[c], "" if is_number(formula) else formula, why]

    # ----- forward -------------------------------------------------------------------

    def _start(self) -> dict[str, Any]:
        leaves = [v for v in reversed(self.order) if not v.children]
        labelled = [v for v in leaves if v.label]
        listed: Text = ["The leaves hold their numbers: "]
        for k, v in enumerate(labelled[:MAX_LEAVES_LISTED]):
            listed += ([", "] if k else []) + [self.graph.name(v), " = ", ["v", self.index[v]]]
        if len(labelled) > MAX_LEAVES_LISTED:
            listed.append(f" and {len(labelled) - MAX_LEAVES_LISTED} more")
        constants = len(leaves) - len(labelled)
        if constants:
            listed.append(f"{'; ' if labelled else ''}{constants} constant{'s' * (constants > 1)} "
                          f"(named by {'their numbers' if constants > 1 else 'its number'})")
        return {"kind": "start", "title": ["Before anything is computed"],
                "lines": [line("value", listed + ["."]),
                          line("note", ["Nothing else has a number yet. Forward computes each node from its "
                                        "inputs; then backward walks back through the operations."])],
                "focus": [self.index[v] for v in leaves]}

    def _forward_steps(self) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = []
        last = {}
        for v in reversed(self.order):  # a box's step comes where its last member is computed
            if v in self.group_of:
                last[self.group_of[v]] = v
        for v in reversed(self.order):
            key = self.group_of.get(v)
            if key is None and v.children:
                steps.append({"kind": "forward", "node": self.index[v]})
            elif key is not None and last[key] is v:
                steps.append(self._forward_box(key))
        return steps

    def _weighted_sum(self, out: Value, key: str) -> Value | None:
        """The sum an activation is applied to, when out = act(sum) inside the box."""
        if len(out.children) == 1 and out.children[0].children and self.group_of.get(out.children[0]) == key:
            return out.children[0]
        return None

    def _forward_box(self, key: str) -> dict[str, Any]:
        members = self.members[key]
        lines = []
        for out in self.outputs[key]:
            name, total = self.graph.name(out), self._weighted_sum(out, key)
            if total is None:
                lines.append(line("value", [f"{name} = ", ["v", self.index[out]]]))
                continue
            lines.append(line("value", [f"{name}: weighted sum of its inputs Σ = ", ["v", self.index[total]]]))
            lines.append(line("value", [f"activation: {name} = {fill(operation(out).notation, [Expr('Σ', ATOM)])} = ",
                                        *_pieces(operation(out).notation, [["v", self.index[total], 1]]),
                                        " = ", ["v", self.index[out]]]))
        computed = [self.index[v] for v in reversed(members) if v.children]
        inputs = {self.index[c] for v in members for c in v.children if self.group_of.get(c) != key}
        return {"kind": "forward", "box": key, "title": [f"Forward: {key}"], "lines": lines,
                "active": computed, "focus": sorted(inputs), "computed": computed, "inner": computed}

    # ----- backward ------------------------------------------------------------------

    def _backward_steps(self) -> list[dict[str, Any]]:
        r = self.root
        steps: list[dict[str, Any]] = [{
            "kind": "backward", "seed": True, "active": [0],
            "title": [f"Backward starts at {self.graph.name(self.order[0])}"],
            "lines": [line("arriving", [f"∂{r}/∂{r} = 1: a change in {r} changes {r} by as much. This 1 is "
                                        f"what flows back; {r}'s gradient is complete, as nothing uses {r}."])]}]
        opened: set[str] = set()
        for v in self.order:
            key = self.group_of.get(v)
            if key is None and v.children:
                self._number_edges(v)
                steps.append({"kind": "backward", "node": self.index[v]})
            elif key is not None and key not in opened:
                opened.add(key)
                steps.append(self._backward_box(key))
        return steps

    def _number_edges(self, v: Value) -> list[int]:
        start = len(self.edges)
        self.edges += [(v, i, c) for i, c in enumerate(v.children)]
        return list(range(start, len(self.edges)))

    def _backward_box(self, key: str) -> dict[str, Any]:
        members = [m for m in self.members[key] if m.children]
        edges = [k for v in members for k in self._number_edges(v)]
        inside = set(self.members[key])
        lines, predict = [], None
        for out in self.outputs[key]:
            name = self.graph.name(out)
            lines.append(line("arriving", [f"Arriving at {key}: ∂{self.root}/∂{self.graph.operand(out)} = ",
                                           ["g", self.index[out]]]))
            total = self._weighted_sum(out, key)
            if total is not None:
                k = next(k for k in edges if self.edges[k][0] is out)
                predict = k if predict is None else predict
                formula = local_formula(out, 0, {out: self.graph.expr(out), total: Expr("Σ", ATOM)}).text
                lines.append(line("local", [f"through {operation(out).symbol}: local derivative ∂{name}/∂Σ = "
                                            f"{formula} = ", ["d", k]]))
                lines.append(line("contribution", [f"∂{self.root}/∂Σ = ", ["g", self.index[out], 1], " · ",
                                                   ["d", k, 1], " = ", ["a", k]]))
                lines.append({"kind": "why", "edge": k})  # shown when the numbers make it true
        handed = [k for k in edges if self.edges[k][2] not in inside]  # inputs from outside the box
        handed += [k for k in edges if self.edges[k][2] in inside and self.edges[k][2].label
                   and not self.edges[k][2].children]  # then its parameters
        rows = [[self.graph.name(self.edges[k][2]), ["v", self.index[self.edges[k][2]]], ["c", k], ["a", k]]
                for k in handed]
        table = {"caption": f"What {key} hands back to each input: the gradient it adds, and the input's total so far.",
                 "head": ["input", "value", "adds", "grad so far"], "rows": rows}
        step: dict[str, Any] = {"kind": "backward", "box": key, "title": [f"Backward through {key}"], "lines": lines,
                "table": table, "active": [self.index[m] for m in members],
                "focus": sorted({self.index[self.edges[k][2]] for k in edges if self.edges[k][2] not in inside}),
                "passed": edges, "inner": [self.index[m] for m in members]}
        if predict is not None:
            step["predict"], step["sum"] = predict, "Σ"  # the question names the weighted sum as the lines do
        elif edges:
            step["predict"] = edges[0]
        return step


def line(kind: str, text: Text) -> dict[str, Any]:
    return {"kind": kind, "text": text}


def _pieces(template: str, fill: Sequence[Any]) -> Text:
    """An op's notation with a piece for each input: "sigmoid({0})" -> ["sigmoid(", piece, ")"]."""
    out: Text = []
    rest = template
    while rest:
        start = rest.find("{")
        end = rest.find("}", start)
        key = rest[start + 1:end] if 0 <= start < end else ""
        if not key.isdigit() or int(key) >= len(fill):
            out.append(rest)
            break
        if start:
            out.append(rest[:start])
        out.append(fill[int(key)])
        rest = rest[end + 1:]
    return out


__all__ = ["Steps", "SATURATED"]
