"""compile_graph under hostile and careless use: the engine's numbers, or the engine's error.

User ops named like the names generated code uses, powers whose printed name
lies about their exponent, points outside the ops' domains, size-1 arrays,
detect_anomaly, and random expressions mixing all of them.
"""

import math

import numpy as np
import pytest
from expression_trees import UNARY, evaluate, inputs, show, trees
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_id import Value, define_op, detect_anomaly, grad
from micrograd_id.compiled import compile_graph
from micrograd_id.engine import AnomalyError

# Names the generated code uses for helpers, namespaces and its own function, and names that are
# no identifier at all: a user op may take any of them.
HOSTILE_NAMES = ["sign", "step", "divide", "power", "log", "sin", "cos", "np", "ops", "rules", "helpers", "check",
                 "stack_rows", "inf", "nan", "d_x", "d_y", "x", "__import__", "a b", "forward_backward", "abs"]


def engine_outcome(build, values, wrt=None):
    """(value, grads) the engine gives for build(*leaves) at values, or the type of error it raises."""
    leaves = [Value(v, label=f"x{i}") for i, v in enumerate(values)]
    try:
        out = build(*leaves)
        return out.data, grad(out, leaves if wrt is None else [leaves[i] for i in wrt])
    except (ArithmeticError, ValueError) as error:
        return type(error)


def compiled_outcome(cg, values):
    try:
        return cg(*values)
    except (ArithmeticError, ValueError) as error:
        return type(error)


def same(a, b):
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def same_outcome(a, b):
    if isinstance(a, type) or isinstance(b, type):
        return a is b
    return same(a[0], b[0]) and len(a[1]) == len(b[1]) and all(same(x, y) for x, y in zip(a[1], b[1]))


# ----- 1. a user op cannot take a name the generated code uses ------------------------------------

@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_user_op_named_like_a_generated_name_changes_nothing_else(name):
    hostile = define_op(name, forward=lambda a: 5.0 * a, rule=lambda g, out, a: (5.0 * g,))

    def build(y):  # every built-in rule that calls a helper, beside the user's op
        return abs(y) + hostile(y) + (y * y).sqrt() + y.relu() + (y * 0.1).arcsin() + y.sin() * y.cos() + \
            (y * y) ** 1.5 + (y * y).log() + (y * y) ** Value(0.5)

    y = Value(-3.0, label="y")
    cg = compile_graph(build(y), [y])
    for point in (-3.0, 2.0):
        assert same_outcome(cg(point), engine_outcome(build, [point])), (name, point)
    values, (dy,) = cg(np.array([-3.0, 2.0]))
    assert values.tolist() == pytest.approx([engine_outcome(build, [p])[0] for p in (-3.0, 2.0)], rel=1e-12)
    assert dy.tolist() == pytest.approx([engine_outcome(build, [p])[1][0] for p in (-3.0, 2.0)], rel=1e-12)


def test_the_issues_example_sign_keeps_abs_right():
    sign = define_op("sign", forward=lambda a: 5.0 * a, rule=lambda g, out, a: (5.0 * g,))
    y = Value(-3.0, label="y")
    F = abs(y) + sign(y)
    assert compile_graph(F, [y])(-3.0) == (-12.0, [4.0]) == (F.data, grad(F, [y]))


# ----- 2. a ** k is known by k --------------------------------------------------------------------

def test_a_power_is_known_by_its_exponent_not_its_printed_name():
    k = 0.3 / 0.1  # 3.0000000000000004: its op prints as "**3"
    x = Value(2.0, label="x")
    out = x ** k
    cg = compile_graph(out, [x])
    assert cg(2.0) == (out.data, grad(out, [x]))
    with pytest.raises(ValueError, match="not real"):
        Value(-3.0) ** k
    with pytest.raises(ValueError, match="not real"):
        cg(-3.0)
    values, _ = cg(np.array([-3.0, 2.0]))
    assert values.dtype == float and math.isnan(values[0])  # arrays: nan, never a complex number


# ----- 3. the float path raises where the engine raises -----------------------------------------------

DOMAIN_CASES = [
    (lambda x, y: abs(x ** 0.5) * y, [-4.0, 2.0], [1]),
    (lambda x, y: (x ** 0.5).relu() * y, [-4.0, 2.0], [1]),
    (lambda x, y: (x ** 0.5).exp() * y, [-4.0, 2.0], [1]),
    (lambda x, y: (x ** 0.5).sigmoid() * y, [-4.0, 2.0], [1]),
    (lambda x, y: x.log() * y, [-1.0, 2.0], [1]),
    (lambda x, y: x.sqrt() + y, [-1.0, 2.0], None),
    (lambda x, y: (x * y).arcsin(), [2.0, 1.0], None),
    (lambda x, y: x / y, [1.0, 0.0], None),
    (lambda x, y: (x * y).exp(), [800.0, 1.0], None),
    (lambda x, y: (x * y) ** 2.0, [1e200, 1.0], None),
    (lambda x, y: x ** y, [-2.0, 0.5], None),
    (lambda x, y: x ** y, [0.0, -1.0], None),
    (lambda x, y: (x * y * 1e308).sin(), [2.0, 1.0], None),
]


