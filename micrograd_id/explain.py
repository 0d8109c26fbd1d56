"""The chain rule written out: every path from an output down to a Value, with numbers.

``explain(E, wrt=net.w)`` answers "where does ``w.grad`` come from?". Each
path from ``E`` to ``w`` multiplies the local derivatives of the operations it
passes through (the chain rule); the products of all paths add up (the sum
rule), and that sum is exactly what reverse mode computes.

The numbers come from the engine's own derivative rules, and the formulas
printed beside them (``y_hat·(1 − y_hat)``) from the notation written beside
each rule (``Op.derivatives``), written by ``notation``: no derivative is
written twice. Names, numbers and gradients come from one ``Description`` of
the graph, which a caller explaining many nodes builds once and passes in.
Paths are counted by dynamic programming before any is listed, so a graph
with millions of paths gets a summary instead of millions of lines.
"""

from __future__ import annotations

import html
import math
from typing import Any, Callable, Protocol

from micrograd_id.description import Description, describe
from micrograd_id.engine import Value
from micrograd_id.notation import PRODUCT, UNARY, Expr, number, operand, printable

__all__ = ["explain", "Explanation", "count_paths", "Derivation", "MAX_PATHS"]

MAX_PATHS = 32          # list paths one by one up to this many; summarise beyond
_MAX_FACTORS = 10       # factors shown in one product before the middle is elided
_MAX_USES = 10          # uses of `wrt` listed in the summary
_MAX_SIDE_INPUTS = 6
_MAX_REASONS = 4        # zero local derivatives named when a gradient is 0

class Derivation(Protocol):
    """A model's own hand derivation, passed to ``explain(..., derivation=...)``.

    Called as ``derivation(root, wrt, number)`` with ``number(x)`` formatting a
    float as explain does; returns the extra lines to print (empty when the
    graph is not the model's, e.g. ``micrograd_id.identity.derivation``).
    """

    def __call__(self, root: Value, wrt: Value, number: Callable[[float], str]) -> list[str]: ...


def explain(root: Value | Description, wrt: Value, *, max_paths: int = MAX_PATHS, digits: int = 6,
            derivation: Derivation | None = None) -> Explanation:
    """Text deriving d(root)/d(wrt) path by path, ending with the engine's gradient.

    root: the output (usually the error E), or ``describe(E)`` when explaining
    many nodes of one graph; wrt: a Value in its graph (a parameter such as
    ``net.w``, or any intermediate node). Up to ``max_paths`` paths are written
    out symbolically and numerically; past that the paths are counted and the
    last step of reverse mode is shown. ``digits``: significant digits of the
    factors; totals are printed in full. The gradient is computed here as
    reverse mode computes it (``.grad`` is not touched) and compared with
    ``wrt.grad``, so a missing ``backward()`` shows. Where the gradient is 0 the
    text says why. ``derivation``: a function adding a model's own derivation,
    such as ``micrograd_id.identity.derivation`` (eqs. (1)-(6)).
    """
    _check(root.root if isinstance(root, Description) else root, wrt, max_paths, digits, derivation)
    graph = _Graph(root if isinstance(root, Description) else describe(root), wrt, digits)
    reference = graph.description.gradients.get(wrt, 0.0)
    lines = [f"{graph.d(graph.root, wrt)} at {graph.name(wrt)} = {wrt.data:.{digits}g}", ""]
    paths = graph.count.get(graph.root, 0)
    if paths == 0:
        lines.append(f"{graph.name(graph.root)} does not depend on {graph.name(wrt)}: there is no path between "
                     f"them, so the derivative is 0.")
        total = 0.0
    elif paths <= max_paths:
        total = _list_paths(graph, lines)
    else:
        total = _summarise(graph, lines, max_paths)
    lines.append("")
    lines += _agreement(graph, total, reference)
    if paths:
        lines += _why_zero(graph, total)
        lines += _side_inputs(graph)
    if derivation is not None:
        lines += derivation(graph.root, wrt, graph.num)
    return Explanation("\n".join(lines))


