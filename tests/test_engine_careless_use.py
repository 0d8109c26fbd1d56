"""Careless and hostile use of user ops and modes: every mistake is caught where it is made, naming it.

* A user rule's gradients must be real numbers (a Value only under
  create_graph): a Value, an array, a complex or a str is a TypeError naming
  the op, and .grad is left as it was.
* A user op's templates must fit its arity, and its ``code`` must compute its
  forward: checked by define_op, not later in explain, draw_dot or
  compile_graph.
* jvp honours detect_anomaly; a no_grad() or detect_anomaly() object can be
  entered again; Value's own errors stay as they are.
"""

import math

import numpy as np
import pytest

from micrograd_id import AnomalyError, Value, define_op, detect_anomaly, grad, jvp, no_grad
from micrograd_id.explain import explain
from micrograd_id.viz import draw_dot

# ----- a rule's gradients ---------------------------------------------------------------------------


def op_whose_rule_returns(gradient):
    return define_op("careless", forward=lambda a: 2.0 * a, rule=lambda g, out, a: (gradient,))


@pytest.mark.parametrize("gradient, what", [
    (Value(2.0), "gave a Value as gradient 0 outside create_graph"),
    (np.array([2.0]), r"gradient 0 from the rule of op 'careless' must be a real number, got ndarray"),
    (np.array([[2.0, 3.0]]), r"gradient 0 from the rule of op 'careless' must be a real number, got ndarray"),
    (2.0 + 1j, r"gradient 0 from the rule of op 'careless' must be a real number, got complex"),
    ("2", r"gradient 0 from the rule of op 'careless' must be a real number, got str"),
    (None, r"gradient 0 from the rule of op 'careless' must be a real number, got NoneType"),
    (True, r"gradient 0 from the rule of op 'careless' must be a real number, got bool"),
])
def test_a_rule_giving_anything_but_a_number_is_a_type_error_naming_the_op(gradient, what):
    careless = op_whose_rule_returns(gradient)
    w = Value(0.5, label="w")
    w.grad = 1.25
    out = careless(w) * 3.0
    with pytest.raises(TypeError, match=what):
        out.backward()
    assert w.grad == 1.25 and type(w.grad) is float  # left as it was
    with pytest.raises(TypeError, match=what):
        grad(out, [w])
    with pytest.raises(TypeError, match=what):
        jvp(out, [w], [1.0])


@pytest.mark.parametrize("gradient", [2, np.float64(2.0), np.float32(2.0), np.array(2.0), np.int64(2)])
def test_a_rule_may_give_any_real_number_and_grad_stays_a_float(gradient):
    w = Value(0.5)
    op_whose_rule_returns(gradient)(w).backward()
    assert w.grad == 2.0 and type(w.grad) is float


def test_under_create_graph_a_rule_may_give_values_or_numbers():
    square = define_op("square", forward=lambda a: a * a, rule=lambda g, out, a: (g * 2.0 * a,))
    const = define_op("const", forward=lambda a: 3.0 * a, rule=lambda g, out, a: (3.0,))  # a number, not g·3
    w = Value(0.5)
    (d,) = grad(square(w), [w], create_graph=True)
    assert isinstance(d, Value) and d.data == 1.0 and grad(d, [w]) == [2.0]
    (c,) = grad(const(w), [w], create_graph=True)
    assert c == 3.0 or c.data == 3.0


# ----- templates, checked at definition ----------------------------------------------------------------

def make(**templates):
    return define_op("myop", forward=lambda a, b: a * b, rule=lambda g, out, a, b: (g * b, g * a), **templates)


