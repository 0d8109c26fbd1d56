"""Draw a computation graph with every Value's data and gradient (Graphviz).

``draw_dot(root)`` returns a ``graphviz.Digraph`` (Jupyter shows it inline):
one box per Value with its label, data and grad, one small node per
operation, arrows in the direction the data flows. ``render(root, path)``
writes it as .png, .svg, .pdf or .dot.

Why it is built this way:

* User text only ever enters HTML-like labels, escaped; there backslashes and
  quotes mean nothing to DOT, so no label can change the graph's structure.
* Layout, not autodiff, is the cost of a big picture, and edges that skip
  ranks cost most (dot lays out one bend point per skipped rank). Hence the
  size guard ``max_nodes`` (a graph far too big is refused after counting
  max_nodes + 1 Values, before anything else) and the collapsed views, which
  rely on the nn module's labels: ``L{i}.N{j}.w{k}``, ``L{i}.N{j}.b`` and
  outputs ``L{i}.N{j}``.
* Names and formulas come from ``notation`` through one ``Description`` of
  the graph; ``draw`` takes one, so a page that also explains the graph
  orders it once.
* ``render`` runs the layout program itself and writes its bytes with
  ``write_atomic``: a failed layout never leaves a half-written file.
"""

from __future__ import annotations

import html
import math
import os
import re
import shutil
import subprocess
import sysconfig
import warnings
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import graphviz

from micrograd_id._files import write_atomic
from micrograd_id.description import COLLAPSE_MODES, Description, describe, is_constant, values_below
from micrograd_id.engine import Value
from micrograd_id.notation import is_number, parse_nn_label

__all__ = ["draw_dot", "render", "GraphvizNotFound", "RenderError", "DEFAULT_MAX_NODES", "DEFAULT_TIMEOUT",
           "FORMATS", "COLOURS", "HIGHLIGHT", "Drawing", "DrawnGraph", "draw", "svg", "check_timeout"]

# Counted: Values drawn plus bend points. Measured with dot 2.43 on a shared
# 2-core machine: a 2-12-12-1 MLP (2202) lays out in about 2 s, a 2-16-16-1
# MLP (4854) in 3-5 s, a 30-step recurrence (5313) in 2-4.5 s and a 40-step
# one (9483) in 27-45 s. 3000 keeps whatever passes within a few seconds.
DEFAULT_MAX_NODES = 3000
FORMATS = ("png", "svg", "pdf", "dot")
RANKDIRS = ("LR", "TB", "RL", "BT")
DEFAULT_TIMEOUT = 60.0

# Layout programs in order of preference, with the formats each can write.
# graphviz-pure (extra [render]) is a pip-installable port of dot without PDF.
_PROGRAMS = (("dot", ("png", "svg", "pdf")), ("graphviz-pure", ("png", "svg")))
# Also searched after PATH: pip installs graphviz-pure beside this Python, and
# a virtual environment used without activating it (a Jupyter kernel) is not on PATH.
_SCRIPTS_DIR = sysconfig.get_path("scripts")

_INSTALL_HINT = ("Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), "
                 "`brew install graphviz` (macOS) or `conda install graphviz`")

# One meaning per colour, kept few so the picture reads at a glance. Public: the explorer's
# page styles its graph with the same colours.
COLOURS = MappingProxyType({
    "leaf": "#dbe9f6",      # blue: an input or parameter you created
    "constant": "#eeeeee",  # grey: a plain number the engine wrapped
    "computed": "#ffffff",  # white: the result of an operation
    "root": "#d9f2d9",      # green: the Value the graph is drawn from
    "grad": "#fff2cc",      # yellow: gradients
    "box": "#e8e0f5",       # lavender: a collapsed neuron or layer
    "op": "#f7f7f7",
    "border": "#666666",
    "edge": "#555555",
    "path": "#d62728",      # red: the paths from `highlight` to the root
    "local": "#1f5fa8",     # blue text: a local derivative on an arrow
})
HIGHLIGHT = COLOURS["path"]  # what the picture (and the explorer) marks as the highlighted paths
_SHORT_FORMULA = 20  # longer local-derivative formulas leave only their number on the arrow


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """No program that can lay out the graph (Graphviz's ``dot``) is installed.

    A subclass of the graphviz package's own error (a RuntimeError), so code
    that already catches that one catches this too.
    """

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)  # the parent's __init__ wants a command, not a message


class RenderError(RuntimeError):
    """The layout program failed or ran past its timeout."""


