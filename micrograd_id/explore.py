"""The interactive explorer: backprop step by step, in one self-contained HTML page.

``explore(E)`` lays the graph out once, here in Python (Graphviz's ``dot``
makes the SVG, with draw_dot's look and a local derivative on every arrow),
and writes every step a learner can take as data:

* forward, node by node: each value with its formula and its numbers;
* backward, one op at a time: the gradient arriving at the op, each arrow's
  local derivative, the product added to each input's grad (a node used
  twice adds twice), and, once a node's gradient is complete, the chain rule
  for it exactly as ``explain()`` prints it;
* with a ``history`` from ``train()``: the training steps, drawn on E(w).

The page's script only replays those steps (numbers are formatted here, in
Python, the way draw_dot formats them), so what the page says is what the
engine computed. The page needs no network: style, script and data are
inlined, and every string that reaches it is escaped for where it lands.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from micrograd_id._files import write_atomic
from micrograd_id.description import values_below
from micrograd_id.engine import Value
from micrograd_id.explain import explain
from micrograd_id.notation import parse_nn_label
from micrograd_id.viz import DEFAULT_MAX_NODES, DEFAULT_TIMEOUT, check_timeout, draw, svg

__all__ = ["explore", "Explorer"]

FMT = "{:.4g}"            # the graph's numbers, as draw_dot writes them
_MAX_EXPLAINED = 400      # explain() for every node up to this many Values; beyond, labelled ones only
_CURVE_POINTS = 121       # samples of E(w) per chart
_IFRAME_HEIGHT = 760      # px, in a notebook


def explore(root: Value, history: Any | None = None, *, collapse: str | None = "auto", rankdir: str = "TB",
            max_nodes: int | None = DEFAULT_MAX_NODES, timeout: float = DEFAULT_TIMEOUT) -> Explorer:
    """A page that steps through forward and backward on ``root``'s graph.

    history: a History from ``train()``: its steps can be scrubbed on a chart
        of E(w). collapse: "auto" draws one box per neuron for graphs of the
        nn module (labels like ``L0.N1``), as ``draw_dot(collapse="neuron")``;
        None, "neuron" or "layer" choose. rankdir: as draw_dot's; top to
        bottom keeps the text large beside the panel. Graphs beyond ``max_nodes`` get
        draw_dot's ValueError; no Graphviz ``dot``: GraphvizNotFound.
    The gradients are recomputed here from the graph (from ∂root/∂root = 1), so
    ``backward()`` need not have run. Returns an Explorer: shown inline in
    Jupyter, ``.save(path)`` writes the page.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explore needs a Value to start from, got {type(root).__name__}")
    if history is not None and not isinstance(getattr(history, "rows", None), list):
        raise TypeError(f"history must be a History from train() or None, got {type(history).__name__}")
    check_timeout(timeout)
    if collapse == "auto":
        # The nn module's labels sit near the root: look at no more Values than may be drawn, so
        # that draw refuses a graph far too big at once instead of after ordering all of it.
        near = values_below(root, max_nodes if max_nodes is not None else DEFAULT_MAX_NODES)
        collapse = "neuron" if any(parse_nn_label(v.label) for v in near if v.label) else None
    graph, digraph = draw(root, True, rankdir=rankdir, fmt=FMT, highlight=None, show_constants=True,
                          collapse=collapse, max_nodes=max_nodes)
    picture = svg(digraph, "the explorer's graph", timeout)
    data = {"nodes": _nodes(graph), "steps": _Steps(graph).steps,
            "training": _training(history, graph.order) if history is not None else None}
    title = f"Backprop through {root.label or 'the graph'}"
    return Explorer(_page(title, picture, data))


