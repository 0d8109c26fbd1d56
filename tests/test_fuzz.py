"""Fuzzing with hypothesis: whatever goes in, the outcome is right or a specific, documented error.

Targets:
* ``Value(x)`` and ``Value op x`` for values of every Python type: a real
  number is stored as exactly ``float(x)``; anything else is a TypeError; an
  integer too large for a float is an OverflowError.
* every op on random finite floats: the forward value equals the math
  (exactly, for + - * / against Fraction arithmetic) or the op raises the same
  ValueError / ZeroDivisionError / OverflowError the math does; each gradient
  equals the exact derivative, or, where that derivative is too large for a
  float, is inf or an OverflowError / ZeroDivisionError. Never nan from
  finite numbers, never a wrong finite number.
* random unicode labels through ``draw_dot`` and ``dot -Tcanon``.
* the command line's argument lists: exit status 0, or 2 (bad arguments) or 1
  (a failure while running) with one line on stderr, never a traceback.

How many cases ran is printed in pytest's summary at the end (``CASES``).
"""

import argparse
import collections
import fractions
import io
import math
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager, redirect_stderr, redirect_stdout

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from micrograd_id import AnomalyError, Value, detect_anomaly, grad
from micrograd_id.identity import hand_gradient

CASES = collections.Counter()
CLI_EXITS = collections.Counter()  # how the CLI runs ended: exit status -> count
FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_FLOAT = 1.7976931348623157e308
DOCUMENTED_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


