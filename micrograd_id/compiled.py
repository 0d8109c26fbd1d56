"""compile_graph: a recorded graph written out as straight-line Python, to read and to run fast.

A graph recorded once can be replayed without building it again: one local
variable per node, one line per op (the forward pass), then one line per
edge in reverse (the backward pass), adding up where a node feeds several ops.
That is the "staged" backprop of CS231n's notes, and what tracing compilers
such as jax.jit and torch.compile do with a real program.

Nothing here knows a derivative. The forward lines use each op's ``code``
template (else they call its ``forward``); the backward lines come from
running each op's own ``rule`` on symbols (``_Symbol``) that write down the
arithmetic done to them. A rule that looks at its numbers (a branch, as in
``a ** b`` with a Value exponent) cannot be written down that way, and a
user's rule is the user's code: both are called as functions instead.

The same source runs on floats (exactly the engine's arithmetic, in the
engine's order) and on numpy arrays (one value per sample, each gradient
summed to its input's shape); only what the names ``_exp``, ``_sign`` ...
stand for differs between the two.
"""

import builtins
import keyword
import math
import re

import numpy as np

from micrograd_id import engine, ops
from micrograd_id._checks import real_float
from micrograd_id.engine import topological_order

__all__ = ["compile_graph", "CompiledGraph"]

FUNCTION = "forward_backward"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")  # what a label may become as a variable name
_RESERVED = set(keyword.kwlist) | set(dir(builtins)) | {"np", "math", "inf", "nan", FUNCTION}


# ----- symbols: a rule run on them writes itself down ------------------------------------

class Untraceable(Exception):
    """A rule asked a question about its numbers (a branch, a comparison): it cannot be staged."""


_ATOM, _POWER, _UNARY, _PRODUCT, _SUM = 5, 4, 3, 2, 1  # Python's binding strength, tightest first


class _Symbol:
    """An expression in Python source, with how tightly it binds (for minimal parentheses).

    Printing keeps the tree of the arithmetic exactly, so the generated line
    evaluates the same floating-point operations in the same order as the rule.
    """

    __slots__ = ("text", "strength")
    __array_ufunc__ = None  # numpy must hand arithmetic back to the symbol

    def __init__(self, text, strength=_ATOM):
        self.text = text
        self.strength = strength

    def _binary(self, other, symbol, strength, reflected=False):
        left, right = (other, self) if reflected else (self, other)
        left, right = _symbol(left), _symbol(right)
        if symbol == "**":  # right-associative, and its right side may be -x
            left_ok, right_ok = left.strength > strength, right.strength >= _UNARY
        else:  # left-associative
            left_ok, right_ok = left.strength >= strength, right.strength > strength
        return _Symbol(f"{_wrap(left, left_ok)} {symbol} {_wrap(right, right_ok)}", strength)

    def __add__(self, other):
        return self._binary(other, "+", _SUM)

    def __radd__(self, other):
        return self._binary(other, "+", _SUM, True)

    def __sub__(self, other):
        return self._binary(other, "-", _SUM)

    def __rsub__(self, other):
        return self._binary(other, "-", _SUM, True)

    def __mul__(self, other):
        return self._binary(other, "*", _PRODUCT)

    def __rmul__(self, other):
        return self._binary(other, "*", _PRODUCT, True)

    def __truediv__(self, other):
        return self._binary(other, "/", _PRODUCT)

    def __rtruediv__(self, other):
        return self._binary(other, "/", _PRODUCT, True)

    def __pow__(self, other):
        return self._binary(other, "**", _POWER)

    def __rpow__(self, other):
        return self._binary(other, "**", _POWER, True)

    def __neg__(self):
        return _Symbol(f"-{_wrap(self, self.strength == _ATOM)}", _UNARY)

    def _question(self, *_):
        raise Untraceable("the rule compares or converts a symbolic number")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _question
    __bool__ = __float__ = __int__ = __index__ = __abs__ = _question
    __hash__ = object.__hash__