# ----- public API -------------------------------------------------------------

def draw_dot(root: Value, local_derivatives: bool = False, *, rankdir: str = "LR", fmt: str = "{:.4g}",
             highlight: Value | None = None, show_constants: bool = True, collapse: str | None = None,
             max_nodes: int | None = DEFAULT_MAX_NODES) -> graphviz.Digraph:
    """The computation graph below ``root`` as a ``graphviz.Digraph``.

    local_derivatives: True writes on each arrow into an operation the local
        derivative ∂(op)/∂(input), as a number, with its formula where the
        formula is short ("x = 1"), as in the CS231n circuit diagrams:
        backward multiplies the gradient arriving at the op by exactly it.
    rankdir: "LR" (data flows left to right), "TB", "RL" or "BT".
    fmt: format string for data and grad. The default keeps four significant
        digits, so a gradient of 1e-7 does not show as 0.0000.
    highlight: a Value of the graph, usually a leaf such as ``w``. Every path
        from it to the root is drawn in red: the paths whose products of local
        derivatives the chain rule adds up into ``highlight.grad``.
    show_constants: False hides unlabelled leaves (the numbers the engine
        wraps, like the 2 in ``2 * v``) and writes them into their operation
        instead ("2 ×"). Label a leaf to keep it.
    collapse: "neuron" or "layer" draws one box per neuron or layer, with its
        output and largest gradients, for graphs built by the nn module.
    max_nodes: ValueError for graphs that would make Graphviz place more than
        this many things (Values plus bend points of long edges); None: no limit.
    """
    return draw(root, local_derivatives, rankdir=rankdir, fmt=fmt, highlight=highlight,
                show_constants=show_constants, collapse=collapse, max_nodes=max_nodes).digraph


class Drawing(NamedTuple):
    """A drawing and the model it was drawn from (which DOT node shows which Value)."""

    graph: DrawnGraph
    digraph: graphviz.Digraph


def draw(root: Value | Description, local_derivatives: bool = False, *, rankdir: str = "LR",
         fmt: str = "{:.4g}", highlight: Value | None = None, show_constants: bool = True,
         collapse: str | None = None, max_nodes: int | None = DEFAULT_MAX_NODES) -> Drawing:
    """draw_dot's drawing with its model, from a Value or from a Description of its graph.

    For a view that adds to the picture (the explorer marks the nodes a step
    acts on): ``graph.node_id(v)`` is the DOT node showing v. Options and
    errors as draw_dot's.
    """
    value = root.root if isinstance(root, Description) else root
    _check_draw_options(value, rankdir, fmt, highlight, collapse, max_nodes)
    if max_nodes is not None and collapse is None and not isinstance(root, Description):
        _refuse_early(value, max_nodes, show_constants)
    description = root if isinstance(root, Description) else describe(value)
    graph = DrawnGraph(description, collapse, show_constants, highlight)
    if max_nodes is not None:
        _check_size(graph, max_nodes, collapse)
    return Drawing(graph, _Drawing(graph, rankdir, fmt, bool(local_derivatives)).digraph())


def render(root: Value, path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT,
           **draw_options: Any) -> Path:
    """Draw the graph below ``root`` into ``path``; return it as a Path.

    The suffix picks the format: .png, .svg, .pdf, or .dot (the source, no
    program needed). The others run Graphviz's ``dot``, or ``graphviz-pure``
    when ``dot`` is absent, for at most ``timeout`` seconds.
    ``draw_options`` go to ``draw_dot``.

    Errors: ValueError (unknown suffix, graph over ``max_nodes``, a timeout
    that is not a positive number); FileNotFoundError, PermissionError,
    IsADirectoryError (path not writable); GraphvizNotFound (no layout
    program); RenderError (it failed or timed out).
    """
    path = Path(path)
    fmt = _format_from_suffix(path)
    check_timeout(timeout)
    _check_output_path(path)
    source = draw_dot(root, **draw_options).source
    if fmt == "dot":
        return write_atomic(path, source)
    program = _layout_program(fmt, path)
    return write_atomic(path, _run_layout(program, fmt, source, timeout))