@pytest.fixture(scope="module", autouse=True)
def report_case_counts(summary_lines):
    """After the module, hand pytest's summary how many generated cases each target ran."""
    yield
    if not CASES:
        return
    summary_lines.append("fuzz cases run: " + ", ".join(f"{k}={v}" for k, v in sorted(CASES.items())))
    summary_lines.append(f"fuzz cases total: {sum(CASES.values())}")
    if CLI_EXITS:
        summary_lines.append("cli exit statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(CLI_EXITS.items())))


def outcome(compute):
    """compute()'s float, or the type of the math error it raised."""
    try:
        result = compute()
    except DOCUMENTED_MATH_ERRORS as error:
        return type(error)
    if isinstance(result, complex):  # Python's float ** gives complex where the engine refuses
        return ValueError
    return result


def same_float(a, b, rel=0.0, abs_=0.0):
    """Equal floats (nan equals nan; infinities by sign), or within the tolerances."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ===== 1. Values of every Python type ============================================

REAL = "real"  # the input is a real number: stored as float(x) (or OverflowError)


def tagged(strategy, expected):
    return strategy.map(lambda x: (x, expected))


class HasFloat:
    """Not a number, though float() accepts it: the engine must still refuse it."""

    def __float__(self):
        return 1.0


NUMPY_REAL_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64",
                     "uint8", "uint16", "uint32", "uint64"]

ANY_PYTHON_VALUE = st.one_of(
    tagged(st.integers(), REAL),
    tagged(st.integers(min_value=2**1020, max_value=2**1100) | st.integers(max_value=-2**1020, min_value=-2**1100), REAL),
    tagged(st.floats(allow_nan=True, allow_infinity=True), REAL),
    tagged(st.fractions(), REAL),
    tagged(st.builds(fractions.Fraction, st.integers(min_value=10**300, max_value=10**320), st.integers(1, 10)), REAL),
    *[tagged(hnp.from_dtype(np.dtype(name)), REAL) for name in NUMPY_REAL_DTYPES],
    tagged(st.booleans(), TypeError),                       # True is not a number here
    tagged(hnp.from_dtype(np.dtype("bool")), TypeError),
    tagged(st.complex_numbers(), TypeError),
    tagged(hnp.from_dtype(np.dtype("complex128")), TypeError),
    tagged(st.decimals(allow_nan=True), TypeError),         # Decimal is not a numbers.Real
    tagged(st.text(max_size=10), TypeError),
    tagged(st.binary(max_size=10), TypeError),
    tagged(st.none(), TypeError),
    tagged(st.lists(st.floats(), max_size=3), TypeError),
    tagged(st.tuples(st.floats()), TypeError),
    tagged(st.dictionaries(st.text(max_size=3), st.floats(), max_size=3), TypeError),
    tagged(st.sets(st.integers(), max_size=3), TypeError),
    tagged(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)), TypeError),
    tagged(st.builds(object), TypeError),
    tagged(st.builds(HasFloat), TypeError),
    tagged(st.floats(allow_nan=False).map(Value), TypeError),  # Value(Value) would hide a mistake
    tagged(st.sampled_from([float, int, math, Ellipsis, NotImplemented, print]), TypeError),
)


def check_stored(x, expected, make):
    """make(x) stores float(x) for a real x (OverflowError if too large), else raises TypeError."""
    if expected is REAL:
        try:
            want = float(x)
        except OverflowError:
            with pytest.raises(OverflowError, match="too large"):
                make(x)
            return
        stored = make(x).data
        assert type(stored) is float  # not numpy.float64, which follows numpy's rules for nan
        assert same_float(stored, want), (x, stored, want)
    else:
        with pytest.raises(TypeError, match="real number"):
            make(x)


@FUZZ
@given(ANY_PYTHON_VALUE)
def test_value_of_any_python_value_is_stored_as_float_or_refused(case):
    CASES["Value(x)"] += 1
    check_stored(*case, make=Value)


# name: (the op with a Value on the left and x on the right, the same on plain floats)
MIXED_OPS = {
    "v + x": (lambda x: Value(1.5) + x, lambda f: 1.5 + f),
    "v * x": (lambda x: Value(1.5) * x, lambda f: 1.5 * f),
    "v - x": (lambda x: Value(1.5) - x, lambda f: 1.5 - f),
    "x * v": (lambda x: x * Value(1.5), lambda f: f * 1.5),
}


@FUZZ
@given(ANY_PYTHON_VALUE, st.sampled_from(sorted(MIXED_OPS)))
def test_arithmetic_with_any_python_value_is_right_or_refused(case, name):
    """A number mixes into an op as if wrapped in Value; anything else is a TypeError."""
    CASES["Value op x"] += 1
    x, expected = case
    op, reference = MIXED_OPS[name]
    if isinstance(x, Value):  # refused by the constructor, but of course an operand
        assert same_float(op(x).data, reference(x.data))
        return
    if isinstance(x, np.ndarray) and name == "x * v":  # numpy's rule: an array on the left
        values = np.asarray(op(x), dtype=object)          # maps the op over its elements
        assert all(same_float(v.data, reference(e)) for v, e in zip(values.flat, x.flat))
        return
    if expected is REAL:
        try:
            f = float(x)
        except OverflowError:
            with pytest.raises(OverflowError):
                op(x)
            return
        assert same_float(op(x).data, reference(f))
    else:
        with pytest.raises(TypeError):
            op(x)


@FUZZ
@given(ANY_PYTHON_VALUE)
def test_a_label_is_any_str_and_nothing_else(case):
    CASES["label"] += 1
    label = case[0]
    if isinstance(label, str):
        assert Value(1.0, label=label).label == label
    else:
        with pytest.raises(TypeError, match="label must be a str"):
            Value(1.0, label=label)


def test_a_finite_longdouble_beyond_float_range_is_refused():
    """float() casts it to inf without a word; the engine must not store that inf."""
    big = np.longdouble(10) ** 400
    if not np.isfinite(big):
        pytest.skip("numpy's longdouble is a double on this platform")
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(big)
    assert Value(np.longdouble("inf")).data == math.inf  # an infinite input stays infinite


def test_a_numpy_float64_is_stored_as_a_plain_float():
    assert type(Value(np.float64(0.5)).data) is float
    assert type((Value(1.0) ** np.float64(2.0)).data) is float
    assert type((np.float64(2.0) * Value(1.5)).data) is float


@pytest.mark.filterwarnings("error")  # numpy would give a nan with a RuntimeWarning
def test_a_value_made_from_numpy_float64_refuses_a_complex_power_like_a_float():
    with pytest.raises(ValueError, match="not real"):
        Value(np.float64(-8.0)) ** (1.0 / 3.0)


# ===== 2. Every op on random finite floats ========================================

# Wide: every finite float. Moderate: where the transcendental references are sharp.
FINITE = st.floats(allow_nan=False, allow_infinity=False)
MODERATE = st.floats(min_value=-700.0, max_value=700.0, allow_nan=False)
EXPONENTS = st.sampled_from([0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.5, 10.0]) | st.floats(-8.0, 8.0)


def exact(x):
    return fractions.Fraction(x)


# name: (engine op on Values, exact forward, exact gradient per input).
# Exact references use Fraction arithmetic, so they share no rounding with the engine.
EXACT_BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1, 1)),
    "-": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1, -1)),
    "*": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a)),
    "/": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / (b * b))),
}


def engine_gradients(build, inputs):
    """(forward outcome, gradient outcomes) of build on Value leaves; outcomes as in outcome()."""
    leaves = [Value(x) for x in inputs]
    forward = outcome(lambda: build(*leaves).data)
    if not isinstance(forward, float):
        return forward, None
    out = build(*leaves)
    backward = outcome(out.backward)
    if backward is not None:  # backward raised
        return forward, backward
    return forward, [leaf.grad for leaf in leaves]


def as_reference(derivative):
    """A reference derivative as a float; ±inf beyond the float range, nan if the sign is unknown.

    derivative: a Fraction (exact), a float, or OverflowError (the math overflowed).
    """
    if derivative is OverflowError:
        return math.nan
    try:
        return float(derivative)
    except OverflowError:
        return math.inf if derivative > 0 else -math.inf


def check_gradient(got, derivative, rel, abs_):
    """A gradient equals the exact one, or is inf / a math error where the exact one overflows."""
    want = as_reference(derivative)
    if not math.isfinite(want) or abs(want) > MAX_FLOAT * (1 - 1e-12):
        refused = got in (OverflowError, ZeroDivisionError)
        overflowed = isinstance(got, float) and math.isinf(got) and got != -want
        close = isinstance(got, float) and same_float(got, want, rel, abs_)
        assert refused or overflowed or close, (got, want)
        return
    assert isinstance(got, float) and same_float(got, want, rel, abs_), (got, want)


@FUZZ
@given(st.sampled_from(sorted(EXACT_BINARY)), FINITE, FINITE)
@example("/", 1.0, 0.0)
@example("*", 1e308, 10.0)
@example("/", 1e-300, 1e-200)
def test_arithmetic_ops_match_exact_rational_arithmetic(name, a, b):
    CASES["+ - * / on floats"] += 1
    build, forward_exact, grad_exact = EXACT_BINARY[name]
    forward, grads = engine_gradients(build, (a, b))
    if name == "/" and b == 0.0:
        assert forward is ZeroDivisionError
        return
    value = forward_exact(exact(a), exact(b))
    try:
        want = float(value)  # the float nearest the exact rational
    except OverflowError:  # IEEE arithmetic overflows to inf, as Python floats do
        assert forward == (math.inf if value > 0 else -math.inf)
        return
    assert forward == want  # one correctly rounded IEEE op: bit-exact
    # d(a/b)/db = -(a/b)/b takes two roundings: where a/b is subnormal, its absolute
    # rounding error (up to 5e-324) is divided by b once more.
    abs_ = min(5e-324 / abs(b), 1e-300) if name == "/" and abs(b) < 1.0 else 5e-324
    for got, d in zip(grads, grad_exact(exact(a), exact(b))):
        check_gradient(got, d, rel=1e-15, abs_=abs_)


def stable_sigmoid(x):
    e = math.exp(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


def sigmoid_slope(x):  # A'(x) = e^-|x| / (1 + e^-|x|)^2, without cancellation
    e = math.exp(-abs(x))
    return e / (1.0 + e) ** 2


def tanh_slope(x):  # sech^2(x) = 4 e^-2|x| / (1 + e^-2|x|)^2
    e = math.exp(-2.0 * abs(x))
    return 4.0 * e / (1.0 + e) ** 2


# name: (engine op, forward reference, derivative reference, rel tol, abs tol).
# tanh and sigmoid take their derivative from the output (1 - t^2, s(1 - s)), as
# PyTorch does: exact to ~1e-16 absolutely, not relatively, where the output is ~1.
UNARY = {
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0, 0.0, 0.0),
    "exp": (Value.exp, math.exp, math.exp, 1e-15, 0.0),
    "log": (Value.log, math.log, lambda x: 1 / exact(x), 1e-15, 0.0),
    "tanh": (Value.tanh, math.tanh, tanh_slope, 1e-9, 1e-15),
    "sigmoid": (Value.sigmoid, stable_sigmoid, sigmoid_slope, 1e-9, 1e-15),
    "relu": (Value.relu, lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0, 0.0, 0.0),
}


@FUZZ
@given(st.sampled_from(sorted(UNARY)), FINITE | MODERATE)
@example("exp", 709.8)
@example("log", 0.0)
@example("log", 5e-324)
@example("sigmoid", -1000.0)
@example("sigmoid", 1000.0)
def test_unary_ops_match_math(name, x):
    CASES["unary ops"] += 1
    build, reference, slope, rel, abs_ = UNARY[name]
    forward, grads = engine_gradients(build, (x,))
    want = outcome(lambda: reference(x))
    if not isinstance(want, float):
        assert forward is want  # the same math error as the math module
        return
    assert same_float(forward, want, rel=1e-15)
    check_gradient(grads if not isinstance(grads, list) else grads[0], outcome(lambda: slope(x)), rel, abs_)


def power_reference(a, k):
    """a ** k, or the error type: complex results are a ValueError, as in the engine.

    A negative base with a fractional exponent is not real even where the float
    result would overflow or IEEE gives (-inf) ** 0.5 = inf: a ValueError first.
    """
    if a < 0.0 and math.isfinite(k) and not k.is_integer():
        return ValueError
    return outcome(lambda: a ** k)


def power_slope(a, k):
    """d(a**k)/da = k a**(k-1); 0 for k = 0 (a constant), inf where it overflows."""
    if k == 0.0:
        return 0.0
    if k == 1.0:
        return 1.0
    if a == 0.0 and k < 1.0:
        return math.inf  # the slope of a**k at 0 for 0 < k < 1 (k < 0 fails forward already)
    try:
        return k * a ** (k - 1.0)
    except OverflowError:
        return math.copysign(math.inf, k * (a if (k - 1.0) % 2 == 1 else 1.0))


@FUZZ
@given(FINITE | st.floats(-10.0, 10.0), EXPONENTS)
@example(1e-300, -1.0)
@example(0.0, 0.5)
@example(-8.0, 1.0 / 3.0)
@example(0.0, 0.0)
@example(2.225073858507e-311, 0.0)
def test_power_by_a_number_matches_math(a, k):
    CASES["v ** k"] += 1
    forward, grads = engine_gradients(lambda v: v ** k, (a,))
    want = power_reference(a, k)
    if not isinstance(want, float):
        assert forward is want
        return
    assert same_float(forward, want)
    check_gradient(grads if not isinstance(grads, list) else grads[0], power_slope(a, k), 1e-15, 0.0)


@FUZZ
@given(st.floats(1e-300, 1e300), st.floats(-20.0, 20.0))
def test_power_by_a_value_matches_math(a, b):
    """Positive bases, where a**b is defined for every b: both partial derivatives."""
    CASES["v ** v"] += 1
    forward, grads = engine_gradients(lambda u, v: u ** v, (a, b))
    want = power_reference(a, b)
    if not isinstance(want, float):
        assert forward is want
        return
    assert same_float(forward, want)
    check_gradient(grads if not isinstance(grads, list) else grads[0], outcome(lambda: b * a ** (b - 1.0)), 1e-12, 0.0)
    if isinstance(grads, list):
        check_gradient(grads[1], outcome(lambda: want * math.log(a)), 1e-12, 0.0)


@pytest.mark.parametrize("a", [0.0, 2.225073858507e-311])
def test_the_slope_of_a_constant_power_is_zero(a):
    """a**0 is 1 for every a: its slope is 0, not 0 * a**-1 (which fails at a = 0 or overflows)."""
    leaf = Value(a)
    (leaf ** 0).backward()
    assert leaf.grad == 0.0
    (d2,) = grad(grad(leaf ** 0, [leaf], create_graph=True)[0], [leaf])
    assert d2 == 0.0


@pytest.mark.parametrize("how", ["backward", "grad", "create_graph", "detect_anomaly"])
def test_an_overflowing_power_gradient_names_the_op_its_input_and_the_path(how):
    a = Value(1e-300, label="a")
    error = 2.0 * a ** -1.0  # the slope -a**-2 = -1e600 is beyond the float range
    error.label = "E"
    compute = {"backward": error.backward, "grad": lambda: grad(error, [a]),
               "create_graph": lambda: grad(error, [a], create_graph=True)}.get(how)
    with pytest.raises(OverflowError, match=r"backward of op '\*\*-1' failed.*label='a'.*E <- \*\*-1"):
        if compute is None:
            with detect_anomaly():
                error.backward()
        else:
            compute()


ALL_OPS = {**{name: (spec[0], 2) for name, spec in EXACT_BINARY.items()},
           **{name: (spec[0], 1) for name, spec in UNARY.items()},
           "** k": (lambda a, b: a ** 3.0, 2), "** v": (lambda a, b: a ** b, 2)}


@FUZZ
@given(st.sampled_from(sorted(ALL_OPS)), FINITE, FINITE)
@example("*", 1e308, 10.0)
@example("/", 1e-300, 1e-300)
@example("log", 1e-310, 1.0)
def test_under_detect_anomaly_no_op_hands_back_a_non_finite_number(name, a, b):
    """Finite inputs give finite outputs and gradients, or a documented error."""
    CASES["detect_anomaly ops"] += 1
    build, arity = ALL_OPS[name]
    leaves = [Value(a), Value(b)][:arity]
    try:
        with detect_anomaly():
            out = build(*leaves)
            out.backward()
            gradients = grad(out, leaves)
    except (AnomalyError, *DOCUMENTED_MATH_ERRORS):
        return
    assert math.isfinite(out.data)
    assert all(math.isfinite(leaf.grad) for leaf in leaves)
    assert all(math.isfinite(g) for g in gradients)


GRAPH_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
             "tanh": lambda a, b: a.tanh(), "sigmoid": lambda a, b: a.sigmoid(),
             "relu": lambda a, b: a.relu(), "**2": lambda a, b: a ** 2, "exp": lambda a, b: (a * 0.1).exp()}


@st.composite
def random_graphs(draw):
    """(leaves, root): a random DAG over three leaves in which nodes are reused freely."""
    leaves = [Value(draw(st.floats(-3.0, 3.0)), label=f"x{i}") for i in range(3)]
    nodes = list(leaves)
    for _ in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(sorted(GRAPH_OPS)))
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        nodes.append(GRAPH_OPS[op](a, b))
    return leaves, nodes[-1]


@FUZZ
@given(random_graphs())
def test_backward_grad_and_create_graph_agree_on_random_graphs(graph):
    """Three ways to the same gradients: .backward(), grad(), grad(create_graph=True)."""
    CASES["random graphs"] += 1
    leaves, root = graph
    assume(math.isfinite(root.data))
    by_grad = grad(root, leaves)
    by_graph = [g.data for g in grad(root, leaves, create_graph=True)]
    root.backward()
    by_backward = [leaf.grad for leaf in leaves]
    assert all(math.isfinite(g) for g in by_backward)
    assert by_backward == by_grad == by_graph
    root.backward()  # a second call accumulates: exactly twice the gradient
    assert [leaf.grad for leaf in leaves] == [2.0 * g for g in by_backward]


@FUZZ
@given(FINITE, st.sampled_from([0.0, 1.0]) | FINITE)
@example(1e308, 10.0)
@example(-1e308, 1.0)
def test_the_seeds_gradient_is_finite_and_equals_eq6_for_any_finite_w_and_x(w0, x):
    CASES["identity net dE/dw"] += 1
    assume(abs(x) < 1e150)  # (y_hat - x)**2 itself overflows past that
    w = Value(w0)
    error = 0.5 * ((w * x).sigmoid() - x) ** 2
    error.backward()
    assert math.isfinite(error.data) and math.isfinite(w.grad)
    with np.errstate(over="ignore"):  # numpy warns where w*x overflows to inf; A(inf) = 1 is right
        by_hand = hand_gradient(w0, x)
    assert same_float(w.grad, by_hand, rel=1e-12, abs_=1e-300)


# ===== 3. Unicode labels through draw_dot and dot -Tcanon ==========================

LABELS = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=24)


@pytest.fixture(scope="module")
def viz():
    module = pytest.importorskip("micrograd_id.viz")
    if shutil.which("dot") is None:
        pytest.skip("the Graphviz `dot` program is not installed")
    return module


def canonical_dot(source):
    """The DOT source run through `dot -Tcanon`: (exit status, stdout, stderr)."""
    done = subprocess.run(["dot", "-Tcanon"], input=source.encode("utf-8"),
                          capture_output=True, timeout=60)
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(LABELS, LABELS, LABELS)
@example('" < > { } | \\', "]; digraph x {", "\x00\x1b\ud800\n\r")
@example("<B>bold</B>", "&amp;", "\\N\\G")
def test_any_unicode_labels_give_dot_that_graphviz_accepts(viz, w_label, x_label, root_label):
    CASES["draw_dot labels"] += 1
    w, x = Value(0.3, label=w_label), Value(1.0, label=x_label)
    error = 0.5 * ((w * x).sigmoid() - x) ** 2
    error.label = root_label
    error.backward()
    status, canon, stderr = canonical_dot(viz.draw_dot(error).source)
    assert (status, stderr) == (0, "")  # accepted without a warning
    drawn = canon.count("<TABLE")  # one record per Value of the graph
    assert drawn == 8, canon  # w, x, w*x, sigmoid, -, **2, 0.5, E
    for label in (w_label, x_label, root_label):
        if label.isascii() and label.isalnum():  # text that needs no escaping shows verbatim
            assert label in canon


# ===== 4. The command line's arguments ==============================================

def cli_commands():
    """The CLI module and {command: {option: takes a value}}; skip while it has only `demo`."""
    cli = pytest.importorskip("micrograd_id.cli")
    parser = cli.build_parser()
    # argparse has no public accessor for subcommands and their options.
    (subcommands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    commands = {name: {option: action.nargs != 0 for action in sub._actions for option in action.option_strings
                       if option not in ("-h", "--help")}
                for name, sub in subcommands.choices.items()}
    if set(commands) <= {"demo"}:
        pytest.skip("the CLI has no subcommands beyond `demo` yet")
    return cli, commands


@contextmanager
def in_fresh_folder():
    """Run in an empty temporary folder, so files the commands write land there."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            yield folder
        finally:
            os.chdir(previous)


# Values for options: plausible ones (small numbers, so no run takes long), edge cases,
# and free text. Plausible values come twice as often, so many runs get past parsing.
PLAUSIBLE_VALUES = st.sampled_from(["0", "1", "-1", "2", "0.5", "-0.5", "1e-3", "0,1", "w", "b", "out",
                                    "graph.png", "graph.svg", "graph.dot", "steps.csv", "steps.json"])
EDGE_VALUES = st.sampled_from(["nan", "inf", "-inf", "1e400", "1e7", "", " ", "abc", "--", "-", "0x10",
                               "1_0", "graph.xyz", "sub/dir/graph.png"])
# Free text: no digits (int() reads any script's digits: a huge --steps would just run
# long), no "/" and no "..", so whatever a command writes stays in its temporary folder.
FREE_TEXT = st.text(alphabet=st.characters(exclude_characters="\x00/", exclude_categories=("Nd", "Cs")),
                    max_size=8).filter(lambda text: text != "..")
ARGUMENT_VALUES = st.one_of(PLAUSIBLE_VALUES, PLAUSIBLE_VALUES, EDGE_VALUES, FREE_TEXT)


@st.composite
def argument_lists(draw, commands):
    """A command, then some of its own options each with a value, now and then a stray word."""
    name = draw(st.sampled_from(sorted(commands)))
    options = commands[name]
    words = [name]
    for option in draw(st.lists(st.sampled_from(sorted(options)), max_size=4)):
        words += [option, draw(ARGUMENT_VALUES)] if options[option] else [option]
    if draw(st.integers(0, 9)) == 0:
        words.insert(draw(st.integers(0, len(words))), draw(ARGUMENT_VALUES | st.just("--help")))
    return words


def test_cli_arguments_end_in_success_or_one_line_of_error():
    """Exit 0; or 2 (bad arguments) or 1 (failed while running) with one line on stderr, no traceback."""
    cli, commands = cli_commands()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(argument_lists(commands))
    @example(["train", "--lr", "0.5\n2"])
    @example(["demo", "stray\nword"])
    def run(argv):
        stdout, stderr = io.StringIO(), io.StringIO()
        with in_fresh_folder(), redirect_stdout(stdout), redirect_stderr(stderr):
            try:
                status = cli.main(argv)
            except SystemExit as stop:  # --help
                status = stop.code
        status = status or 0
        CASES["cli argv"] += 1
        CLI_EXITS[status] += 1
        assert status in (0, 1, 2), (argv, status, stderr.getvalue())
        if status:
            lines = stderr.getvalue().split("\n")
            assert len(lines) == 2 and lines[1] == "", f"{argv}: not one line: {lines}"
            assert lines[0].startswith("micrograd-id") and "Traceback" not in lines[0], lines[0]

    run()


# ===== 5. State dicts with random contents ============================================

JSON_SCALARS = st.one_of(st.floats(), st.integers(), st.text(max_size=4), st.none(), st.booleans())
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=2)
                           | st.dictionaries(st.text(max_size=2), inner, max_size=2), max_leaves=4)