@pytest.mark.parametrize("templates, error, message", [
    ({"derivatives": ["{5}", "{0}"]}, ValueError, r"derivatives of op 'myop' uses \{5\} in '\{5\}'; it may use only "
                                                  r"\{0\}, \{1\}, \{out\} \(the op takes 2 input\(s\)\)"),
    ({"derivatives": ["{1}"]}, ValueError, r"op 'myop' takes 2 input\(s\) but has 1 derivative\(s\)"),
    ({"derivatives": ["{1}", "{0}", "1"]}, ValueError, r"takes 2 input\(s\) but has 3 derivative\(s\)"),
    ({"derivatives": "{1}{0}"}, TypeError, r"derivatives of op 'myop' must be a list of strings, one per input"),
    ({"derivatives": ["{1}", 0]}, TypeError, r"derivatives of op 'myop' must be a list of strings"),
    ({"notation": "{0} {·} {1}"}, ValueError, r"notation of op 'myop' uses \{·\}"),
    ({"notation": "{0}} × {1}"}, ValueError, r"notation of op 'myop' is not a template .*Single '\}'"),
    ({"notation": "{0} × {1"}, ValueError, r"notation of op 'myop' is not a template"),
    ({"notation": "{out}·{0}"}, ValueError, r"notation of op 'myop' uses \{out\}"),
    ({"notation": "{} × {}"}, ValueError, r"notation of op 'myop' uses \{\}"),
    ({"notation": "{0.real}"}, ValueError, r"notation of op 'myop' uses \{0.real\}"),
    ({"notation": "{0!r}"}, ValueError, r"notation of op 'myop' uses \{0\}"),
    ({"notation": 3}, TypeError, r"notation of op 'myop' must be a str template, got int"),
    ({"code": "{0} * {2}"}, ValueError, r"code of op 'myop' uses \{2\}"),
    ({"code": "{out} * {0}"}, ValueError, r"code of op 'myop' uses \{out\}"),
    ({"js": "({out} * {0})"}, ValueError, r"js of op 'myop' uses \{out\}"),
    ({"js": "({0} * {1}})"}, ValueError, r"js of op 'myop' is not a template"),
    ({"symbol": 5}, TypeError, r"symbol of op 'myop' must be a str, got int"),
])
def test_templates_that_do_not_fit_the_arity_fail_at_definition(templates, error, message):
    with pytest.raises(error, match=message):
        make(**templates)


def test_a_name_with_braces_gets_a_default_notation_that_explain_and_draw_dot_can_write():
    odd = define_op("f{x}}", forward=lambda a: 2.0 * a, rule=lambda g, out, a: (2.0 * g,))
    assert odd.op.notation == "f{{x}}}}({0})" and odd.op.notation.format("a") == "f{x}}(a)"
    w = Value(0.5, label="w")
    y = odd(w) * 3.0
    y.label = "y"
    assert "f{x}}(w)" in explain(y, wrt=w)
    assert "f{x}}" in draw_dot(y, local_derivatives=True).source


def test_fitting_templates_are_accepted_and_used():
    op = make(symbol="⊙", notation="{0} ⊙ {1}", derivatives=["{1}", "{0}"], code="{0} * {1}", js="({0} * {1})").op
    assert (op.symbol, op.notation, op.derivatives, op.code, op.js) == (
        "⊙", "{0} ⊙ {1}", ("{1}", "{0}"), "{0} * {1}", "({0} * {1})")
    assert make(notation="{{literal}} {0}").op.notation.format("a", "b") == "{literal} a"


# ----- code: the user's own Python, checked against forward ----------------------------------------------

@pytest.mark.parametrize("code, message", [
    ("{0} * {1} + 1.0", r"code of op 'myop' gives 1\.21 at \[0\.3, 0\.7\] where its forward gives 0\.21"),
    ("{0} + {1}", r"code of op 'myop' gives 1\.0 at \[0\.3, 0\.7\] where its forward gives 0\.21"),
    ("{0} * ", r"code of op 'myop' is not a Python expression: '\{0\} \* '"),
    ("{0} * {1}; import os", r"code of op 'myop' is not a Python expression"),
    ("math.exp({0}) * {1}", r"code of op 'myop' fails at \[0\.3, 0\.7\]: NameError: name 'math' is not defined"),
    ("__import__('os').getcwd()", r"code of op 'myop' fails at .*NameError"),
    ("'{0}'", r"code of op 'myop' gives 'x0' at \[0\.3, 0\.7\] where its forward gives 0\.21"),
])
def test_a_code_template_that_disagrees_with_forward_or_cannot_run_fails_at_definition(code, message):
    with pytest.raises(ValueError, match=message):
        make(code=code)


@pytest.mark.parametrize("forward", [lambda a: math.log(a - 0.5), lambda a: (a - 0.5) ** 0.5])
def test_code_is_checked_at_the_points_after_one_outside_forwards_domain(forward):
    """0.3 is outside these forwards' domains (an error, a complex number); 0.7 and on are checked."""
    with pytest.raises(ValueError, match=r"code of op 'shifted' gives 0\.7 at \[0\.7\]"):
        define_op("shifted", forward=forward, rule=lambda g, out, a: (g,), code="{0}")