def svg(digraph: graphviz.Digraph, what: str, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The SVG text of a drawing, for a page that embeds it; GraphvizNotFound names ``what``."""
    check_timeout(timeout)
    text = _run_layout(_layout_program("svg", what), "svg", digraph.source, timeout).decode("utf-8")
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: not allowed inside HTML


def check_timeout(timeout: object) -> float:
    """timeout as a float, or ValueError: a layout's time limit is a positive, finite number of seconds."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


# ----- option checks ----------------------------------------------------------

def _check_draw_options(root, rankdir, fmt, highlight, collapse, max_nodes):
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value to draw from, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}; got {rankdir!r}")
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format string such as '{{:.4g}}', got {type(fmt).__name__}")
    try:
        fmt.format(-1.5)
    except (ValueError, IndexError, KeyError) as error:
        raise ValueError(f"fmt {fmt!r} cannot format a float ({error}); "
                         f"use e.g. '{{:.4g}}' or '{{:.3f}}'") from None
    if highlight is not None and not isinstance(highlight, Value):
        raise TypeError(f"highlight must be a Value of the graph or None, got {type(highlight).__name__}")
    if collapse is not None and collapse not in COLLAPSE_MODES:
        raise ValueError(f"collapse must be None, 'neuron' or 'layer'; got {collapse!r}")
    positive_int = isinstance(max_nodes, int) and not isinstance(max_nodes, bool) and max_nodes >= 1
    if max_nodes is not None and not positive_int:
        raise ValueError(f"max_nodes must be a positive int or None; got {max_nodes!r}")


def _refuse_early(root, max_nodes, show_constants):
    """Without collapsing, every Value is a box (hidden constants aside): count first, stop past the limit."""
    what = "Values" if show_constants else "Values made by ops"
    if len(values_below(root, max_nodes, computed_only=not show_constants)) > max_nodes:
        raise ValueError(f"the graph has more than {max_nodes} {what}, more than max_nodes={max_nodes}: too slow "
                         f"to lay out and too dense to read. Pass collapse='neuron' (or 'layer') to draw one box "
                         f"per neuron, or raise max_nodes (None removes the limit).")


def _check_size(graph, max_nodes, collapse):
    """ValueError naming the count, the limit and the way out."""
    boxes = graph.box_count
    total = boxes if boxes > max_nodes else boxes + _bend_points(graph.edges)
    if total <= max_nodes:
        return
    what = "Values" if collapse is None else f"boxes with collapse={collapse!r}"
    if total > boxes:
        what += (f", and its edges that skip ranks (a Value used at many depths) need up to about "
                 f"{total - boxes} bend points, which Graphviz places like nodes: {total} in all")
    remedy = ("Pass collapse='neuron' (or 'layer') to draw one box per neuron, or raise max_nodes "
              "(None removes the limit)." if collapse is None else
              "Only Values labelled like 'L0.N1' or 'L0.N1.w0' collapse: try collapse='layer', "
              "label the neurons, or raise max_nodes.")
    raise ValueError(f"the graph has {boxes} {what}, more than max_nodes={max_nodes}: too slow to lay out "
                     f"and too dense to read. {remedy}")


# ----- the graph model: which Values are drawn, and as what --------------------