def _wrap(symbol, bare_ok):
    return symbol.text if bare_ok else f"({symbol.text})"


def _symbol(x):
    if isinstance(x, _Symbol):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return _Symbol(_literal(float(x)))
    raise Untraceable(f"the rule used a {type(x).__name__}")


def _literal(x):
    """A float as source that evaluates to exactly that float (repr round-trips)."""
    text = repr(x)  # 'inf' and 'nan' are names the generated code defines
    return f"({text})" if text.startswith("-") else text


def _recorder(name, function):
    """An engine helper that, given a symbol, writes a call to itself (on numbers: computes)."""
    def helper(*args):
        if not any(isinstance(a, _Symbol) for a in args):
            return function(*args)
        if name == "_ieee_power" and not isinstance(args[1], _Symbol) and args[1] >= 0.0:
            return args[0] ** args[1]  # the same as plain a ** k, which reads better
        return _Symbol(f"{name}({', '.join(_symbol(a).text for a in args)})")
    return helper


# The helpers the built-in rules call besides arithmetic (the fields of ops.Helpers); generated code
# calls them by these names.
HELPERS = {"sign": "_sign", "step": "_step", "divide": "_divide", "power": "_ieee_power", "log": "_ieee_log",
           "sin": "_sin", "cos": "_cos"}
_RECORDING = ops.Helpers(**{field: _recorder(name, getattr(ops.HELPERS, field)) for field, name in HELPERS.items()})


def _trace(op, g, out, inputs):
    """The rule's gradients as source texts, or None if the rule cannot be staged."""
    if not op.builtin:
        return None  # a user's rule is the user's code: call it
    try:
        grads = op.rule(g, out, *inputs, helpers=_RECORDING)
        return [_symbol(d).text for d in grads]
    except Exception:  # noqa: BLE001 - any failure to stage just means: call the rule instead
        return None


# ----- the numbers behind the names: floats, or numpy arrays ----------------------------------

def _sigmoid_array(x):
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu_array(x):
    return np.where(x <= 0.0, 0.0, x)  # nan stays nan and -0.0 becomes 0.0, as in the engine


def _step_array(x):
    return np.greater(x, 0.0).astype(float)  # 0.0 at nan, as float(x > 0.0)


# numpy has a ufunc of the same name for every other built-in op without a code template.
_ARRAY_FORWARD = {"sigmoid": _sigmoid_array, "relu": _relu_array}
_ARRAY_HELPERS = {"_sign": np.sign, "_step": _step_array, "_divide": np.divide, "_ieee_power": np.power,
                  "_ieee_log": np.log, "_sin": np.sin, "_cos": np.cos}


def _elementwise(function, nin):
    """function on floats, applied to each element of broadcast numpy arrays (for what numpy lacks)."""
    ufunc = np.frompyfunc(function, nin, 1)
    return lambda *args: np.asarray(ufunc(*args), dtype=float)


def _elementwise_rule(rule, arity):
    """A rule on floats applied element by element: one gradient array per input."""
    parts = [_elementwise(lambda *args, i=i: rule(*args)[i], arity + 2) for i in range(arity)]
    return lambda *args: [part(*args) for part in parts]


def _per_sample(value):
    value = np.asarray(value, dtype=float)
    return float(value) if value.ndim == 0 else value


def _sum_to(g, shape):
    """The gradient of a broadcast input: g summed over the axes the input was stretched along."""
    g = np.asarray(g, dtype=float)
    if g.shape != shape:
        g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        g = np.broadcast_to(g.sum(axis=stretched, keepdims=True), shape).copy()
    return float(g) if g.ndim == 0 else g


# ----- writing the program ------------------------------------------------------------------------

class _Names:
    """Unique identifiers; a label (or an op's name) is used only if it is a plain identifier."""

    def __init__(self):
        self.taken = set(_RESERVED)

    def fresh(self, wanted, fallback, prefix=""):
        base = prefix + (wanted if wanted and _NAME.fullmatch(wanted) and wanted not in _RESERVED else fallback)
        name, k = base, 2
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.add(name)
        return name


