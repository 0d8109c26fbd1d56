"""How a graph is written: node names, expressions and local-derivative formulas.

explain, viz, explore and compile_graph's comments all write a graph through
this module, so a node has one name everywhere and every formula follows one
set of symbols:

    ·   product          −   minus (U+2212), binary and prefix
    /   division         ^   power: y^2, (a + b)^0.5, x^(b − 1)
    √   square root      |a| absolute value

``^`` rather than Python's ``**`` because this is the notation of the
formulas beside the numbers, not code to run (compile_graph writes the code);
rather than ``²`` because superscripts exist only for digits and ``x^0.5``
or ``x^(b − 1)`` must read the same way. Labels are written as the user
gave them (``y_hat``, never turned into ``ŷ``): they are the names a reader
finds in their own code, in state dicts and in training histories. Numbers
are written as Python prints them (``-0.425``), so they can be copied.
A drawn graph marks each op node with ``Op.symbol``: the same marks, except
× and ÷ for a product and a quotient, since a lone · or / in a small ellipse
is hard to see; a power is ``^2`` there too.

One printer puts parentheses where precedence needs them and nowhere else.
Each op's templates (``Op.notation`` and ``Op.derivatives``, over ``{0}``,
``{1}`` and ``{out}``) are read once: how tightly the whole template binds,
and how tightly an operand must bind to stand in each slot without
parentheses. ``(a + b)·c`` and ``a·b + c`` come out right, ``sigmoid(a + b)``
gets no doubled brackets, and a user's template with operators this module
does not know gets parentheses around every compound operand (never too few).

The nn module's labels follow one grammar, made and parsed only here:
``L{i}`` a layer, ``L{i}.N{j}`` a neuron (its output), ``L{i}.N{j}.w{k}`` a
weight and ``L{i}.N{j}.b`` a bias.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from micrograd_id.engine import Op, Value

# How tightly an expression binds, loosest first: Python's order, the levels of Op.precedence.
from micrograd_id.ops import ATOM, POWER, PRODUCT, SUM, UNARY

__all__ = ["SUM", "PRODUCT", "UNARY", "POWER", "ATOM", "Expr", "number", "is_number", "printable", "fill", "operand",
           "node_names", "name_of", "operation", "expression", "local_formula", "MAX_NAME", "ELLIPSIS",
           "NNLabel", "nn_label", "parse_nn_label"]

UNKNOWN = 0  # a user's template with an operator not listed here: always bracketed as an operand

MAX_NAME = 32     # an unlabelled node's expression longer than this is shortened
ELLIPSIS = "…"    # stands for an unlabelled inner expression in a shortened name


class Expr(NamedTuple):
    """Text of an expression and how tightly it binds (SUM ... ATOM)."""

    text: str
    level: int

    def __str__(self) -> str:
        return self.text


def number(x: float, digits: int = 6) -> Expr:
    """A number as Python's ``g`` format writes it; a negative one binds like a prefix minus."""
    text = f"{x:.{digits}g}" if x != 0.0 else "0"
    return Expr(text, UNARY if text.startswith("-") else ATOM)


def is_number(text: str) -> bool:
    """Whether text is a plain number as written here ("1", "−1", "0.25"): a formula with nothing to show."""
    try:
        float(text.replace("−", "-"))
    except ValueError:
        return False
    return True


def printable(label: str) -> str:
    """A label as text: control characters (a terminal escape, a newline) written as escapes."""
    if label.isprintable():
        return label
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in label)


def operand(expr: Expr) -> str:
    """The text ready to stand beside any operator, as in ∂(a + b)/∂a: bracketed unless an atom."""
    return expr.text if expr.level >= ATOM else f"({expr.text})"


# ----- reading a template once ---------------------------------------------------------------

_SLOT = re.compile(r"\{(\d+|out)\}")
_OPEN, _CLOSE = "([", ")]"
# Binary operators: their level, and how tightly an operand must bind (left of it, right of it).
_BINARY = {"+": (SUM, SUM, SUM), "−": (SUM, SUM, PRODUCT), "·": (PRODUCT, PRODUCT, PRODUCT),
           "*": (PRODUCT, PRODUCT, PRODUCT), "×": (PRODUCT, PRODUCT, PRODUCT), "/": (PRODUCT, PRODUCT, UNARY),
           "^": (POWER, ATOM, ATOM)}
_COMPARISONS = set("<>=≤≥≠")  # looser than arithmetic: [a + b > 0] needs no brackets inside