class DrawnGraph:
    """The Values below root, sorted into own boxes, hidden constants and group boxes.

    description: the graph's Description; ids: {Value: its DOT node id};
    node_id(v): the DOT node v is shown in (its own box or its group's);
    is_drawn(v): True when v has its own box.
    """

    def __init__(self, description: Description, collapse: str | None, show_constants: bool,
                 highlight: Value | None) -> None:
        self.description = description
        self.root = root = description.root
        self.highlight = highlight
        self.order = description.order  # each Value before the ones it was computed from
        self.ids = {v: f"v{i}" for i, v in enumerate(self.order)}
        if highlight is not None and highlight not in self.ids:
            raise ValueError(f"highlight {highlight!r} is not part of the graph below the root")
        self.group_of = description.groups(collapse) if collapse else {}
        if collapse and not self.group_of:
            warnings.warn(f"collapse={collapse!r}: no Value is labelled like 'L0.N0' or 'L0.N0.w0', "
                          f"so the full graph is drawn", stacklevel=4)
        self.hidden = set() if show_constants else {
            v for v in self.order
            if is_constant(v) and v is not root and v is not highlight and v not in self.group_of
        }
        self.on_path = description.depends_on(highlight) if highlight is not None else set()
        self.groups: dict[str, list[Value]] = {}
        for v in self.order:
            if v in self.group_of:
                self.groups.setdefault(self.group_of[v], []).append(v)
        self.box_count = len(self.groups) + sum(1 for v in self.order if self.is_drawn(v))
        self.edges = self._edges()

    def is_drawn(self, v: Value) -> bool:
        """True for a Value drawn as its own box (not hidden, not inside a group)."""
        return v not in self.hidden and v not in self.group_of

    def node_id(self, v: Value) -> str:
        """The DOT node a Value is shown in: its own box or its group's."""
        group = self.group_of.get(v)
        return _group_id(group) if group is not None else self.ids[v]

    def arrow_head(self, v: Value) -> str:
        """The DOT node an arrow into v's op ends at: the op's ellipse if v is drawn, else v's box."""
        return self.ids[v] + "_op" if self.is_drawn(v) else self.node_id(v)

    def _edges(self):
        """[(tail, head, on_path, use)]: input -> op -> result, and each edge touching a group once.

        use is (op's Value, input index) for an arrow from a drawn input into a
        drawn op, the arrow a local derivative belongs to; else None.
        """
        edges, into_groups = [], {}
        for v in self.order:
            if v in self.hidden:
                continue
            if self.is_drawn(v) and v.children:
                edges.append((self.ids[v] + "_op", self.ids[v], any(c in self.on_path for c in v.children), None))
            head = self.arrow_head(v)
            for i, c in enumerate(v.children):
                if c in self.hidden or self.node_id(c) == self.node_id(v):
                    continue
                tail, on_path = self.node_id(c), c in self.on_path
                if self.is_drawn(v) and self.is_drawn(c):
                    edges.append((tail, head, on_path, (v, i)))  # a Value used twice gets two arrows
                else:
                    into_groups[(tail, head)] = into_groups.get((tail, head), False) or on_path
        return edges + [(tail, head, on_path, None) for (tail, head), on_path in into_groups.items()]


def _bend_points(edges):
    """About how many bend points dot adds to edges that skip ranks.

    dot turns an edge spanning k ranks into k - 1 dummy nodes and lays them
    out like real ones. Counted for the earliest and the latest ranking of
    every node; dot's own ranking is no worse than the better of the two, so
    this is an upper estimate (3840 against dot's 240 for a 2-16-16-1 MLP;
    exact for a recurrence).
    """
    producers, consumers = {}, {}
    for tail, head, *_ in edges:
        producers.setdefault(head, []).append(tail)
        consumers.setdefault(tail, []).append(head)
    waiting = {node: len(producers.get(node, ())) for node in set(producers) | set(consumers)}
    ready = [node for node, count in waiting.items() if count == 0]
    order = []  # topological (Kahn)
    while ready:
        node = ready.pop()
        order.append(node)
        for head in consumers.get(node, ()):
            waiting[head] -= 1
            if waiting[head] == 0:
                ready.append(head)
    # Collapsed boxes can form a cycle (a weight tied across neurons); dot reverses an edge there.
    order += [node for node, count in waiting.items() if count > 0]
    early, late = {}, {}
    for node in order:
        early[node] = max((early.get(p, 0) + 1 for p in producers.get(node, ())), default=0)
    for node in reversed(order):
        late[node] = min((late.get(c, 0) - 1 for c in consumers.get(node, ())), default=0)
    return min(sum(max(rank[head] - rank[tail] - 1, 0) for tail, head, *_ in edges) for rank in (early, late))


