"""The interactive explorer: backprop step by step, in one self-contained HTML page.

``explore(E)`` lays the graph out once, here in Python (Graphviz's ``dot``
makes the SVG, with draw_dot's look and a local derivative on every arrow),
and writes the walk a learner takes as data (``explore.steps``): forward,
then backward, one step per box of the drawing, each box openable into the
steps of its own ops. The page computes nothing on its own authority: it
starts from the engine's numbers, and when the learner changes a leaf it
runs the JavaScript that compile_graph's tracer writes from the same op
rules (``to_javascript``). Every word it shows is written here.

With a ``history`` from ``train()`` the page replays training from the same
start at any learning rate (``explore.training``), on E along the first
parameter, computed by the same program.

The page needs no network: style, script and data are inlined, and every
string that reaches it is escaped for where it lands.
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
from micrograd_id.description import Description, values_below
from micrograd_id.engine import Value
from micrograd_id.explore.live import live_program
from micrograd_id.explore.steps import SATURATED, Steps
from micrograd_id.explore.training import NoPanel, training_panel
from micrograd_id.explore.words import WORDS
from micrograd_id.notation import parse_nn_label
from micrograd_id.viz import DEFAULT_MAX_NODES, DEFAULT_TIMEOUT, HIGHLIGHT, check_timeout, draw, svg

__all__ = ["explore", "Explorer"]

# The page writes the graph's numbers itself (four digits, as draw_dot does); the drawing leaves
# room for the widest of them ("-0.0001234", "-1.234e-05"), whatever the numbers are later.
WIDEST = "{:+.3e}"
_VALUES_PER_BOX = 100     # a collapsed box holds at most about this many Values (a neuron of ~50 inputs)
_IFRAME_HEIGHT = 820      # px, in a notebook
_SUFFIXES = (".html", ".htm")


def explore(root: Value, history: Any | None = None, *, collapse: str | None = "auto", rankdir: str = "TB",
            max_nodes: int | None = DEFAULT_MAX_NODES, timeout: float = DEFAULT_TIMEOUT) -> Explorer:
    """A page that steps through forward and backward on ``root``'s graph, and lets the learner change it.

    history: a History from ``train()`` on this graph's network: the page
        replays its steps at any learning rate, on a chart of E along the
        first parameter. A history it cannot use (fit()'s epochs, parameters
        that are not labelled leaves here) leaves the panel out with a note.
    collapse: "auto" draws one box per neuron for graphs of the nn module
        (labels like ``L0.N1``), as ``draw_dot(collapse="neuron")``; None,
        "neuron" or "layer" choose. rankdir: as draw_dot's.
    Graphs beyond ``max_nodes`` get a ValueError (before any slow work); no
    Graphviz ``dot``: GraphvizNotFound. The gradients are recomputed here from
    the graph, so ``backward()`` need not have run. Returns an Explorer:
    shown inline in Jupyter, ``.save(path)`` writes the page.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explore needs a Value to start from, got {type(root).__name__}")
    if history is not None and not isinstance(getattr(history, "rows", None), list):
        raise TypeError(f"history must be a History from train() or None, got {type(history).__name__}")
    check_timeout(timeout)
    if collapse == "auto":  # the nn module's labels sit near the root: look no further than may be drawn
        near = values_below(root, max_nodes if isinstance(max_nodes, int) else DEFAULT_MAX_NODES)
        collapse = "neuron" if any(parse_nn_label(v.label) for v in near if v.label) else None
    _refuse_early(root, collapse, max_nodes)
    graph, digraph = draw(root, True, rankdir=rankdir, fmt=WIDEST, highlight=None, show_constants=True,
                          collapse=collapse, max_nodes=max_nodes)
    described = graph.description
    steps = Steps(described, graph.group_of, graph.groups)
    data = {"words": WORDS, "saturated": SATURATED, "nodes": _nodes(graph, steps), "edges": _edges(graph, steps),
            "groups": _groups(graph, steps), "steps": steps.steps, **_numbers(described, steps.edges)}
    program, live = live_program(described, steps.edges)
    data.update(live)
    if history is not None:
        try:
            data["training"] = training_panel(history, described.order)
        except NoPanel as note:
            data["trainingNote"] = str(note)
    picture = svg(digraph, "the explorer's graph", timeout)
    title = f"Backprop through {root.label or 'the graph'}"
    return Explorer(_page(title, picture, data, program))