class Explorer:
    """The explorer's page: ``_repr_html_`` for notebooks, ``save`` for a file, ``html`` for the text."""

    def __init__(self, page: str) -> None:
        self.html = page

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page as one HTML file (atomic); it opens offline. Returns the Path."""
        return write_atomic(path, self.html)

    def _repr_html_(self) -> str:
        # An iframe keeps the page's script and style apart from the notebook's, and
        # srcdoc needs no file or server (Jupyter, JupyterLab, VS Code notebooks).
        return (f'<iframe title="backprop explorer" srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width: 100%; height: {_IFRAME_HEIGHT}px; border: 1px solid #ccc"></iframe>')

    def __repr__(self) -> str:
        return f"<Explorer page, {len(self.html):,} characters; .save(path) writes it>"


# ----- what the page shows, as data ----------------------------------------------------

def _num(x):
    """A number in running text: 6 digits, as explain() writes them; negatives in parentheses."""
    text = f"{x:.6g}" if x != 0.0 else "0"
    return f"({text})" if text.startswith("-") else text


def _nodes(graph):
    """Per Value (topological order): its DOT node, whether that box is its own, and its name."""
    name = graph.description.name
    return [{"box": graph.node_id(v), "own": graph.is_drawn(v), "name": name(v),
             "leaf": not v.children} for v in graph.order]


class _Steps:
    """Every step of the walk: forward node by node, then backward op by op (as _backpropagate)."""

    def __init__(self, graph):
        self.graph = graph
        self.description = description = graph.description
        self.order = graph.order
        self.index = description.index
        self.names = {v: description.name(v) for v in self.order}
        self.sym = {v: description.operand(v) for v in self.order}  # a name to write in ∂A/∂B
        self.explained = len(self.order) <= _MAX_EXPLAINED
        self.steps = [self._start()]
        self.steps += [self._forward(v) for v in reversed(self.order) if v.children]
        self._backward()

    def _edge(self, v, i):
        """The title Graphviz gives the arrow from input i into v's op (draw_dot's ids)."""
        c = v.children[i]
        return f"{self.graph.node_id(c)}->{self.graph.ids[v]}_op" if self.graph.is_drawn(v) else None

    def _start(self):
        leaves = [v for v in reversed(self.order) if not v.children]
        shown = ", ".join(f"{self.names[v]} = {_num(v.data)}" for v in leaves[:12])
        more = f" and {len(leaves) - 12} more" if len(leaves) > 12 else ""
        return {"kind": "start", "title": "Before anything is computed",
                "lines": [_line(f"The leaves hold their numbers: {shown}{more}.", "value"),
                          _line("Next step computes the graph forward, one node at a time, then walks "
                                "back through it one operation at a time (backpropagation).")],
                "set": [[self.index[v], "data", FMT.format(v.data)] for v in leaves]
                + [[k, "grad", "0"] for k in range(len(self.order))] + [[self.index[v], "data", "?"]
                                                                        for v in self.order if v.children],
                "focus": [self.index[v] for v in leaves], "edges": [], "done": [], "explain": []}

    def _forward(self, v):
        """v = its formula = the formula with numbers = its value."""
        with_numbers = self.description.expression_with_numbers(v).text
        text = f"{self.description.expression(v).text} = {with_numbers} = {_num(v.data)}"
        if v.label:
            text = f"{v.label} = {text}"
        return {"kind": "forward", "title": f"Forward: {self.names[v]}",
                "lines": [_line(text, "value")],
                "set": [[self.index[v], "data", FMT.format(v.data)]],
                "focus": [self.index[v]] + [self.index[c] for c in v.children],
                "edges": [e for e in (self._edge(v, i) for i in range(len(v.children))) if e],
                "done": [], "explain": []}

    def _backward(self):
        root = self.order[0]
        grads = {root: 1.0}
        uses = {}
        for v in self.order:
            for c in v.children:
                uses[c] = uses.get(c, 0) + 1
        seen = {}
        name = self.sym[root]
        self.steps.append({
            "kind": "backward", "title": f"Backward starts at {name}",
            "lines": [_line(f"∂{name}/∂{name} = 1: a change in {name} changes {name} by as much. "
                            f"This 1 is what flows back.", "arriving")],
            "set": [[0, "grad", "1"]], "focus": [0], "edges": [], "done": [0],
            "explain": self._explain(root, "and it is complete: nothing uses it")})
        for v in self.order:
            if v.children:
                self.steps.append(self._through(v, grads, uses, seen))

    def _through(self, v, grads, uses, seen):
        """One op: its output's complete gradient times each local derivative, added to each input."""
        g = grads[v]
        out = self.sym[v]
        root = self.sym[self.order[0]]
        lines = [_line(f"Arriving at {v.operation.symbol} from {out}: ∂{root}/∂{out} = {_num(g)}", "arriving")]
        if g == 0.0:
            lines.append(_line(f"Nothing arrives (∂{root}/∂{out} = 0), so every input gets 0 from here.", "why"))
        products = v.operation.rule(g, v.data, *[c.data for c in v.children])  # bit for bit as backward
        setters, done, explained = [], [], []
        for i, (c, d, product) in enumerate(zip(v.children, self.description.local(v), products)):
            name = self.sym[c]
            formula = self.description.formula(v, i).text
            shown = f" = {formula}" if formula.replace("−", "-") != f"{d:g}" else ""
            lines.append(_line(f"local derivative ∂{out}/∂{name}{shown} = {_num(d)}", "local"))
            before = grads.get(c)
            grads[c] = before + product if before is not None else product
            seen[c] = seen.get(c, 0) + 1
            lines.append(_line(f"{name}.grad = {_num(before or 0.0)} + {_num(g)} · {_num(d)} = {_num(grads[c])}",
                               "contribution", c=self.index[c]))
            if uses[c] > 1:
                lines.append(_line(f"{name} is used {uses[c]} times: this adds contribution {seen[c]} of "
                                   f"{uses[c]}; its gradient is the sum of them.", "accumulate"))
            why = self.description.why_flat(v, i) if (product == 0.0 and g != 0.0) or d != 0.0 else None
            if why:
                lines.append(_line(why, "why"))
            setters.append([self.index[c], "grad", FMT.format(grads[c])])
            if seen[c] == uses[c]:
                done.append(self.index[c])
                explained += self._explain(c, "complete: every op using it has passed its part back")
        return {"kind": "backward", "title": f"Backward through {v.operation.symbol} (it made {out})",
                "lines": lines, "set": setters, "focus": [self.index[v]] + [self.index[c] for c in v.children],
                "edges": [e for e in (self._edge(v, i) for i in range(len(v.children))) if e],
                "done": done, "explain": explained}

    def _explain(self, v, why):
        """explain(root, wrt=v), the chain rule for a node whose gradient is now complete."""
        if not (self.explained or v.label):
            return []
        return [{"name": self.description.d(self.order[0], v), "why": why, "text": explain(self.description, v)}]