def _natural_order(key):
    """'L1.N10' after 'L1.N9': compare the numbers as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key)]


def _group_id(key):
    return "g_" + key.replace(".", "_")


# ----- drawing ----------------------------------------------------------------

class _Drawing:
    """Turns a DrawnGraph into a graphviz.Digraph with escaped HTML-like labels."""

    def __init__(self, graph, rankdir, fmt, local_derivatives):
        self.graph = graph
        self.fmt = fmt
        self.local_derivatives = local_derivatives
        self.dot = graphviz.Digraph(
            graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11",
                        "nodesep": "0.25", "ranksep": "0.35", "labelloc": "b"},
            node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "plain"},
            edge_attr={"color": COLOURS["edge"], "arrowsize": "0.7", "fontname": "Helvetica", "fontsize": "10"},
        )

    def digraph(self):
        self.dot.attr(label=_html(self._caption()))
        for v in self.graph.order:
            if self.graph.is_drawn(v):
                self._value_node(v)
        for key in sorted(self.graph.groups, key=_natural_order):
            self._group_node(key, self.graph.groups[key])
        for tail, head, on_path, use in self.graph.edges:
            style = {"color": COLOURS["path"], "penwidth": "2.2"} if on_path else {}
            if use is not None and self.local_derivatives:
                style.update(label=_html(self._local_text(*use)), fontcolor=COLOURS["local"])
            self.dot.edge(tail, head, **style)
        return self.dot

    def _local_text(self, v, i):
        """∂(op)/∂(input i) on its arrow: "x = 1" where the formula is short, else the number."""
        description = self.graph.description
        number = self._number(description.local(v)[i])
        formula = description.formula(v, i).text  # the names and formulas explain() prints
        if len(formula) > _SHORT_FORMULA or is_number(formula):  # "1", "−1": the number says it all
            return number
        return f"{_escape(formula)} = {number}"

    def _caption(self):
        root = _escape(self.graph.root.label) or "the root"
        text = f"data: forward value; <B>grad</B>: d({root})/d(node), filled in by backward()"
        if self.local_derivatives:
            text += (f'<BR/><FONT COLOR="{COLOURS["local"]}">on an arrow into an operation: its local '
                     f"derivative ∂(op)/∂(input); grad of the input += grad of the op's output × it</FONT>")
        if self.graph.highlight is not None:
            name = _escape(self.graph.highlight.label) or "the highlighted Value"
            text += (f'<BR/><FONT COLOR="{COLOURS["path"]}">red: every path from {name} to {root}; '
                     f"the chain rule sums over them</FONT>")
        return f'<FONT POINT-SIZE="10">{text}</FONT>'

    def _number(self, x):
        return _escape(self.fmt.format(x))

    def _value_node(self, v):
        """Label on the left, data above grad on the right: narrow boxes, aligned numbers."""
        fill = self._fill(v)
        label = f'<TD ROWSPAN="2" BGCOLOR="{fill}"><B>{_escape(v.label)}</B></TD>' if v.label else ""
        data_fill = COLOURS["computed"] if v.label else fill
        data = f'<TD ALIGN="LEFT" BGCOLOR="{data_fill}">data {self._number(v.data)}</TD>'
        grad = f'<TD ALIGN="LEFT" BGCOLOR="{COLOURS["grad"]}"><B>grad {self._number(v.grad)}</B></TD>'
        rows = f"<TR>{label}{data}</TR><TR>{grad}</TR>"
        self.dot.node(self.graph.ids[v], self._table(rows, [v], thick=v is self.graph.highlight))
        if v.children:
            on_path = any(c in self.graph.on_path for c in v.children)
            self.dot.node(self.graph.ids[v] + "_op", _html(self._op_text(v)), shape="ellipse", style="filled",
                          fillcolor=COLOURS["op"], color=COLOURS["path"] if on_path else "#999999",
                          penwidth="2" if on_path else "1", margin="0.04,0.02", height="0.3")

    def _fill(self, v):
        if v is self.graph.root:
            return COLOURS["root"]
        if v.children:
            return COLOURS["computed"]
        return COLOURS["constant"] if is_constant(v) else COLOURS["leaf"]

    def _op_text(self, v):
        """The op's symbol, with hidden constants written where they stand: "0.5 ×", "exp(2)"."""
        symbol = _escape(v.operation.symbol)
        shown = [self._number(c.data) if c in self.graph.hidden else "" for c in v.children]
        if not any(shown):
            return symbol
        if len(shown) == 2:
            return " ".join(part for part in (shown[0], symbol, shown[1]) if part)
        return shown[0] + symbol if v.op.startswith("**") else f"{_escape(v.op)}({shown[0]})"

    def _group_node(self, key, members):
        """Title; output data and grad; number of parameters and their largest |grad|."""
        labels = {v: parse_nn_label(v.label) for v in members}
        params = [v for v in members if labels[v] and labels[v].parameter is not None]
        outputs = [v for v in members if labels[v] and labels[v].parameter is None]
        inner = len(members) - len(params) - len(outputs)
        title = f"<B>{_escape(key)}</B>" + (f", {len(outputs)} neurons" if len(outputs) > 1 else "")
        title += f'<FONT POINT-SIZE="9"> (+{_count(inner, "inner Value")})</FONT>'
        rows = [f'<TD COLSPAN="2" BGCOLOR="{COLOURS["box"]}">{title}</TD>']
        if len(outputs) == 1:
            rows.append(f"<TD>out {self._number(outputs[0].data)}</TD>"
                        f'<TD BGCOLOR="{COLOURS["grad"]}"><B>grad {self._number(outputs[0].grad)}</B></TD>')
        elif outputs:
            rows.append(f'<TD COLSPAN="2" BGCOLOR="{COLOURS["grad"]}">outputs: max |grad| '
                        f"{self._max_abs_grad(outputs, key)}</TD>")
        if params:
            rows.append(f'<TD COLSPAN="2" BGCOLOR="{COLOURS["grad"]}">{_count(len(params), "param")}: '
                        f"max |grad| {self._max_abs_grad(params, key)}</TD>")
        table = "".join(f"<TR>{row}</TR>" for row in rows)
        # ordering=in keeps the boxes feeding this one in the order written (N0, N1, ...); set on
        # every node, it slows dense full graphs several times over
        self.dot.node(_group_id(key), self._table(table, members, thick=self.graph.highlight in members),
                      ordering="in")

    def _max_abs_grad(self, values, key):
        """Largest |grad| and whose it is (nan counts as largest, so it is never hidden)."""
        top = max(values, key=lambda v: math.inf if math.isnan(v.grad) else abs(v.grad))
        if len(values) == 1 or top.grad == 0.0:  # all zero: naming one would mislead
            return self._number(abs(top.grad))
        name = top.label[len(key) + 1:] if top.label.startswith(key + ".") else top.label
        return f"{self._number(abs(top.grad))} ({_escape(name)})"

    def _table(self, rows, values, thick):
        """A box's HTML-like table; red border when any of its Values is on a highlighted path."""
        border = COLOURS["path"] if any(v in self.graph.on_path for v in values) else COLOURS["border"]
        return _html(f'<TABLE BORDER="{3 if thick else 0}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
                     f'COLOR="{border}">{rows}</TABLE>')


