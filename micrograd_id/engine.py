"""The scalar autodiff engine: Value, backward, grad, no_grad, detect_anomaly.

Every op is written once: its forward value, then its derivative rule right
beside it. A rule is ``rule(g, out, *inputs) -> one gradient per input``,
where ``g`` is the gradient arriving at the op's output. Rules use only
arithmetic that floats and Values share, so the same rule runs on floats
(ordinary backward) and on Values (``create_graph=True``, which makes
gradients differentiable again). Rules never capture the output node, so a
graph holds no reference cycles and is freed by reference counting the moment
it is dropped.
"""

import functools
import math
import numbers
import operator
from contextlib import contextmanager
from contextvars import ContextVar

# Graph-building mode, per thread and per async context: a set of bit flags.
_NO_GRAD = 1
_ANOMALY = 2
_mode = ContextVar("micrograd_id_mode", default=0)


class AnomalyError(FloatingPointError):
    """A forward value or a gradient became nan or inf under detect_anomaly()."""


def _to_float(data):
    """Validate user data: a real number becomes a float; anything else is a TypeError."""
    if type(data) is float:  # not a subclass: numpy.float64 must become a plain float
        return data
    # A plain int (x ** 2) skips the slow numbers.Real check; bool is not a plain int.
    if type(data) is not int and (isinstance(data, bool) or not isinstance(data, numbers.Real)):
        kind = "a Value" if isinstance(data, Value) else f"{type(data).__name__} {data!r:.60}"
        raise TypeError(f"Value needs a real number (int, float or numpy real scalar), got {kind}")
    try:
        result = float(data)
        if math.isinf(result) and data != result:  # numpy.longdouble(1e400) casts to inf
            raise OverflowError
    except OverflowError:
        raise OverflowError(f"Value({data!r:.60}): too large for a float") from None
    return result


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back."""

    __slots__ = ("data", "grad", "label", "op", "children", "_backward", "__weakref__")

    def __init__(self, data, label=""):
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.data = _to_float(data)
        if _mode.get() & _ANOMALY and not math.isfinite(self.data):
            raise AnomalyError(f"a leaf Value({self.data}, label={label!r}) under detect_anomaly()")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.children = ()
        self._backward = None

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g}{label})"

    # Ordering compares data, so `loss < 1e-3` reads naturally. There is no
    # __eq__: Values hash by identity, which the graph traversal relies on.
    def __lt__(self, other):
        return self.data < _data(other)

    def __le__(self, other):
        return self.data <= _data(other)

    def __gt__(self, other):
        return self.data > _data(other)

    def __ge__(self, other):
        return self.data >= _data(other)

    # ----- the ops: each forward value, then its derivative rule --------------
    # A rule is rule(g, out, *inputs) -> one gradient per input; see the module
    # docstring. (`type(other) is not Value` spares the common case a call.)

    def __add__(self, other):
        if type(other) is not Value:
            other = _as_value(other)
        return _result(self.data + other.data, "+", (self, other), Value._add_rule)

    @staticmethod
    def _add_rule(g, out, a, b):
        return g, g

    def __sub__(self, other):
        if type(other) is not Value:
            other = _as_value(other)
        return _result(self.data - other.data, "-", (self, other), Value._sub_rule)

    @staticmethod
    def _sub_rule(g, out, a, b):
        return g, -g

    def __mul__(self, other):
        if type(other) is not Value:
            other = _as_value(other)
        return _result(self.data * other.data, "*", (self, other), Value._mul_rule)

    @staticmethod
    def _mul_rule(g, out, a, b):
        return g * b, g * a

    def __truediv__(self, other):
        if type(other) is not Value:
            other = _as_value(other)
        if other.data == 0.0:
            raise ZeroDivisionError(f"division by zero: {self!r} / {other!r}")
        return _result(self.data / other.data, "/", (self, other), Value._div_rule)

    @staticmethod
    def _div_rule(g, out, a, b):  # d(a/b)/db = -a/b**2 = -out/b
        return g / b, -g * out / b

    def __pow__(self, other):
        if isinstance(other, Value):
            return _result(_power(self.data, other.data), "**", (self, other), Value._pow_rule)
        k = _to_float(other)
        op, rule = _power_by_number(k)
        return _result(_power(self.data, k), op, (self,), rule)

    @staticmethod
    def _pow_rule(g, out, a, b):  # d(a**b)/da = b * a**(b-1); d(a**b)/db = a**b * log(a)
        if _data(out) == 0.0:  # 0**b (b > 0) is flat in b
            db = g * 0.0
        elif _data(a) < 0.0:
            raise ValueError(f"d(a**b)/db = a**b * log(a) needs a > 0, got a = {_data(a):g} "
                             "(with a constant exponent, write a ** 2 with a plain number)")
        else:
            db = g * out * _log(a)
        return g * b * a ** (b - 1.0), db

    def __neg__(self):
        return _result(-self.data, "neg", (self,), Value._neg_rule)

    @staticmethod
    def _neg_rule(g, out, a):
        return (-g,)

    # Reflected forms, for a plain number on the left: 2 * v, 1 - v, 1 / v, 2 ** v.
    def __radd__(self, other):
        return _as_value(other) + self

    def __rsub__(self, other):
        return _as_value(other) - self

    def __rmul__(self, other):
        return _as_value(other) * self

    def __rtruediv__(self, other):
        return _as_value(other) / self

    def __rpow__(self, other):
        return _as_value(other) ** self

    def exp(self):
        try:
            data = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data:g}) overflows a float (inputs above 709.78 do)") from None
        return _result(data, "exp", (self,), Value._exp_rule)

    @staticmethod
    def _exp_rule(g, out, a):
        return (g * out,)

    def log(self):
        return _result(_log(self.data), "log", (self,), Value._log_rule)

    @staticmethod
    def _log_rule(g, out, a):
        return (g / a,)

    def tanh(self):
        return _result(math.tanh(self.data), "tanh", (self,), Value._tanh_rule)

    @staticmethod
    def _tanh_rule(g, out, a):
        return (g * (1.0 - out * out),)

    def sigmoid(self):
        x = self.data
        if x >= 0.0:  # two branches so exp never overflows
            data = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            data = e / (1.0 + e)
        return _result(data, "sigmoid", (self,), Value._sigmoid_rule)

    @staticmethod
    def _sigmoid_rule(g, out, a):
        return (g * out * (1.0 - out),)

    def relu(self):
        x = self.data
        return _result(0.0 if x <= 0.0 else x, "relu", (self,), Value._relu_rule)  # nan stays nan

    @staticmethod
    def _relu_rule(g, out, a):
        return (g * float(out > 0.0),)

    # ----- reverse mode ------------------------------------------------------

    def backward(self):
        """Add d(self)/d(node) to node.grad for every node of the graph (seed 1.0).

        Gradients accumulate, as in PyTorch: call zero_grad() between steps.
        """
        if _mode.get() & _ANOMALY:  # the checked path; the fast one below pays nothing for it
            for node, g in _backpropagate(self, 1.0, create_graph=False).items():
                node.grad += g
            return
        order = _topological_order(self)
        # Propagate through .grad itself; set earlier gradients aside so that a
        # second backward adds to them instead of pushing them through again.
        earlier = [(node, node.grad) for node in order if node.grad]
        try:
            for node, _ in earlier:
                node.grad = 0.0
            self.grad = 1.0
            for node in order:
                rule = node._backward
                if rule is None:
                    continue
                if len(node.children) == 2:
                    a, b = node.children
                    da, db = rule(node.grad, node.data, a.data, b.data)
                    a.grad += da
                    b.grad += db
                else:
                    (a,) = node.children
                    (da,) = rule(node.grad, node.data, a.data)
                    a.grad += da
        except BaseException as error:  # a rule failed or Ctrl-C: leave every .grad as it was
            for each in order:
                each.grad = 0.0
            for each, g in earlier:
                each.grad = g
            if isinstance(error, _MATH_ERRORS):
                raise _rule_error(error, self, node) from error
            raise
        for node, g in earlier:
            node.grad += g


# ----- helpers shared by the ops ---------------------------------------------

def _data(x):
    return x.data if isinstance(x, Value) else x


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)


def _log(x):
    """Natural log of a float or a Value, with an error that names the domain."""
    if isinstance(x, Value):
        return x.log()
    if x <= 0.0:
        raise ValueError(f"log({x:g}): math domain error, log needs a positive input")
    return math.log(x)


def _power(a, b):
    """a ** b on floats, refusing complex results and naming overflow."""
    try:
        data = a ** b
    except ZeroDivisionError:
        raise ZeroDivisionError(f"{a:g} ** {b:g}: zero cannot be raised to a negative power") from None
    except OverflowError:
        raise OverflowError(f"{a:g} ** {b:g} overflows a float") from None
    if isinstance(data, complex):
        raise ValueError(f"{a:g} ** {b:g} is not real: a negative base needs an integer exponent")
    return data


@functools.lru_cache(maxsize=256)
def _power_by_number(k):
    """The op name and derivative rule of ``a ** k`` for a number k, made once per k."""

    def power_rule(g, out, a):  # d(a**k)/da = k * a**(k-1); 0 for k = 0, even at a = 0
        return (g * k * a ** (k - 1.0) if k else g * 0.0,)

    return f"**{k:g}", power_rule


def _result(data, op, children, rule):
    """The output node of an op, with its history; no_grad and detect_anomaly adjust it."""
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out.children = children
    out._backward = rule
    if _mode.get():  # a mode is on: only then is there more to do (modes cost nothing when off)
        _apply_mode(out)
    return out


def _apply_mode(out):
    """detect_anomaly: refuse a nan or inf. no_grad: drop the history, leaving a bare leaf."""
    mode = _mode.get()
    if mode & _ANOMALY and not math.isfinite(out.data):
        inputs = ", ".join(repr(c) for c in out.children)
        raise AnomalyError(f"forward of op {out.op!r} gave {out.data} from inputs ({inputs}); "
                           f"it computes {_formula(out)}")
    if mode & _NO_GRAD:
        out.op, out.children, out._backward = "", (), None


def _topological_order(root):
    """Every node below root, each after all the ops that consume it.

    Iterative depth-first search (reverse post-order), so a graph of any depth
    works at Python's default recursion limit. A None pushed above a node
    marks the moment all its inputs are ordered; leaves, having no inputs, are
    ordered as soon as they are found (both save stack traffic: benchmarks/).
    """
    post_order = []
    visited = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None:  # every input of the node below is ordered
            post_order.append(stack.pop())
        elif node not in visited:
            visited.add(node)
            stack.append(node)
            stack.append(None)
            for child in node.children:
                if child not in visited:
                    if child.children:
                        stack.append(child)
                    else:
                        visited.add(child)
                        post_order.append(child)
    post_order.reverse()
    return post_order


def _backpropagate(root, seed, create_graph):
    """{node: d(root)/d(node)} for every node below root; .grad is not touched.

    Gradients are floats, or Values with a graph of their own (create_graph).
    Under detect_anomaly every gradient is checked as it is made.
    """
    anomaly = _mode.get() & _ANOMALY
    grads = {root: seed}
    for node in _topological_order(root):
        rule = node._backward
        if rule is None:
            continue
        try:
            if create_graph:
                local = rule(grads[node], node, *node.children)
            else:
                local = rule(grads[node], node.data, *map(_DATA, node.children))
        except _MATH_ERRORS as error:
            raise _rule_error(error, root, node) from error
        for child, d in zip(node.children, local):
            if anomaly and not math.isfinite(_data(d)):
                raise AnomalyError(f"backward of op {node.op!r} gave gradient {_data(d)} for input "
                                   f"{child!r}; {_where(root, node)}")
            grads[child] = grads[child] + d if child in grads else d
    return grads


_DATA = operator.attrgetter("data")

# What a derivative rule can raise on bad numbers (overflow, 0 ** -1, log of a negative).
_MATH_ERRORS = (ArithmeticError, ValueError)


def _rule_error(error, root, node):
    """The same kind of error, saying which op's derivative failed and where it sits."""
    return type(error)(f"backward of op {node.op!r} failed: {error}; {_where(root, node)}")