def _line(text, kind="note", c=None):
    line = {"text": text, "kind": kind}
    if c is not None:
        line["node"] = c
    return line


# ----- the training history -------------------------------------------------------------

def _training(history, order):
    """The steps of a History as rows; with E(w) curves when they are the identity network's."""
    rows = history.rows
    params = [c[len("dE/d"):] for c in (history.columns if rows else []) if c.startswith("dE/d")]
    if not rows or not params:
        return None
    p = params[0]
    labels = {v.label for v in order}
    notes = [f"{q} is not in this graph: no path leads from {q} to its output, so here ∂/∂{q} = 0."
             for q in params if q not in labels]
    lr = _learning_rate(rows, p)
    steps = []
    for k, row in enumerate(rows):
        g = row[f"dE/d{p}"]
        step = {"k": row.get("step", k), "values": [[name, _num(row[name])] for name in
                                                    ["x", *params, "E"] + [f"dE/d{q}" for q in params]
                                                    if isinstance(row.get(name), (int, float))],
                "w": row[p], "E": row["E"], "g": g, "why": _why_step(row, p)}
        steps.append(step)
    curves, keys = _curves(rows, p, params)
    for step, key in zip(steps, keys):
        step["curve"] = key
    return {"param": p, "lr": lr, "steps": steps, "curves": curves, "notes": notes}


def _learning_rate(rows, p):
    """lr from the rows themselves (w_next = w − lr·g), as a History records no lr; None if unknown."""
    ratios = sorted((row[p] - after[p]) / row[f"dE/d{p}"] for row, after in zip(rows, rows[1:])
                    if row[f"dE/d{p}"] != 0.0)
    return ratios[len(ratios) // 2] if ratios else None


def _why_step(row, p):
    g, x = row[f"dE/d{p}"], row.get("x")
    if g == 0.0 and p == "w" and x == 0.0:
        return (f"∂z/∂w = x = 0: with x = 0, w·x is 0 whatever w is, so ∂E/∂w = 0 and this step cannot "
                f"move w (E stays {_num(row['E'])}).")
    if g == 0.0:
        return f"∂E/∂{p} = 0: this step does not move {p}."
    return ""


def _curves(rows, p, params):
    """E(p) sampled for each distinct (x, y, other parameters) of the identity network; else none."""
    from micrograd_id.identity import error

    simple = p == "w" and set(params) <= {"w", "b"} and all(
        isinstance(r.get("x"), float) and isinstance(r.get("y"), float) for r in rows)
    if not simple:
        return [], [None] * len(rows)
    ws = [r["w"] for r in rows]
    span = max(max(ws) - min(ws), 1.0)
    lo, hi = min(ws) - 0.6 * span, max(ws) + 0.6 * span
    grid = [lo + (hi - lo) * k / (_CURVE_POINTS - 1) for k in range(_CURVE_POINTS)]
    curves, index, keys = [], {}, []
    for r in rows:
        key = (r["x"], r["y"], r.get("b", 0.0))
        if key not in index:
            index[key] = len(curves)
            es = error(grid, key[0], key[1], b=key[2])
            curves.append({"label": f"E(w) for x = {key[0]:g}" + (f", b = {key[2]:.4g}" if "b" in r else ""),
                           "w": [float(f"{w:.6g}") for w in grid], "E": [float(f"{e:.6g}") for e in es]})
        keys.append(index[key])
    return curves, keys


# ----- the page ----------------------------------------------------------------------------

_JSON_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _script_json(data):
    """JSON that cannot end its <script> element: no <, > or & (so no </script> or <!--), no
    U+2028/2029 (line breaks to old JavaScript parsers); the escapes decode to the same text."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_UNSAFE[m.group()], text)


def _template(name):
    return resources.files("micrograd_id").joinpath("templates", name).read_text(encoding="utf-8")


def _page(title, svg, data):
    """The template with its {{slots}} filled in one pass (filled text is never scanned again)."""
    slots = {"title": html.escape(title), "style": _template("explorer.css"), "svg": svg,
             "data": _script_json(_finite(data)), "script": _template("explorer.js")}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: slots[m.group(1)], _template("explorer.html"))


def _finite(x):
    """nan and inf as text: JSON has no numbers for them, and the page shows them as written."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x