@pytest.mark.parametrize("build, point, wrt", DOMAIN_CASES)
def test_the_float_path_raises_the_engines_error_where_the_engine_raises(build, point, wrt):
    x, y = Value(0.5, label="x"), Value(0.5, label="y")
    out = build(x, y)
    cg = compile_graph(out, [x, y], wrt=None if wrt is None else [[x, y][i] for i in wrt])
    leaves = [Value(v) for v in point]
    with pytest.raises((ArithmeticError, ValueError)) as engine_error:
        build(*leaves)
    with pytest.raises(engine_error.type) as compiled_error:
        cg(*point)
    assert str(compiled_error.value) == str(engine_error.value)  # the engine's message, e.g. its overflow


# ----- 6. size-1 arrays -------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1,), (1, 1), (3, 1)])
def test_size_1_axes_work_and_gradients_keep_the_inputs_shape(shape):
    w, x = Value(1.0, label="w"), Value(2.0, label="x")
    cg = compile_graph(w * 2.0 * x, [w, x])
    values, (dw, dx) = cg(np.ones(shape), np.array([1.0, 2.0, 3.0]))
    assert values.shape == np.broadcast_shapes(shape, (3,))
    assert np.shape(dw) == shape and np.shape(dx) == (3,)
    assert np.sum(dw) == 2.0 * 6.0 * (values.size // 3) and dx.tolist() == [2.0 * values.size // 3] * 3
    values, (dw, dx) = cg(np.array([1.0]), 2.0)
    assert values.tolist() == [4.0] and dw.tolist() == [4.0] and dx == 2.0


# ----- 10. detect_anomaly applies ------------------------------------------------------------------

def test_detect_anomaly_names_the_op_on_floats_and_arrays():
    x = Value(1.0, label="x")
    cg = compile_graph(x.sqrt() * 3.0, [x])
    assert cg(0.0)[1] == [math.inf]  # without it: inf, as the engine gives
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="backward of op 'sqrt' gave gradient inf"):
            cg(0.0)
        with pytest.raises(AnomalyError, match="backward of op 'sqrt' gave gradient inf"):
            cg(np.array([1.0, 0.0]))
        assert cg(4.0) == (6.0, [0.75])
    big = compile_graph(x * 1e308 * 10.0, [x])
    with detect_anomaly(), pytest.raises(AnomalyError, match="forward of op '\\*' gave inf"):
        big(1.0)


# ----- the hypothesis test: random expressions, hostile user ops, any point ---------------------------

HOSTILE_FORMS = [(lambda a: 5.0 * a - 1.0, lambda g, out, a: (5.0 * g,)),
                 (lambda a: a * a, lambda g, out, a: (2.0 * a * g,)),
                 (lambda a: 0.5 * a, lambda g, out, a: (0.5 * g,))]
HOSTILE_OPS = {f"user {name}": define_op(name, *HOSTILE_FORMS[k % len(HOSTILE_FORMS)])
               for k, name in enumerate(["sign", "step", "divide", "sin", "cos", "np", "d_x", "d_x0", "__import__",
                                         "a b"])}
WITH_USER_OPS = {**UNARY, **HOSTILE_OPS}
POINTS = st.lists(st.one_of(st.floats(-3.0, 3.0), st.sampled_from([0.0, -1.0, 1.0, -4.0, 800.0, 1e200])),
                  min_size=2, max_size=2)


@settings(max_examples=400, deadline=None)
@given(trees(2, unary=WITH_USER_OPS), inputs(2, bound=1.5), POINTS)
def test_random_expressions_with_hostile_ops_give_the_engines_numbers_or_its_error(tree, recorded_at, point):
    leaves = [Value(v, label=f"x{i}") for i, v in enumerate(recorded_at)]
    try:
        out = evaluate(tree, leaves, table=WITH_USER_OPS)
    except (ArithmeticError, ValueError):
        return  # nothing recorded to compile
    cg = compile_graph(out, leaves)
    expected = engine_outcome(lambda *xs: evaluate(tree, list(xs), table=WITH_USER_OPS), point)
    assert same_outcome(compiled_outcome(cg, point), expected), (show(tree), point, expected)


def test_bad_arrays_are_clear_errors():
    w, x = Value(1.0, label="w"), Value(2.0, label="x")
    cg = compile_graph(w * x, [w, x])
    with pytest.raises(ValueError, match=r"do not broadcast together: shapes \(3,\), \(4,\)"):
        cg(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="input value 1 must be a real number or an array of them"):
        cg(1.0, [[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="input value 0 must be a real number or an array of them"):
        cg(np.array(["a"]), 1.0)


def test_a_user_ops_code_template_runs_on_arrays_and_its_forward_on_floats():
    twice = define_op("np", forward=lambda a: 2.0 * a * a, rule=lambda g, out, a: (g * 4.0 * a,),
                      code="2.0 * {0} * {0}")  # code runs with no names but abs, inf and nan
    x = Value(0.3, label="x")
    out = twice(x * x) + x
    cg = compile_graph(out, [x])
    assert "2.0 * v0 * v0" in cg.source and "rules.np(" in cg.source  # the template; the rule by its name
    assert cg(0.3) == (out.data, grad(out, [x]))
    values, (dx,) = cg(np.array([0.3, -0.2]))
    assert values[0] == pytest.approx(out.data, rel=1e-15) and dx[0] == pytest.approx(grad(out, [x])[0], rel=1e-15)