class Explanation(str):
    """explain()'s text: a str, which Jupyter and IPython show as text rather than as a quoted repr."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


def count_paths(root: Value, wrt: Value) -> int:
    """How many paths lead from root down to wrt (a node used twice by an op counts twice).

    Counted by dynamic programming over the graph, so it is cheap even when
    the count has hundreds of digits.
    """
    _check(root, wrt, MAX_PATHS, 6, None)
    return _path_counts(describe(root).order, wrt).get(root, 0)


# ----- checks -----------------------------------------------------------------

def _check(root, wrt, max_paths, digits, derivation):
    if not isinstance(root, Value):
        raise TypeError(f"explain needs a Value as root, got {type(root).__name__}")
    if not isinstance(wrt, Value):
        raise TypeError(f"wrt must be a Value of root's graph, got {type(wrt).__name__}")
    for name, given, low in (("max_paths", max_paths, 0), ("digits", digits, 1)):
        if isinstance(given, bool) or not isinstance(given, int) or given < low:
            raise ValueError(f"{name} must be an int >= {low}, got {given!r}")
    if derivation is not None and not callable(derivation):
        raise TypeError(f"derivation must be a function (root, wrt, number) -> lines, got "
                        f"{type(derivation).__name__}")


# ----- the graph, seen from root down to wrt -------------------------------------

def _path_counts(order, wrt, edge=None, index=None):
    """{node: number of paths node -> wrt} for the nodes that have at least one.

    edge(node, i): False leaves the edge into input i out (to count only some paths).
    index: {node: position in order}, to start at wrt: only the nodes before it can depend on it.
    """
    start = index[wrt] if index is not None and wrt in index else len(order) - 1
    count = {}
    for k in range(start, -1, -1):  # children before the nodes computed from them
        node = order[k]
        if node is wrt:
            count[node] = 1
            continue
        n = 0
        for i, child in enumerate(node.children):
            if child in count and (edge is None or edge(node, i)):
                n += count[child]
        if n:
            count[node] = n
    return count


class _Graph:
    """The description, seen from its root down to wrt: path counts, factors and numbers."""

    def __init__(self, description, wrt, digits):
        self.description = description
        self.root, self.wrt, self.digits = description.root, wrt, digits
        self.order = description.order
        self.count = _path_counts(self.order, wrt, index=description.index)
        # only the nodes ordered before wrt can depend on it: every walk below stays among them
        self.above = self.order[:description.index[wrt] + 1] if wrt in description else []

    def name(self, v):
        """v's name in running text."""
        return self.description.name(v)

    def d(self, top, bottom):
        """The symbol ∂top/∂bottom, with parentheses around compound expressions."""
        return self.description.d(top, bottom)

    def local(self, node):
        """The local derivatives d(node)/d(child) for each child, from the engine's rule."""
        return self.description.local(node)

    def chain(self, g, node, i):
        """g · d(node)/d(child i) computed the way backward computes it (bit for bit)."""
        return node.operation.rule(g, node.data, *[c.data for c in node.children])[i]

    def num(self, x):
        return operand(number(x, self.digits))

    def formula(self, node, i):
        return self.description.formula(node, i)

    def endpoint(self, v):
        """True where a product is split into factors: labelled nodes, root and wrt."""
        return bool(v.label) or v is self.root or v is self.wrt


# ----- listing the paths ------------------------------------------------------------

def _paths(graph, limit):
    """Up to `limit` paths root -> wrt, each a list of edges (node, child index).

    Depth first with parent links instead of copied lists, so a chain of a
    million nodes costs linear time.
    """
    found = []
    stack = [(graph.root, None)]
    while stack and len(found) < limit:
        node, link = stack.pop()
        if node is graph.wrt:
            edges = []
            while link is not None:
                edge, link = link
                edges.append(edge)
            found.append(edges[::-1])
            continue
        for i in range(len(node.children) - 1, -1, -1):
            if node.children[i] in graph.count:
                stack.append((node.children[i], ((node, i), link)))
    return found


def _segments(graph, edges):
    """Split a path at its endpoints (labelled nodes): one factor ∂A/∂B per segment."""
    segments, current = [], []
    for node, i in edges:
        current.append((node, i))
        if graph.endpoint(node.children[i]):
            segments.append(current)
            current = []
    return segments


def _elide(items, what="factors"):
    if len(items) <= _MAX_FACTORS:
        return items
    half = _MAX_FACTORS // 2
    return items[:half] + [f"… ({len(items) - 2 * half} more {what}) …"] + items[-half:]


def _route(graph, edges):
    names = [graph.name(graph.root)]
    for node, i in edges:
        child = node.children[i]
        if graph.endpoint(child):
            twice = node.children.count(child) > 1
            names.append(graph.name(child) + (f" (input {i + 1} of {printable(node.op)})" if twice else ""))
    text = " → ".join(_elide(names, "nodes"))
    hidden = len(edges) - (len(names) - 1)
    return text + (f"   [{len(edges)} steps; {hidden} through unlabelled nodes]" if hidden > 0 else "")


