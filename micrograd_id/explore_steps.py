"""The explorer's steps as data: what each step computes, and the words that say it.

A step never carries a finished number. Its text is a list of pieces, each a
string or a reference to a number the page formats as it shows the step:

    ["v", i]  the value of node i          ["g", i]  its complete gradient
    ["d", k]  edge k's local derivative    ["c", k]  what edge k adds (g · d)
    ["b", k]  the input's gradient before  ["a", k]  and after edge k adds
    [code, i, 1]  the same, in parentheses when negative (an operand)

so the page can recompute every number (a learner changes w) and the words,
all written here, stay true. Node i is the i-th Value of the topological
order (the root is 0); edge k is the k-th arrow in the order backward
passes gradients along them, which is the order of the steps: the page gets
each gradient shown at a step by adding up the edges passed so far.

Where a neuron or a layer is drawn as one box, forward and backward each
take one step through the box (its weighted sum and activation; backward,
a table of what it hands each input), and hold the steps of its own ops for
a learner who opens it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from micrograd_id.engine import Value

Piece = Any  # str | [code, index] | [code, index, 1]
Text = list[Piece]

SATURATED = 0.01      # a sigmoid or tanh slope below this passes (almost) nothing back
MAX_LEAVES_LISTED = 12


class Notation:
    """How nodes are written in the steps: names, operands, expressions, local-derivative formulas."""

    def __init__(self, order: Sequence[Value]) -> None:
        from micrograd_id.explain import _expression_name, _local_formula, _names, _operand
        self._names = _names(order)
        self._operand, self._expression, self._formula = _operand, _expression_name, _local_formula

    def name(self, v: Value) -> str:
        return self._names[v]

    def operand(self, v: Value) -> str:
        """The name ready to stand beside an operator (compound expressions in parentheses)."""
        return self._operand(v, self._names)

    def expression(self, v: Value) -> str:
        return self._expression(v, self._names)

    def formula(self, v: Value, i: int) -> str:
        return self._formula(v, i, self._names)


def pieces(template: str, fill: Sequence[Piece]) -> Text:
    """An op's notation ("{0}·{1}") with a piece for each input: ["sigmoid(", ["v", 3, 1], ")"]."""
    out: Text = []
    rest = template
    while rest:
        start = rest.find("{")
        end = rest.find("}", start)
        key = rest[start + 1:end] if start >= 0 and end > start else ""
        if not key.isdigit():
            out.append(rest)
            break
        out += [rest[:start], fill[int(key)]] if rest[:start] else [fill[int(key)]]
        rest = rest[end + 1:]
    return out