def _where(root, node):
    """node's inputs and the chain of labels from root down to it, for error messages."""
    path = " <- ".join(v.label or v.op or "?" for v in _path(root, node))
    inputs = ", ".join(repr(c) for c in node.children)
    return f"op inputs ({inputs}); path from the output: {path}"


def _formula(node, depth=4):
    """How node was made, down to labelled nodes and leaves, e.g. exp(*(w, x)): for messages."""
    if node.label or not node.children:
        return node.label or f"{node.data:g}"
    if depth == 0:
        return "…"
    return f"{node.op}({', '.join(_formula(child, depth - 1) for child in node.children)})"


def _path(root, target):
    """One chain of nodes from root down to target (only used for error messages)."""
    parent = {root: None}
    stack = [root]
    while stack:
        node = stack.pop()
        if node is target:
            break
        for child in node.children:
            if child not in parent:
                parent[child] = node
                stack.append(child)
    chain = [target]
    while parent.get(chain[-1]) is not None:
        chain.append(parent[chain[-1]])
    return chain[::-1]


def grad(output, inputs, create_graph=False):
    """d(output)/d(input) for each input, as a list; .grad is left untouched.

    With create_graph=True each gradient is a Value with its own graph, so
    grad() applies to it again for second and higher derivatives. An input the
    output does not depend on gets gradient 0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad() needs a Value output, got {type(output).__name__}")
    if isinstance(inputs, Value):
        raise TypeError("grad() takes a list of inputs: write grad(E, [w]), not grad(E, w)")
    inputs = list(inputs)
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"grad() inputs must be Values, got {type(x).__name__}")
    seed = Value(1.0) if create_graph else 1.0
    grads = _backpropagate(output, seed, create_graph)
    zero = Value(0.0) if create_graph else 0.0
    return [grads.get(x, zero) for x in inputs]


def no_grad():
    """Ops inside build no graph: outputs are plain leaves (cheaper, nothing to free)."""
    return _mode_with(_NO_GRAD)


def detect_anomaly():
    """Raise AnomalyError, naming the op, when a value or gradient turns nan or inf."""
    return _mode_with(_ANOMALY)


@contextmanager
def _mode_with(flag):
    """Turn a mode flag on for a with-block, in this thread or async context only."""
    token = _mode.set(_mode.get() | flag)
    try:
        yield
    finally:
        _mode.reset(token)