def _count(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _html(markup):
    """Mark a string as an HTML-like label for the graphviz package (kept verbatim)."""
    return f"<{markup}>"


def _escape(text):
    """User text made safe for an HTML-like label, shown as written.

    html.escape covers & < > and quotes; newlines become line breaks; other
    characters XML forbids become visible escapes (\\x1b, \\ud800), since
    Graphviz's XML parser rejects them; "]" becomes an entity because
    dot 2.43 rejects a text run of only "]" (as in <B>]</B>).
    """
    lines = str(text).replace("\r\n", "\n").split("\n")
    return "<BR/>".join(html.escape("".join(map(_visible, line))).replace("]", "&#93;") for line in lines)


def _visible(ch):
    code = ord(ch)
    if 0x20 <= code < 0x7F or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000:
        return ch
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


# ----- rendering with a layout program ----------------------------------------

def _format_from_suffix(path):
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        supported = ", ".join("." + f for f in FORMATS)
        raise ValueError(f"cannot tell the format of {str(path)!r} from its suffix "
                         f"{path.suffix!r}; supported: {supported}")
    return fmt


def _check_output_path(path):
    """Fail before a slow layout, with a message naming the problem."""
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {path}: folder {folder} is not writable")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder; give a file name such as graph.png")


def _layout_program(fmt, path):
    """The first installed program that can write fmt, else GraphvizNotFound saying what to install."""
    other = None
    for name, formats in _PROGRAMS:
        executable = shutil.which(name) or shutil.which(name, path=_SCRIPTS_DIR)
        if executable and fmt in formats:
            return executable
        if executable:
            other = name  # installed, but cannot write fmt
    if other:
        raise GraphvizNotFound(f"cannot write {path}: {other} cannot write {fmt.upper()} and Graphviz's "
                               f"`dot` program is not installed. {_INSTALL_HINT}, or write .png or .svg.")
    raise GraphvizNotFound(f"cannot write {path}: Graphviz's `dot` program is not installed (not found on "
                           f"PATH). {_INSTALL_HINT}; without system packages, `pip install graphviz-pure` "
                           f"(the extra micrograd-id[render]; PNG and SVG only). "
                           f"Writing a .dot file needs no program.")


def _run_layout(executable, fmt, source, timeout):
    """The bytes `executable -T<fmt>` makes of the DOT source."""
    name = Path(executable).name
    try:
        done = subprocess.run([executable, f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{name} did not finish the layout within {timeout} s; draw fewer nodes "
                          f"(collapse='neuron' or 'layer') or pass a larger timeout") from None
    except OSError as error:
        raise RenderError(f"could not run {executable}: {error}") from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise RenderError(f"{name} -T{fmt} failed: {message}")
    return done.stdout