class Steps:
    """Every step of the walk, and the edges in the order backward passes gradients along them.

    graph: the drawing's model (order, and which box shows each Value: ``box_of``,
    ``group_of``); names: a Notation.
    """

    def __init__(self, order: Sequence[Value], group_of: dict[Value, str], names: Notation) -> None:
        self.order = order
        self.index = {v: i for i, v in enumerate(order)}
        self.group_of = group_of
        self.n = names
        self.root = self.n.operand(order[0])
        self.edges: list[tuple[Value, int, Value]] = []  # (op's output, input index, input)
        self.edge_of: dict[tuple[int, int], int] = {}
        self.uses: dict[Value, int] = {}
        for v in order:
            for c in v.children:
                self.uses[c] = self.uses.get(c, 0) + 1
        self.members: dict[str, list[Value]] = {}
        for v in order:
            if v in group_of:
                self.members.setdefault(group_of[v], []).append(v)
        self._passed: dict[Value, int] = {}
        self.steps = [self._start()] + self._forward_steps() + self._backward_steps()

    # ----- forward -------------------------------------------------------------------

    def _start(self) -> dict[str, Any]:
        leaves = [v for v in reversed(self.order) if not v.children]
        listed: Text = ["The leaves hold their numbers: "]
        for k, v in enumerate(leaves[:MAX_LEAVES_LISTED]):
            listed += ([", "] if k else []) + [self.n.name(v), " = ", ["v", self.index[v]]]
        if len(leaves) > MAX_LEAVES_LISTED:
            listed.append(f" and {len(leaves) - MAX_LEAVES_LISTED} more")
        return step("start", ["Before anything is computed"],
                    [line("value", listed + ["."]),
                     line("note", ["Nothing else has a number yet. Forward computes each node from its "
                                   "inputs; then backward walks back through the operations, one at a time."])],
                    active=[], focus=[self.index[v] for v in leaves])

    def _forward_steps(self) -> list[dict[str, Any]]:
        steps, last = [], {}
        for v in reversed(self.order):  # a group's step comes where its last member is computed
            if v in self.group_of:
                last[self.group_of[v]] = v
        for v in reversed(self.order):
            key = self.group_of.get(v)
            if key is None and v.children:
                steps.append(self._forward(v))
            elif key is not None and last[key] is v:
                steps.append(self._forward_box(key))
        return steps

    def _forward(self, v: Value) -> dict[str, Any]:
        """v = its expression = the expression with numbers = its value."""
        i = self.index[v]
        text: Text = [f"{v.label} = "] if v.label else []
        text += [self.n.expression(v), " = "]
        text += pieces(v.operation.notation, [["v", self.index[c], 1] for c in v.children])
        text += [" = ", ["v", i]]
        return step("forward", ["Forward: ", self.n.name(v)], [line("value", text)], active=[i],
                    focus=[self.index[c] for c in v.children], computed=[i])

    def _outputs(self, key: str) -> list[Value]:
        """The members of a box that something outside it uses (or the root)."""
        inside = set(self.members[key])
        users: dict[Value, bool] = {}
        for v in self.order:
            for c in v.children:
                if c in inside and v not in inside:
                    users[c] = True
        return [m for m in self.members[key] if m in users or m is self.order[0]]

    def _activation(self, out: Value, key: str) -> Value | None:
        """The weighted sum an activation is applied to, when out = act(sum) inside the box."""
        if len(out.children) == 1 and out.children[0].children and self.group_of.get(out.children[0]) == key:
            return out.children[0]
        return None

    def _forward_box(self, key: str) -> dict[str, Any]:
        members = self.members[key]
        lines = []
        for out in self._outputs(key):
            total = self._activation(out, key)
            if total is None:
                lines.append(line("value", [self.n.name(out), " = ", ["v", self.index[out]]]))
                continue
            lines.append(line("value", [f"{out.label or self.n.name(out)}: weighted sum Σ = ",
                                        ["v", self.index[total]]]))
            lines.append(line("value", [f"activation: {out.label or self.n.name(out)} = "]
                              + pieces(out.operation.notation, ["Σ"]) + [" = "]
                              + pieces(out.operation.notation, [["v", self.index[total], 1]])
                              + [" = ", ["v", self.index[out]]]))
        inner = [self._forward(v) for v in reversed(members) if v.children]
        computed = [self.index[v] for v in members if v.children]
        inputs = {self.index[c] for v in members for c in v.children if c not in self.group_of or
                  self.group_of[c] != key}
        return step("forward", ["Forward: ", key], lines, active=computed, focus=sorted(inputs),
                    computed=computed, box=key, inner=inner)

    # ----- backward ------------------------------------------------------------------

    def _backward_steps(self) -> list[dict[str, Any]]:
        steps = [self._seed()]
        opened: set[str] = set()
        for v in self.order:
            key = self.group_of.get(v)
            if key is None and v.children:
                steps.append(self._backward(v))
            elif key is not None and key not in opened:
                opened.add(key)
                steps.append(self._backward_box(key))
        return steps

    def _seed(self) -> dict[str, Any]:
        r = self.root
        return step("backward", ["Backward starts at ", self.n.name(self.order[0])],
                    [line("arriving", [f"∂{r}/∂{r} = 1: a change in {r} changes {r} by as much. "
                                       f"This 1 is what flows back, and {r}'s gradient is complete: "
                                       f"nothing uses {r}."])],
                    active=[0], focus=[], seed=True)

    def _edge(self, v: Value, i: int) -> int:
        """Number the arrow into v's input i (in the order gradients pass along arrows)."""
        k = len(self.edges)
        self.edges.append((v, i, v.children[i]))
        return k

    def _through(self, v: Value) -> tuple[list[dict[str, Any]], list[int]]:
        """The lines of one op handing g·(local derivative) to each input, and its edges."""
        i = self.index[v]
        out = self.n.operand(v)
        lines = [line("arriving", [f"Arriving at {v.operation.symbol} from {self.n.name(v)}: "
                                   f"∂{self.root}/∂{out} = ", ["g", i]]),
                 line("why", [f"Nothing arrives (∂{self.root}/∂{out} = 0), so every input gets 0 from here."],
                      when=["gzero", i])]
        edges = []
        for position, c in enumerate(v.children):
            k = self._edge(v, position)
            edges.append(k)
            name, formula = self.n.operand(c), self.n.formula(v, position)
            shown = "" if _is_number(formula) else f" = {formula}"
            lines.append(line("local", [f"local derivative ∂{out}/∂{name}{shown} = ", ["d", k]]))
            lines.append(line("contribution", [f"{name}.grad = ", ["b", k, 1], " + ", ["g", i, 1], " · ",
                                               ["d", k, 1], " = ", ["a", k]], node=self.index[c]))
            lines += self._count_use(c, k)
            lines += self._why(v, position, k, formula)
        return lines, edges

    def _count_use(self, c: Value, k: int) -> list[dict[str, Any]]:
        self._passed[c] = self._passed.get(c, 0) + 1
        uses, seen, name = self.uses[c], self._passed[c], self.n.name(c)
        lines = []
        if uses > 1:
            lines.append(line("accumulate", [f"{name} is used {uses} times: this adds contribution {seen} "
                                             f"of {uses}; its gradient is the sum of them."]))
        if seen == uses:
            lines.append(line("done", [f"{name}'s gradient is complete: ∂{self.root}/∂{self.n.operand(c)} = ",
                                       ["a", k], ". Every op that uses it has passed its part back."]))
        return lines

    def _why(self, v: Value, position: int, k: int, formula: str) -> list[dict[str, Any]]:
        """Why nothing (or almost nothing) passes along edge k: said only when the numbers show it."""
        c, name, out = v.children[position], self.n.operand(v.children[position]), self.n.operand(v)
        if v.op == "relu":
            text: Text = ["relu is inactive: its input ", self.n.name(c), " = ", ["v", self.index[c]],
                          f" ≤ 0, so its slope is 0 and {name} gets no gradient through it."]
        elif v.op == "*":
            text = [f"∂{out}/∂{name} = {formula} = 0: the other factor is 0, so a change in {name} "
                    f"cannot change {out} and its gradient from here is 0."]
        else:
            text = [f"∂{out}/∂{name} = {formula} = 0 here, so {name} gets no gradient through this op."]
        lines = [line("why", text, when=["czero", k])]
        if v.op in ("sigmoid", "tanh"):
            lines.append(line("why", [f"{v.op} is saturated: its input is ", ["v", self.index[c]],
                                      ", far out where the curve is flat; its slope ", ["d", k],
                                      " lets almost no gradient pass."], when=["tiny", k, SATURATED]))
        return lines

    def _backward(self, v: Value) -> dict[str, Any]:
        lines, edges = self._through(v)
        return step("backward", ["Backward through ", v.operation.symbol, f", which made {self.n.name(v)}"],
                    lines, active=[self.index[v]], focus=[self.index[c] for c in v.children],
                    passed=edges, **self._predict(edges[0]))

    def _predict(self, k: int) -> dict[str, Any]:
        """Predict-then-reveal: the question a step asks first, and the answer it then shows."""
        v, _, c = self.edges[k]
        name = self.n.operand(c)
        return {"predict": k,
                "ask": [f"Before it is shown: this step adds g · (local derivative) to ∂{self.root}/∂{name}. "
                        f"Will what it adds be positive, negative or zero?"],
                "answer": [f"It adds ∂{self.root}/∂{self.n.operand(v)} · ∂{self.n.operand(v)}/∂{name} = ",
                           ["g", self.index[v], 1], " · ", ["d", k, 1], " = ", ["c", k], "."]}

    def _backward_box(self, key: str) -> dict[str, Any]:
        members = [m for m in self.members[key] if m.children]
        start = len(self.edges)
        inner = [self._backward(v) for v in members]
        edges = list(range(start, len(self.edges)))
        inside = set(self.members[key])
        lines, predict = [], edges[0] if edges else None
        for out in self._outputs(key):
            name = out.label or self.n.name(out)
            lines.append(line("arriving", [f"Arriving at {key}: ∂{self.root}/∂{self.n.operand(out)} = ",
                                           ["g", self.index[out]]]))
            total = self._activation(out, key)
            if total is not None:
                k = next(k for k in edges if self.edges[k][0] is out)
                predict = k if predict == edges[0] else predict  # the first activation asks
                lines.append(line("local", [f"through {out.operation.symbol}: local derivative "
                                            f"∂{name}/∂Σ = {self.n.formula(out, 0)} = ", ["d", k]]))
                lines.append(line("contribution", [f"∂{self.root}/∂Σ = ", ["g", self.index[out], 1], " · ",
                                                   ["d", k, 1], " = ", ["a", k]]))
        rows = [[self.n.name(c), ["v", self.index[c]], ["c", k], ["a", k]]
                for k in edges for (_, _, c) in [self.edges[k]]
                if (c not in inside or not c.children) and (c.label or c.children)]
        table = {"caption": f"What {key} hands back to each input (gradient added, and its total so far):",
                 "head": ["input", "value", "adds", "grad so far"], "rows": rows}
        return step("backward", ["Backward through ", key], lines, active=[self.index[m] for m in members],
                    focus=sorted({self.index[r] for k in edges for r in [self.edges[k][2]]
                                  if r not in inside}),
                    passed=edges, box=key, inner=inner, table=table,
                    **(self._predict(predict) if predict is not None else {}))