def _from_label(label):
    """L0.N1.w2 -> L0_N1_w2: a label's dots and dashes as underscores (checked against _NAME after)."""
    return re.sub(r"[.\-\[\]]", "_", label) if label else label


def comment(text, limit=100):
    """text made safe for a # comment: one line, control characters escaped, bounded length."""
    safe = text if text.isprintable() else "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return safe if len(safe) <= limit else safe[:limit - 1] + "…"


def _derivative_text(op, i, names, out):
    try:
        return op.derivatives[i].format(*names, out=out)
    except (IndexError, KeyError, ValueError):
        return op.derivatives[i]


class _Program:
    """The generated source, and what its names stand for on floats and on arrays."""

    def __init__(self, output, inputs, wrt, also):
        self.lines = []
        self.float_names = {"inf": math.inf, "nan": math.nan,
                            **{name: getattr(ops.HELPERS, field) for field, name in HELPERS.items()}}
        self.array_names = {"inf": math.inf, "nan": math.nan, "np": np, **_ARRAY_HELPERS}
        self.globals_of = {}  # id(op) -> its forward's or rule's name in the generated code
        self.names = _Names()
        self.may_be_complex = False
        self.rule_texts = {}  # (op, constants) -> the texts of its rule on placeholders
        self.inner_notes = {}  # a folded node -> what its expression holds, for the comment of its line
        self._write(output, inputs, wrt, also)

    def _global(self, kind, op, float_value, array_value):
        key = (kind, id(op))
        if key not in self.globals_of:  # exp's forward is _exp, a ** b's rule _d_op1 ...
            prefix = "_" if kind == "forward" else "_d_"
            name = self.names.fresh(op.name, f"op{len(self.globals_of)}", prefix)
            self.globals_of[key] = name
            self.float_names[name], self.array_names[name] = float_value, array_value
        return self.globals_of[key]

    def _write(self, output, inputs, wrt, also):
        order = topological_order(output)  # output first, each node before its inputs
        input_set = set(inputs)
        depends = {}  # node -> whether it depends on an input (else it is a constant)
        needs = {}  # node -> whether a gradient in wrt flows through it
        wanted = set(wrt)
        self.uses = uses = {}  # node -> how many op inputs it is
        for node in reversed(order):
            depends_on, needed = node in input_set, node in wanted
            for child in node.children:
                depends_on, needed = depends_on or depends[child], needed or needs[child]
                uses[child] = uses.get(child, 0) + 1
            depends[node], needs[node] = depends_on, needed
        self.depends = depends
        self.name = name = {}  # node -> its local variable, or its number if it is a constant
        for k, node in enumerate(inputs):
            name[node] = self.names.fresh(_from_label(node.label), f"x{k}")
        for node in reversed(order):
            if node not in name and not depends[node]:
                name[node] = _literal(node.data)
        counter = 0
        for node in reversed(order):
            if node not in name:
                name[node] = self.names.fresh(_from_label(node.label), f"v{counter}")
                counter += 1

        grad = {node: self.names.fresh("d_" + name[node], "d") for node in order if needs[node]}
        self.traced = {node: self._trace(node) for node in order if node.operation is not None and needs[node]}
        read = set()  # the names some backward line reads
        for node, texts in self.traced.items():
            if texts is None:  # the rule is called with the node's value and its inputs'
                read.update([name[node], *(name[c] for c in node.children)])
            else:
                read.update(_IDENTIFIER.findall(" ".join(t for t, c in zip(texts, node.children) if needs[c])))
        keep = read | {name[output], *(name[v] for v in also)}
        parent = {child: node for node in order for child in node.children}
        self.foldable = {node for node in order
                         if node.operation is not None and depends[node] and uses.get(node) == 1
                         and not node.label and name[node] not in keep and _takes_folds(parent[node].operation)}

        self.lines.append(f"def {FUNCTION}({', '.join(name[x] for x in inputs)}):")
        self.lines.append("    # forward: each input computed before the ops that use it; an unlabelled value used once")
        self.lines.append("    # and not read by the backward pass is written inside that op's line (the same order)")
        self.folded = {}  # node -> (its expression, how many ops it holds) while it waits for its consumer
        for node in reversed(order):
            if node.operation is not None and depends[node]:
                self._forward_line(node)
        self.lines.append(f"    # backward: d_n is ∂{name[output]}/∂n. The chain rule, one edge per line, from the output:")
        self.lines.append("    # an op's d times its local derivative is added to each input's d")
        if needs[output]:
            self._line(f"{grad[output]} = 1.0", f"∂{name[output]}/∂{name[output]} = 1")
        assigned = {output}
        for node in order:
            if node.operation is not None and needs[node]:
                self._backward_lines(node, grad, needs, assigned)
        results = ", ".join(grad[x] if x in assigned else "0.0" for x in wrt)
        kept = f", [{', '.join(name[v] for v in also)}]" if also else ""
        self.lines.append(f"    return {name[output]}, [{results}]{kept}")
        self.source = "\n".join(self.lines) + "\n"

    def _line(self, code, note, limit=100):
        self.lines.append(f"    {code:<44}  # {comment(note, limit)}")

    def _trace(self, node):
        """node's rule's gradient texts, on the names of its value and inputs (None: call the rule).

        The output's gradient is written _G: which name holds it is known only when the line is written.
        """
        name, depends = self.name, self.depends
        # Traced once per op and pattern of constants (a constant by its exact text), on placeholders:
        key = (node.operation, tuple(None if depends[c] else name[c] for c in node.children))
        if key not in self.rule_texts:
            symbols = [_Symbol(f"__{i}__") if depends[c] else c.data for i, c in enumerate(node.children)]
            self.rule_texts[key] = _trace(node.operation, _Symbol(_G), _Symbol("__out__"), symbols)
        if self.rule_texts[key] is None:
            return None
        texts = list(self.rule_texts[key])
        swaps = [(f"__{i}__", name[c]) for i, c in enumerate(node.children) if depends[c]]
        swaps.append(("__out__", name[node]))
        for i, text in enumerate(texts):
            for placeholder, actual in swaps:
                if placeholder in text:
                    text = text.replace(placeholder, actual)
            texts[i] = text
        return texts

    def _expression(self, node):
        """(node's forward as a _Symbol over its inputs' names or folded expressions, ops folded into it)."""
        op, name = node.operation, self.name
        args, held = [], 0
        for c in node.children:
            if c in self.folded:
                symbol, ops = self.folded.pop(c)
                args.append(symbol)
                held += ops
            else:
                args.append(_Symbol(name[c]))
        if op.code is not None:
            self.may_be_complex |= op.name == "**" or (op.name.startswith("**") and
                                                        not float(op.name[2:]).is_integer())
            return _template(op, args), held
        array = _ARRAY_FORWARD.get(op.name) if op in engine.OPS.values() else None
        if array is None:
            ufunc = getattr(np, op.name, None) if op in engine.OPS.values() else None
            array = ufunc if isinstance(ufunc, np.ufunc) else _elementwise(op.forward, op.arity)
        function = self._global("forward", op, op.forward, array)
        return _Symbol(f"{function}({', '.join(a.text for a in args)})"), held

    def _note(self, node):
        """The comment of node's op: its symbol and local derivatives, on its inputs' names."""
        op, name = node.operation, self.name
        args = [name[c] for c in node.children]
        local = ", ".join(f"∂{name[node]}/∂{a} = {_derivative_text(op, i, args, name[node])}"
                          for i, (a, c) in enumerate(zip(args, node.children)) if self.depends[c])
        label = f"{node.label} = " if node.label and _from_label(node.label) != name[node] else ""
        return f"{label}{op.symbol}: {local}" if local else f"{label}{op.symbol}"

    def _short(self, node):
        """node's op on its inputs' names: what a folded node would have been as a line of its own."""
        op, args = node.operation, [self.name[c] for c in node.children]
        text = op.code.format(*args) if op.code is not None else f"{op.name}({', '.join(args)})"  # names: atoms
        return f"{self.name[node]} = {text}"

    def _forward_line(self, node):
        inside = [c for c in node.children if c in self.folded]
        symbol, held = self._expression(node)
        if node in self.foldable and held < _FOLD_LIMIT:
            self.folded[node] = (symbol, held + 1)
            self.inner_notes[node] = [n for c in inside for n in self.inner_notes.pop(c)] + [self._short(node)]
            return
        notes = [n for c in inside for n in self.inner_notes.pop(c)]
        note = self._note(node) + (f"; inside, in order: {', '.join(notes)}" if notes else "")
        self._line(f"{self.name[node]} = {symbol.text}", note, limit=100 if not notes else 240)

    def _backward_lines(self, node, grad, needs, assigned):
        op, name = node.operation, self.name
        args = [name[c] for c in node.children]
        texts = self.traced[node]
        if texts is not None:  # the output's gradient by its name now (a + may have made it another's)
            texts = [text.replace(_G, grad[node]) for text in texts]
        else:  # call the rule itself: on arrays, element by element
            rule = self._global("rule", op, op.rule, _elementwise_rule(op.rule, op.arity))
            parts = self.names.fresh(f"d_{name[node]}_inputs", "parts")
            self._line(f"{parts} = {rule}({', '.join([grad[node], name[node], *args])})",
                       f"the rule of {op.name} (it is not straight-line arithmetic)")
            texts = [f"{parts}[{i}]" for i in range(len(args))]
        for i, (child, text) in enumerate(zip(node.children, texts)):
            if not needs[child]:
                continue
            if text == grad[node] and self.uses[child] == 1 and child.children:  # after a +: no line needed
                self.lines.append(f"    # {grad[child]} is {text}: ∂{name[node]}/∂{args[i]} = 1")
                grad[child] = text
                assigned.add(child)
                continue
            # `d = d + term`, not `d += term`: on numpy arrays += works in place, and d may be
            # the very array another gradient was set to (d_x1 = d_v2 after a +).
            total = f"{grad[child]} + {text}" if child in assigned else text
            assigned.add(child)
            self._line(f"{grad[child]} = {total}",
                       f"∂{name[node]}/∂{args[i]} = {_derivative_text(op, i, args, name[node])}")