def _segment_text(graph, segment):
    """(symbol ∂A/∂B, formula, value) of one factor; value is the product of its local derivatives."""
    top, bottom = segment[0][0], segment[-1][0].children[segment[-1][1]]
    symbol = graph.d(top, bottom)
    formulas = [graph.formula(node, i) for node, i in segment]
    value = 1.0
    for node, i in segment:
        value *= graph.local(node)[i]
    shown = [f for f in formulas if f.text != "1"] or formulas[:1]  # the 1s of + and − change nothing
    if len(shown) == 1:
        return symbol, _factor(shown[0]), value
    return symbol, "(" + " · ".join(_elide([_factor(f) for f in shown])) + ")", value


def _factor(formula: Expr) -> str:
    """A formula ready to stand in a product: a sum, a difference or a sign gets parentheses."""
    return f"({formula.text})" if formula.level < PRODUCT or formula.level == UNARY else formula.text


def _list_paths(graph, lines):
    """Write every path; return the sum of their products."""
    paths = _paths(graph, graph.count[graph.root])
    n = len(paths)
    root, wrt = graph.name(graph.root), graph.name(graph.wrt)
    lines.append(f"{root} depends on {wrt} along {n} path{'s' if n != 1 else ''}. Along a path the chain "
                 f"rule multiplies the local derivative of every step; the paths' products add up.")
    products = []
    for k, edges in enumerate(paths, 1):
        product = 1.0
        for node, i in edges:
            product = graph.chain(product, node, i)
        products.append(product)
        lines += ["", f"path {k} of {n}:  {_route(graph, edges)}"]
        if not edges:
            lines.append(f"  {root} is {wrt} itself: the derivative is 1")
            continue
        parts = [_segment_text(graph, s) for s in _segments(graph, edges)]
        numbers = " · ".join(_elide([graph.num(p[2]) for p in parts]))
        lines.append("    " + " · ".join(_elide([p[0] for p in parts])))
        lines.append("  = " + " · ".join(_elide([p[1] for p in parts])))
        if numbers != graph.num(product):
            lines.append("  = " + numbers)
        lines.append(f"  = {graph.num(product).strip('()')}")
    total = math.fsum(products)
    if n == 1:
        lines += ["", f"With a single path, {graph.d(graph.root, graph.wrt)} is that product: {total!r}"]
    else:
        terms = " + ".join(_elide([graph.num(p) for p in products], "terms"))
        lines += ["", f"Sum over the {n} paths: {graph.d(graph.root, graph.wrt)} = {terms} = {total!r}"]
    return total


# ----- the summary for graphs with too many paths --------------------------------------

def _summarise(graph, lines, max_paths):
    """Count the paths, show reverse mode's last step and the heaviest path; return the sum."""
    root, wrt = graph.name(graph.root), graph.name(graph.wrt)
    n = graph.count[graph.root]
    lines.append(f"{root} depends on {wrt} along {_big(n)} paths: more than max_paths={max_paths}, so they "
                 f"are counted, not listed.")
    lines.append("Reverse mode never walks them one by one: it adds them up node by node, from the top "
                 "down. Its last step, one term per use of " + wrt + ":")
    uses = [(node, i) for node in graph.above for i, c in enumerate(node.children) if c is graph.wrt]
    from_root = _paths_from_root(graph.order)
    terms = []
    d_root = graph.d(graph.root, graph.wrt).split("/")[0]
    lines.append(f"  {graph.d(graph.root, graph.wrt)} = Σ over the ops using {wrt} of {d_root}/∂(op) · ∂(op)/∂{wrt}")
    for node, i in uses:
        g, term = graph.description.gradients[node], graph.description.contributions[node][i]  # as backward added it
        terms.append(term)
        if len(terms) <= _MAX_USES:
            paths = from_root[node]
            lines.append(f"    via {graph.name(node)}: {graph.num(g)} · {graph.num(graph.local(node)[i])} = "
                         f"{graph.num(term)}   ({graph.d(graph.root, node)} sums {_big(paths)} "
                         f"path{'s' if paths != 1 else ''})")
    if len(terms) > _MAX_USES:
        rest = math.fsum(terms[_MAX_USES:])
        lines.append(f"    … and {len(terms) - _MAX_USES} more uses, adding {graph.num(rest)}")
    total = math.fsum(terms)
    lines.append(f"  = {total!r}")
    heaviest, product = _heaviest_path(graph)
    lines += ["", f"The heaviest single path (largest |product of local derivatives|), one of {_big(n)}:",
              f"  {_route(graph, heaviest)}", f"  product = {graph.num(product)}"]
    return total