def test_code_may_differ_from_forward_by_rounding_only():
    near_zero = define_op("near", forward=lambda a: 0.0, rule=lambda g, out, a: (0.0 * g,),
                          code="{0} * 0.1 * 3 - {0} * 0.3")  # 1.4e-17 at 0.3, not 0.0: rounding, accepted
    assert near_zero.op.code.startswith("{0}")
    nan_too = define_op("nanop", forward=lambda a: math.nan, rule=lambda g, out, a: (g,), code="nan + {0}")
    assert nan_too.op.code == "nan + {0}"
    with pytest.raises(ValueError, match=r"code of op 'nanop2' gives nan at \[0\.3\] where its forward gives 0\.6"):
        define_op("nanop2", forward=lambda a: 2.0 * a, rule=lambda g, out, a: (2.0 * g,), code="{0} * nan")


def test_code_is_checked_only_where_forward_is_defined():
    root = define_op("root", forward=lambda a: math.sqrt(a), rule=lambda g, out, a: (g / (2.0 * out),),
                     code="{0} ** 0.5")  # forward refuses the negative check points: skipped, the others agree
    assert root(Value(4.0)).data == 2.0
    with pytest.raises(ValueError, match=r"code of op 'root2' gives .* where its forward gives"):
        define_op("root2", forward=lambda a: math.sqrt(a), rule=lambda g, out, a: (g,), code="abs({0}) ** 0.25")


def test_the_docstring_says_code_is_the_users_own_python_and_no_sandbox():
    assert "your own Python" in define_op.__doc__ and "not a sandbox" in define_op.__doc__


# ----- modes ---------------------------------------------------------------------------------------------

def test_jvp_under_detect_anomaly_names_the_op_whose_derivative_is_infinite():
    x = Value(0.0, label="x")
    y = x.sqrt() * 2.0
    assert jvp(y, [x], [1.0]) == math.inf  # as in PyTorch: d√x/dx at 0 is inf
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"jvp through op 'sqrt' gave tangent inf"):
        jvp(y, [x], [1.0])
    with detect_anomaly():
        assert jvp(x * 2.0, [x], [1.0]) == 2.0  # a finite tangent passes


@pytest.mark.parametrize("make_mode", [no_grad, detect_anomaly])
def test_a_mode_object_can_be_entered_again_and_nested(make_mode):
    mode = make_mode()
    for _ in range(3):
        with mode:
            with mode:
                pass
            inside = Value(1.0) * 2.0
    after = Value(1.0) * 2.0
    assert after.children  # every mode is off again
    if make_mode is no_grad:
        assert inside.children == () and inside.operation is None
    else:
        with mode, pytest.raises(AnomalyError, match="forward of op"):
            Value(1e308) * 10.0


@pytest.mark.parametrize("data, error, message", [
    ("abc", TypeError, r"Value data must be a real number, got str 'abc'"),
    (None, TypeError, r"Value data must be a real number, got NoneType None"),
    (1 + 2j, TypeError, r"Value data must be a real number, got complex"),
    (True, TypeError, r"Value data must be a real number, got bool"),
    (10 ** 400, OverflowError, r"Value data = 1000.* is too large for a float"),
])
def test_value_keeps_its_error_messages(data, error, message):
    with pytest.raises(error, match=message):
        Value(data)
    with pytest.raises(TypeError, match=r"label must be a str, got int"):
        Value(1.0, label=3)


def test_a_user_rule_hands_arrays_through_unchecked_and_is_still_checked_on_a_graph():
    """compile_graph runs a user's rule on arrays (left as they are); under create_graph it is checked as ever."""
    square = define_op("square_it", forward=lambda a: a * a, rule=lambda g, out, a: (2.0 * g * a,))
    a = np.array([3.0, 4.0])
    (d,) = square.op.rule(np.array([1.0, 0.5]), a * a, a)
    assert isinstance(d, np.ndarray) and d.tolist() == [6.0, 4.0]
    wrong = define_op("wrong", forward=lambda a: a, rule=lambda g, out, a: ("oops",))
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"^gradient 0 from the rule of op 'wrong' must be a real number, got str"):
        grad(wrong(x), [x], create_graph=True)