_G = "__g__"  # the output's gradient while a rule is traced (no generated name looks like it)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FOLD_LIMIT = 64  # ops in one expression at most: deep chains stay within the parser's limits
_OPERATORS = {"+": ("+", _SUM), "-": ("-", _SUM), "*": ("*", _PRODUCT), "/": ("/", _PRODUCT),
              "**": ("**", _POWER)}
_POWER_BY = re.compile(r"\{0\} \*\* (\S+)")


def _template(op, args):
    """The built-in op's code template on symbols, parenthesised as Python parses it (so: the same order)."""
    if op.name in _OPERATORS and op is engine.OPS.get(op.name):
        symbol, strength = _OPERATORS[op.name]
        return args[0]._binary(args[1], symbol, strength)
    if op is engine.OPS.get("neg"):
        return -args[0]
    if op is engine.OPS.get("abs"):
        return _Symbol(f"abs({args[0].text})")
    power = _POWER_BY.fullmatch(op.code) if op.name.startswith("**") else None
    if power:  # a ** k for a constant k (k as the template writes it, maybe negative)
        k = power.group(1)
        return args[0]._binary(_Symbol(k, _UNARY if k.startswith("-") else _ATOM), "**", _POWER)
    # a user's template: each input in parentheses, and the whole binding loosest of all
    return _Symbol(op.code.format(*(a.text if a.strength == _ATOM else f"({a.text})" for a in args)), 0)