class Explorer:
    """The explorer's page: ``_repr_html_`` for notebooks, ``save`` for a file, ``html`` for the text."""

    def __init__(self, page: str) -> None:
        self.html = page

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page as one HTML file (atomic); it opens offline. Returns the Path.

        The name must end in .html or .htm (a browser opens nothing else as a page).
        """
        suffix = Path(path).suffix.lower()
        if suffix not in _SUFFIXES:
            raise ValueError(f"the explorer is an HTML page: give {os.fspath(path)!r} the suffix .html "
                             f"(or .htm), not {suffix or 'none'!r}")
        return write_atomic(path, self.html)

    def _repr_html_(self) -> str:
        # An iframe keeps the page's script and style apart from the notebook's, and
        # srcdoc needs no file or server (Jupyter, JupyterLab, VS Code notebooks).
        return (f'<iframe title="backprop explorer" srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width: 100%; height: {_IFRAME_HEIGHT}px; border: 1px solid #ccc"></iframe>')

    def __repr__(self) -> str:
        return f"<Explorer page, {len(self.html):,} characters; .save(path) writes it>"


# ----- before any slow work --------------------------------------------------------------

def _refuse_early(root: Value, collapse: str | None, max_nodes: int | None) -> None:
    """Refuse a graph far over max_nodes after counting about as many Values, before ordering it.

    Without collapsing, draw() counts max_nodes + 1 Values itself. Collapsed, a box
    holds at most about _VALUES_PER_BOX Values; the drawing checks the exact count later.
    """
    if collapse is None or max_nodes is None or isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        return
    limit = max_nodes * _VALUES_PER_BOX
    if len(values_below(root, limit)) > limit:
        raise ValueError(f"the graph has more than {limit} Values, too many for max_nodes={max_nodes} boxes even "
                         f"with neurons collapsed: too slow to lay out and too many steps to follow. Explore a "
                         f"smaller graph or raise max_nodes (None removes the limit).")


# ----- what the page shows, as data ----------------------------------------------------

def _nodes(graph: Any, steps: Steps) -> list[dict[str, Any]]:
    """Per Value (topological order): its names, the DOT node that shows it, whether that box is its own."""
    nodes = []
    for v in graph.order:
        node = steps.node(v)
        node["box"] = graph.node_id(v)
        if graph.is_drawn(v):
            node["own"] = 1
        if v.label and not v.children:
            node["leaf"] = v.label
        nodes.append(node)
    return nodes


def _edges(graph: Any, steps: Steps) -> list[list[Any]]:
    """Per edge: [op's output, input, formula, why key, the title Graphviz gives its arrow (or "")]."""
    out = []
    for k, (v, _, c) in enumerate(steps.edges):
        head, tail = graph.arrow_head(v), graph.node_id(c)
        out.append([*steps.edge(k), f"{tail}->{head}" if tail != graph.node_id(v) else ""])
    return out


def _groups(graph: Any, steps: Steps) -> dict[str, Any]:
    """Per collapsed box: its DOT node, the output it shows, and its parameters (short names)."""
    groups = {}
    for key, members in steps.members.items():
        outputs = [m for m in members if getattr(parse_nn_label(m.label), "parameter", "") is None]
        params = [[steps.index[m], m.label[len(key) + 1:] if m.label.startswith(key + ".") else m.label]
                  for m in members if m.label and not m.children and m not in outputs]
        groups[key] = {"box": graph.node_id(members[0]), "outputs": [steps.index[m] for m in outputs],
                       "params": params}
    return groups


def _numbers(graph: Description, edges: list[tuple[Value, int, Value]]) -> dict[str, list[float]]:
    """The engine's numbers: values, complete gradients, and per edge its local derivative and product."""
    return {"values": [v.data for v in graph.order], "grads": [graph.gradients[v] for v in graph.order],
            "locals": [graph.local(v)[i] for v, i, _ in edges],
            "products": [graph.contributions[v][i] for v, i, _ in edges]}


# ----- the page ----------------------------------------------------------------------------

_JSON_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _script_json(data: Any) -> str:
    """JSON that cannot end its <script> element: no <, > or & (so no </script> or <!--), no
    U+2028/2029 (line breaks to old JavaScript parsers); the escapes decode to the same text."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_UNSAFE[m.group()], text)


def _template(name: str) -> str:
    return resources.files("micrograd_id").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def _page(title: str, svg: str, data: dict[str, Any], program: str) -> str:
    """The template with its {{slots}} filled in one pass (filled text is never scanned again)."""
    slots = {"title": html.escape(title), "style": _template("explorer.css").replace("HIGHLIGHT", HIGHLIGHT),
             "svg": svg, "data": _script_json(_finite(data)), "program": program,
             "script": _template("explorer-training.js") + "\n" + _template("explorer.js")}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: slots[m.group(1)], _template("explorer.html"))


def _finite(x: Any) -> Any:
    """nan and inf as text: JSON has no numbers for them; the page reads them back as numbers."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x