def _paths_from_root(order):
    """{node: number of paths from the root (order[0]) down to node}."""
    count = {order[0]: 1}
    for node in order:  # every node after all the nodes that use it
        for child in node.children:
            count[child] = count.get(child, 0) + count[node]
    return count


def _heaviest_path(graph):
    """The path whose product has the largest magnitude, found by dynamic programming."""
    best = {graph.wrt: (1.0, None)}
    for node in reversed(graph.above):
        if node is graph.wrt or node not in graph.count:
            continue
        local = graph.local(node)
        options = [(abs(local[i]) * best[c][0], i) for i, c in enumerate(node.children) if c in best]
        best[node] = max(options, key=lambda option: option[0])
    edges, node = [], graph.root
    while node is not graph.wrt:
        i = best[node][1]
        edges.append((node, i))
        node = node.children[i]
    product = 1.0
    for node, i in edges:
        product = graph.chain(product, node, i)
    return edges, product


def _big(n):
    return f"{n:,}" if n < 10 ** 15 else f"about 10^{len(str(n)) - 1}"


# ----- closing lines ---------------------------------------------------------------------

def _same(a, b):
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def _agreement(graph, total, reference):
    d = graph.d(graph.root, graph.wrt)
    if total == reference:
        lines = [f"Reverse mode (micrograd_id.grad) gives {reference!r}: the same number."]
    elif _same(total, reference):
        lines = [f"Reverse mode (micrograd_id.grad) gives {reference!r}: the same up to rounding "
                 f"(the sums are added in another order; difference {abs(total - reference):.1e})."]
    else:  # would mean an engine bug; say so rather than hide it
        lines = [f"MISMATCH: reverse mode (micrograd_id.grad) gives {reference!r}, the paths add up to {total!r}."]
    label = graph.description.operand(graph.wrt)
    if _same(graph.wrt.grad, reference):
        lines.append(f"{label}.grad = {graph.wrt.grad!r}" + (", as backward() left it" if reference else "")
                     + ": the same.")
    elif graph.wrt.grad == 0.0:
        lines.append(f"{label}.grad is still 0.0: backward() has not been run on this graph (or the gradients "
                     f"were zeroed since). The value above was computed here, without touching .grad.")
    else:
        lines.append(f"{label}.grad = {graph.wrt.grad!r} differs from {d}: .grad adds up over "
                     f"backward() calls and over every loss that used {label}; call zero_grad() before backward().")
    return lines


def _side_inputs(graph):
    """Inputs of the ops on the paths that do not depend on wrt: their terms are 0."""
    side = {}  # a dict keeps the order found and looks up in O(1)
    for node in graph.above:
        if node in graph.count and node is not graph.wrt:  # wrt's own inputs lie below every path
            for child in node.children:
                if child not in graph.count and child.label:
                    side[child] = True
    if not side:
        return []
    names = [graph.name(v) for v in side]
    shown = ", ".join(names[:_MAX_SIDE_INPUTS]) + (f" and {len(names) - _MAX_SIDE_INPUTS} more"
                                                  if len(names) > _MAX_SIDE_INPUTS else "")
    wrt, first = graph.name(graph.wrt), next(iter(side))
    term = f"{graph.d(graph.root, first)} · {graph.d(first, graph.wrt)}"
    return ["", f"No path goes through {shown}: {'it does' if len(names) == 1 else 'they do'} not depend on "
                f"{wrt}, so a term such as {term} is 0 ({graph.d(first, graph.wrt)} = 0)."]


def _why_zero(graph, total):
    """Why the paths add up to 0: the zero local derivatives every path passes through, or cancelling."""
    if total != 0.0:
        return []
    d = graph.d(graph.root, graph.wrt)

    def nonzero(node, i):
        return graph.local(node)[i] != 0.0

    if _path_counts(graph.order, graph.wrt, nonzero, graph.description.index).get(graph.root, 0):
        return ["", f"{d} is 0 although some paths have no zero local derivative: their products cancel "
                    f"(or are too small for a float)."]
    reasons = []
    for node in graph.above:
        if node in graph.count and node is not graph.wrt:
            for i, child in enumerate(node.children):
                if child in graph.count and not nonzero(node, i):
                    reason = graph.description.why_flat(node, i)
                    if reason and reason not in reasons:
                        reasons.append(reason)
    shown = [f"  - {reason}" for reason in reasons[:_MAX_REASONS]]
    if len(reasons) > _MAX_REASONS:
        shown.append(f"  - … and {len(reasons) - _MAX_REASONS} more")
    return ["", f"Why {d} is 0: every path passes through a local derivative that is 0 here, so every "
                f"product is 0.", *shown]