def _takes_folds(op):
    """Whether an input of op may be an expression in its line: a built-in template or a call."""
    return op.code is None or op in engine.OPS.values() or op.name.startswith("**")


class CompiledGraph:
    """A graph as a Python function of its inputs: call it for (value, grads); read ``source``."""

    def __init__(self, output, inputs, wrt, also=()):
        program = _Program(output, inputs, wrt, also)
        self.also = list(also)
        self.source = program.source
        self.inputs, self.wrt = list(inputs), list(wrt)
        self._may_be_complex = program.may_be_complex
        code = compile(self.source, "<compiled graph>", "exec")
        self._on_floats = self._function(code, program.float_names)
        self._on_arrays = self._function(code, program.array_names)
        position = {x: i for i, x in enumerate(self.inputs)}
        self._wrt_index = [position[x] for x in self.wrt]

    @staticmethod
    def _function(code, names):
        namespace = {"__builtins__": {"abs": abs}, **names}
        exec(code, namespace)  # noqa: S102 - the source holds only generated names and numbers
        return namespace[FUNCTION]

    def __repr__(self):
        return f"CompiledGraph({len(self.inputs)} inputs, {len(self.wrt)} gradients, {self.source.count(chr(10))} lines)"

    def __call__(self, *values):
        """(value, [∂value/∂x for x in wrt]) at these input values (floats, or numpy arrays)."""
        if len(values) != len(self.inputs):
            raise TypeError(f"this compiled graph takes {len(self.inputs)} input value(s), got {len(values)}")
        if set(map(type, values)) <= {float}:  # the common case, checked at C speed
            result = self._on_floats(*values)
        elif any(isinstance(v, (np.ndarray, list, tuple)) for v in values):
            return self._call_arrays(values)
        else:
            result = self._on_floats(*[real_float(v, "an input value") for v in values])
        if self._may_be_complex and any(type(x) is complex for x in (result[0], *result[1])):
            raise ValueError("a power in the graph is not real: a negative base needs an integer exponent")
        return result

    def _call_arrays(self, values):
        arrays = [np.asarray(v, dtype=float) for v in values]
        with np.errstate(all="ignore"):  # as the engine's rules: inf and nan, not errors
            value, grads, *kept = self._on_arrays(*arrays)
        grads = [_sum_to(g, arrays[i].shape) for g, i in zip(grads, self._wrt_index)]
        if kept:
            return _per_sample(value), grads, [_per_sample(v) for v in kept[0]]
        return _per_sample(value), grads