def is_loadable(state, names):
    """True when state has exactly the net's names and every value is a finite real number.

    Integers count (JSON writes 1.0 as 1 in hand-edited files); booleans do not.
    """
    if sorted(state) != names:
        return False
    for value in state.values():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        try:
            if not math.isfinite(float(value)):
                return False
        except OverflowError:
            return False
    return True


def test_load_state_dict_of_random_contents_loads_exactly_or_nothing():
    identity = pytest.importorskip("micrograd_id.identity")
    names = sorted(identity.IdentityNet(w=0.3, bias=0.1).state_dict())

    outcomes = collections.Counter()
    with_the_right_names = st.fixed_dictionaries({name: JSON_SCALARS for name in names})
    any_names = st.dictionaries(st.sampled_from(names) | st.text(max_size=3), JSON_VALUES, max_size=4)

    @FUZZ
    @given(with_the_right_names | any_names)
    def run(state):
        CASES["load_state_dict"] += 1
        net = identity.IdentityNet(w=0.3, bias=0.1)
        before = net.state_dict()
        valid = is_loadable(state, names)
        try:
            net.load_state_dict(state)
        except (ValueError, TypeError, KeyError, OverflowError):
            assert not valid, f"a valid state dict was refused: {state!r}"
            assert net.state_dict() == before
            outcomes["refused"] += 1
            return
        assert valid, f"an invalid state dict was loaded: {state!r}"
        assert net.state_dict() == {name: float(v) for name, v in state.items()}
        outcomes["loaded"] += 1

    run()
    assert outcomes["loaded"] and outcomes["refused"], outcomes