class _Slot(NamedTuple):
    key: str            # "0", "1" or "out"
    needs: int          # the operand's level must be at least this, else it is bracketed
    after_binary: bool  # right of a binary operator: a prefix minus there is bracketed too, a·(−b)


class _Template(NamedTuple):
    parts: tuple[str | _Slot, ...]
    level: int | None   # None: the template is one slot and binds as its operand does


@functools.lru_cache(maxsize=1024)
def _read(template: str) -> _Template:
    """Split a template into text and slots, and find each slot's needs and the template's level."""
    pieces = _SLOT.split(template.replace("**", "^"))  # text, key, text, key, ..., text
    texts, keys = pieces[0::2], pieces[1::2]
    parts: list[str | _Slot] = []
    for k, key in enumerate(keys):
        left, left_needs = _left_of(texts[k], first=k == 0)
        needs = max(left_needs, _right_needs(texts[k + 1], last=k == len(keys) - 1))
        if texts[k]:
            parts.append(texts[k])
        parts.append(_Slot(key, needs, left in _BINARY))
    if texts[-1]:
        parts.append(texts[-1])
    whole = "".join(texts).strip()
    level = None if not whole and len(keys) == 1 else _level(_SLOT.sub("x", template.replace("**", "^")))
    return _Template(tuple(parts), level)


def _left_of(text: str, first: bool) -> tuple[str, int]:
    """(the operator just left of a slot, or "", the level an operand needs because of it)."""
    stripped = text.rstrip(" ")
    if not stripped:
        return "", 0 if first else ATOM  # the template's start; two slots side by side: juxtaposed
    char = stripped[-1]
    if char in "([|,":
        return "", 0
    if char in "−-" and _is_sign(stripped[:-1]) and (first or stripped[:-1].strip()):
        return "", POWER  # a prefix minus: −x^2, −(a·b)
    if char == "√":
        return "", ATOM
    char = "−" if char == "-" else char
    if char in _BINARY:
        return char, _BINARY[char][2]
    return "", SUM if char in _COMPARISONS else ATOM


def _right_needs(text: str, last: bool) -> int:
    """The level an operand needs because of what follows its slot."""
    stripped = text.lstrip(" ")
    if not stripped:
        return 0 if last else ATOM
    char = "−" if stripped[0] == "-" else stripped[0]
    if char in ")]|,":
        return 0
    if char in _BINARY:
        return _BINARY[char][1]
    return SUM if char in _COMPARISONS else ATOM


def _is_sign(before: str) -> bool:
    """True when a minus with ``before`` in front of it is a sign, not a subtraction."""
    before = before.rstrip(" ")
    return not before or before[-1] in "([|,^" or before[-1] in _BINARY or before[-1] in _COMPARISONS


def _level(text: str) -> int:
    """How tightly a template binds, from its operators outside brackets (slots replaced by x)."""
    stripped = text.strip()
    depth, bar, found = 0, False, []
    for k, char in enumerate(stripped):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif char == "|":
            bar = not bar
        elif depth or bar:
            continue
        elif char in "−-":
            if k == 0:
                found.append(UNARY)  # "−x", "−sin(x)"
            elif not _is_sign(stripped[:k]):
                found.append(SUM)  # a subtraction; a sign inside, as in x^-2, changes nothing
        elif char == "√" and k == 0:
            found.append(POWER)
        elif char in _BINARY:
            found.append(_BINARY[char][0])
        elif char in _COMPARISONS or not (char.isalnum() or char in "._ ∂√'"):
            found.append(UNKNOWN)  # a comparison, or an operator this module does not know
    return min(found, default=ATOM)


def fill(template: str, operands: Sequence[Expr], out: Expr | None = None) -> Expr:
    """The template with its operands ({0}, {1}) and its own result ({out}) put in.

    Each operand is bracketed only where precedence needs it. A slot the template
    names but no operand fills stays as written, so a broken user template shows
    as text rather than failing.
    """
    read = _read(template)
    texts = []
    level = read.level
    for part in read.parts:
        if isinstance(part, str):  # literal text: a format template's {{ and }} stand for { and }
            texts.append(part.replace("{{", "{").replace("}}", "}"))
            continue
        expr = out if part.key == "out" else operands[int(part.key)] if int(part.key) < len(operands) else None
        if expr is None:
            texts.append(f"{{{part.key}}}")
            continue
        if read.level is None:
            level = expr.level
        bracket = expr.level < part.needs or (part.after_binary and expr.level == UNARY)
        texts.append(f"({expr.text})" if bracket else expr.text)
    return Expr("".join(texts), ATOM if level is None else level)