def compile_graph(output, inputs, wrt=None, *, also=()):
    """The graph below ``output`` as straight-line Python over ``inputs``; see the module's docstring.

    inputs: the leaf Values whose numbers the compiled graph takes, in order;
    every other leaf is a constant, baked in exactly. wrt: the inputs to
    differentiate by (default: all of them). Python control flow that ran
    while the graph was recorded is baked in too: the compiled graph replays
    this one recording, whatever the new inputs would have made the code do.
    also: other nodes of the graph whose values a call returns too, as a
    third item: ``value, grads, [values of also]``.
    """
    inputs = engine.check_inputs("compile_graph", output, inputs)
    wrt = list(inputs) if wrt is None else engine.check_inputs("compile_graph", output, wrt)
    for x in inputs:
        if x.operation is not None:
            raise ValueError(f"compile_graph() inputs must be leaves; {x!r} was made by op {x.op!r}")
    if len(set(inputs)) != len(inputs):
        raise ValueError("compile_graph() got the same input twice")
    outside = [x for x in wrt if x not in set(inputs)]
    if outside:
        raise ValueError(f"compile_graph() wrt must be among the inputs; {outside[0]!r} is not")
    graph = set(topological_order(output)) if also else set()
    stray = [v for v in also if v not in graph]
    if stray:
        raise ValueError(f"compile_graph() also: {stray[0]!r} is not in the output's graph")
    return CompiledGraph(output, inputs, wrt, also)