def step(kind: str, title: Text, lines: list[dict[str, Any]], *, active: list[int], focus: list[int],
         computed: Sequence[int] = (), passed: Sequence[int] = (), seed: bool = False,
         predict: int | None = None, ask: Text | None = None, answer: Text | None = None,
         box: str | None = None, inner: list[dict[str, Any]] | None = None,
         table: dict[str, Any] | None = None) -> dict[str, Any]:
    """One step; empty fields are left out to keep the page small."""
    fields: dict[str, Any] = {"kind": kind, "title": title, "lines": lines, "active": active, "focus": focus,
                              "computed": list(computed), "passed": list(passed), "seed": seed,
                              "predict": predict, "ask": ask, "answer": answer, "box": box, "inner": inner,
                              "table": table}
    return {name: value for name, value in fields.items() if value is not None and value is not False and value != []}


def line(kind: str, text: Text, *, node: int | None = None, when: list[Any] | None = None) -> dict[str, Any]:
    """A line of a step's panel; ``when``: shown only while the page's numbers satisfy it."""
    fields = {"kind": kind, "text": text, "node": node, "when": when}
    return {name: value for name, value in fields.items() if value is not None}


def _is_number(text: str) -> bool:
    try:
        float(text.replace("−", "-"))
    except ValueError:
        return False
    return True
