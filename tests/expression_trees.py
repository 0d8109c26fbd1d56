"""Random expression trees, shared by the engine's property tests and the PyTorch cross-check.

A tree is nested tuples, so hypothesis can draw, shrink and print it:

    ("x", i)                 the i-th input (inputs are reused freely)
    ("c", number)            a plain number, only ever as one operand of a binary op
    (op, child)              a unary op: neg exp log tanh sigmoid relu sqrt abs
                             sin cos tan arcsin arccos arctan
    (op, left, right)        + - * / **; one side may be ("c", number), which
                             exercises 2 * v, 1 - v, 1 / v, 2 ** v and v ** 3

``evaluate`` runs a tree on anything with the engine's interface: Values, or
PyTorch tensors. Given ``check`` (see ``in_domain``) it raises ``OutOfDomain``
before any op whose inputs sit where the expression is undefined, not
differentiable, or too close to that for a central difference to be trusted.
"""

import math

from hypothesis import strategies as st

UNARY = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "sqrt": lambda a: a.sqrt(),
    "abs": lambda a: abs(a),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "tan": lambda a: a.tan(),
    "arcsin": lambda a: a.arcsin(),
    "arccos": lambda a: a.arccos(),
    "arctan": lambda a: a.arctan(),
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b,
}
EXPONENTS = (2.0, 3.0, -1.0, -2.0, 0.5, 1.5)  # for v ** k
BASES = (0.5, 2.0, 3.0)  # for k ** v
NUMBERS = (-2.5, -1.0, 0.5, 2.0, 3.0)  # for the other ops mixed with a number
LIMIT = 1e4  # largest magnitude an op's operand may take; keeps central differences accurate


class OutOfDomain(Exception):
    """The drawn expression leaves the region where its gradient is well checked."""


def trees(n_inputs, max_leaves=10, unary=UNARY):
    """A hypothesis strategy for trees over inputs 0 .. n_inputs-1, with the unary ops in ``unary``.

    Each inner node draws its op first, every op equally likely (so each of
    the 19 is drawn about as often as any other), then its operands: a binary
    op may take a plain number on either side.
    """
    leaves = st.tuples(st.just("x"), st.integers(0, n_inputs - 1))

    def extend(children):
        def number(values):
            return st.tuples(st.just("c"), st.sampled_from(values))

        def node(op):
            if op in unary:
                return st.tuples(st.just(op), children)
            if op == "**":
                return st.one_of(st.tuples(st.just(op), children, children),
                                 st.tuples(st.just(op), children, number(EXPONENTS)),
                                 st.tuples(st.just(op), number(BASES), children))
            return st.one_of(st.tuples(st.just(op), children, children),
                             st.tuples(st.just(op), number(NUMBERS), children),
                             st.tuples(st.just(op), children, number(NUMBERS)))

        return st.sampled_from(sorted(unary) + sorted(BINARY)).flatmap(node)

    return st.recursive(leaves, extend, max_leaves=max_leaves)


def inputs(n_inputs, bound=2.0):
    """A strategy for the input values: moderate reals, negative ones included."""
    return st.lists(st.floats(-bound, bound), min_size=n_inputs, max_size=n_inputs)


def data(x):
    """The number inside a Value, a 0-d tensor, or a plain number."""
    if hasattr(x, "item"):
        return x.item()
    return getattr(x, "data", x)


def in_domain(op, *operands):
    """Raise OutOfDomain unless op is smooth, with some room, at these operands."""
    values = [data(o) for o in operands]
    if not all(abs(v) <= LIMIT for v in values):
        raise OutOfDomain(f"an operand of {op} is beyond {LIMIT:g}: {values}")
    if op == "log" and values[0] < 0.05:
        raise OutOfDomain("log near or below 0")
    if op == "exp" and values[0] > 9.0:
        raise OutOfDomain("exp too large")
    if op in ("relu", "abs") and abs(values[0]) < 1e-3:
        raise OutOfDomain(f"{op} at its kink")
    if op == "sqrt" and values[0] < 0.05:
        raise OutOfDomain("sqrt near or below 0")
    if op == "tan" and abs(math.cos(values[0])) < 0.2:
        raise OutOfDomain("tan near a pole")
    if op in ("arcsin", "arccos") and abs(values[0]) > 0.9:
        raise OutOfDomain(f"{op} near or beyond ±1")
    if op == "/" and abs(values[1]) < 0.1:
        raise OutOfDomain("division near 0")
    if op == "**" and values[0] != 0.0 and abs(values[1] * math.log(abs(values[0]))) > 9.0:
        raise OutOfDomain("power too large or too small")
    if op == "**" and values[0] < 0.1:
        # Only a number exponent is defined around a base <= 0: an integer one.
        k = operands[1]
        if not (isinstance(k, float) and (k > 0 or values[0] < -0.1) and k.is_integer()):
            raise OutOfDomain("power of a base near or below 0")


def evaluate(tree, leaves, check=None, table=UNARY):
    """The tree's value built from ``leaves`` (a list of Values or tensors); ``table``: the unary ops."""
    kind = tree[0]
    if kind == "x":
        return leaves[tree[1]]
    if kind == "c":
        return tree[1]
    operands = [evaluate(child, leaves, check, table) for child in tree[1:]]
    if check is not None:
        check(kind, *operands)
    return (table[kind] if len(operands) == 1 else BINARY[kind])(*operands)


def show(tree):
    """The tree as an infix formula, for failure messages."""
    kind = tree[0]
    if kind == "x":
        return f"x{tree[1]}"
    if kind == "c":
        return repr(tree[1])
    if len(tree) == 2:
        return f"{kind}({show(tree[1])})"
    return f"({show(tree[1])} {kind} {show(tree[2])})"