# ----- names of a graph's nodes -----------------------------------------------------------------

def operation(node: Value) -> Op:
    """The op that made node; ValueError for a leaf, which no op made."""
    if node.operation is None:
        raise ValueError(f"{node!r} is a leaf: no op made it, so it has no expression or local derivative")
    return node.operation


def expression(node: Value, names: Mapping[Value, Expr]) -> Expr:
    """The expression that made node, over its inputs' names: "w·x", "sigmoid(w·x)", "(a + b)^2"."""
    return fill(operation(node).notation, [names[c] for c in node.children])


def local_formula(node: Value, i: int, names: Mapping[Value, Expr]) -> Expr:
    """∂node/∂(input i) as a formula over the names in ``names`` (node's own name stands for {out}).

    With names mapping each node to ``number(node.data)`` it is the same formula
    with numbers. Display only: the numbers always come from the op's rule.
    """
    return fill(operation(node).derivatives[i], [names[c] for c in node.children], names[node])


def node_names(order: Sequence[Value], names: dict[Value, Expr] | None = None) -> dict[Value, Expr]:
    """A name per node of a graph in topological order (root first): see ``name_of``.

    ``names``: a cache to complete (names already made stay); returned.
    """
    names = {} if names is None else names
    for v in reversed(order):  # inputs before the nodes made from them: each is named in one step
        name_of(v, names)
    return names


def name_of(node: Value, names: dict[Value, Expr]) -> Expr:
    """node's name, adding it (and any input's it needs) to ``names``, a cache kept by the caller.

    A labelled node is called by its label; an unlabelled leaf (a constant) by
    its number; any other node by the expression that made it, over its inputs'
    names. Past MAX_NAME characters the expression keeps its labelled inputs, its
    numbers and its short inputs, the rest shortened to "…" ("… + L2.N0.w2·L1.N2"),
    so a name stays short and says where the node sits. Only the nodes a name depends on are named:
    a labelled input stops the descent.
    """
    stack = [node]
    while stack:  # depth first without recursion: a chain of any length
        v = stack[-1]
        if v in names:
            stack.pop()
        elif v.label:
            names[v] = Expr(printable(v.label), ATOM)
        elif not v.children:
            names[v] = number(v.data)
        else:
            missing = [c for c in v.children if c not in names]
            if missing:
                stack += missing
                continue
            names[v] = _shortened(v, names)
    return names[node]


def _shortened(v: Value, names: Mapping[Value, Expr]) -> Expr:
    full = expression(v, names)
    if len(full.text) <= MAX_NAME:
        return full
    short = [names[c] if c.label or not c.children or len(names[c].text) <= MAX_NAME // 2 else Expr(ELLIPSIS, ATOM)
             for c in v.children]
    named = fill(operation(v).notation, short)
    if len(named.text) <= MAX_NAME:
        return named
    return fill(operation(v).notation, [Expr(ELLIPSIS, ATOM)] * len(v.children))


# ----- the nn module's labels ------------------------------------------------------------------

class NNLabel(NamedTuple):
    """A label of the nn module's grammar, read back: parameter is "w3", "b", or None for the output."""

    layer: int
    neuron: int
    parameter: str | None


_NN_LABEL = re.compile(r"L(\d+)\.N(\d+)(?:\.(w\d+|b))?")


def nn_label(owner: int | str, neuron: int | None = None, parameter: int | str | None = None) -> str:
    """A label of the nn grammar: nn_label(1) "L1"; nn_label(1, 0) "L1.N0"; nn_label(1, 0, 2) "L1.N0.w2".

    owner: a layer's index, or the label of the layer or neuron this belongs to
    (so a neuron named "L1.N0" labels its bias nn_label("L1.N0", parameter="b")).
    parameter: a weight's index k ("w{k}") or "b" for the bias.
    """
    label = f"L{owner}" if isinstance(owner, int) else owner
    if neuron is not None:
        label += f".N{neuron}"
    if parameter is not None:
        label += ".b" if parameter == "b" else f".w{parameter}"
    return label


def parse_nn_label(label: str) -> NNLabel | None:
    """The layer, neuron and parameter a label of the nn grammar names; None for any other label."""
    match = _NN_LABEL.fullmatch(label) if label else None
    if match is None:
        return None
    layer, neuron, parameter = match.groups()
    return NNLabel(int(layer), int(neuron), parameter)
