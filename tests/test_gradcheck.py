"""numerical_grad, check_gradients and compare_gradients: independent ways to a derivative agree."""

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import identity_error
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_id import Value
from micrograd_id.gradcheck import check_gradients, numerical_grad
from micrograd_id.identity import GradientTable, compare_gradients, hand_gradient


def test_numerical_grad_of_a_polynomial_is_close_and_params_are_restored():
    a, b = Value(1.5), Value(-0.5)
    grads = numerical_grad(lambda: a ** 3 * b + b * b, [a, b])
    assert grads[0] == pytest.approx(3 * 1.5 ** 2 * -0.5, abs=1e-8)
    assert grads[1] == pytest.approx(1.5 ** 3 + 2 * -0.5, abs=1e-8)
    assert (a.data, b.data) == (1.5, -0.5)


def test_numerical_grad_accepts_a_float_function_and_builds_no_graph():
    w = Value(0.2)
    seen = []

    def f():
        out = (w * 3.0).tanh()
        seen.append(out.children)
        return out.data

    (g,) = numerical_grad(f, [w])
    assert g == pytest.approx(3.0 * (1 - math.tanh(0.6) ** 2), abs=1e-9)
    assert seen == [(), ()]  # under no_grad


def test_numerical_grad_restores_the_data_when_f_raises():
    w = Value(0.7)

    def f():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        numerical_grad(f, [w])
    assert w.data == 0.7


@pytest.mark.parametrize("f, params, eps, error, message", [
    ("not callable", [Value(1.0)], 1e-6, TypeError, "f must be a callable"),
    (lambda: 1.0, [1.0], 1e-6, TypeError, "params must be Values, got float"),
    (lambda: 1.0, [Value(1.0)], 0.0, ValueError, "eps must be a finite number > 0, got 0.0"),
    (lambda: 1.0, [Value(1.0)], float("nan"), ValueError, "eps must be a finite number > 0, got nan"),
    (lambda: "text", [Value(1.0)], 1e-6, TypeError, "f must return a Value or a real number, got str"),
])
def test_numerical_grad_bad_input(f, params, eps, error, message):
    with pytest.raises(error, match=re.escape(message)):
        numerical_grad(f, params, eps)


def test_compare_gradients_default_row():
    table = compare_gradients()
    assert isinstance(table, GradientTable) and len(table) == 1
    row = table[0]
    assert row["parameter"] == "w" and (row["w"], row["x"], row["y"]) == (0.3, 1.0, 1.0)
    assert row["autodiff"] == row["eq6"] == hand_gradient(0.3, 1.0)
    assert row["abs_err_numerical"] < 1e-8 and row["rel_err_numerical"] < 1e-8
    assert row["abs_err_eq6"] == abs(row["eq6"] - row["autodiff"])


@settings(max_examples=80, deadline=None)
@given(st.floats(-5, 5), st.sampled_from([0.0, 1.0]) | st.floats(-2, 2), st.none() | st.floats(-3, 3))
def test_three_ways_agree_below_1e_8(w, x, bias):
    table = compare_gradients(w=w, x=x, bias=bias)
    assert len(table) == (1 if bias is None else 2)
    assert table.max_error("eq6") < 1e-12
    assert table.max_error("numerical") < 1e-8


def test_grid_of_w_and_x_and_bias_rows():
    table = compare_gradients(w=[-2, 0.3, 2], x=[0, 1], bias=0.5)
    assert len(table) == 12
    assert [r["parameter"] for r in table][:2] == ["w", "b"]
    zero = [r for r in table if r["x"] == 0.0 and r["parameter"] == "w"]
    assert all(r["autodiff"] == r["eq6"] == r["numerical"] == 0.0 for r in zero)
    assert all(r["rel_err_eq6"] == 0.0 for r in zero)  # 0/0 counts as agreement


def test_printable_table_has_a_row_per_gradient():
    table = compare_gradients(w=[0.3], x=[0.0, 1.0])
    lines = str(table).splitlines()
    assert len(lines) == 3
    assert "autodiff" in lines[0] and "eq. (6)" in lines[0] and "central diff." in lines[0]
    assert lines[2].split()[0] == "dE/dw" and "-0.104031063868" in lines[2]
    assert "GradientTable(2 rows" in repr(table)


def test_explicit_target_y():
    table = compare_gradients(w=1.0, x=1.0, y=0.0)
    assert table[0]["y"] == 0.0
    assert table[0]["autodiff"] == pytest.approx(hand_gradient(1.0, 1.0, 0.0), abs=1e-15)
    assert table[0]["autodiff"] > 0  # y_hat > y = 0: pushing w down lowers E


@pytest.mark.parametrize("kwargs, error, message", [
    ({"w": "a"}, TypeError, "w must be a real number, got str 'a'"), ({"x": float("inf")}, ValueError, "x must be finite"),
    ({"w": []}, ValueError, "w must hold at least one number"),
    ({"bias": [1.0]}, TypeError, "bias must be a real number, got list"),
    ({"y": True}, TypeError, "must be a real number, got bool True"), ({"eps": -1.0}, ValueError, "eps must be"),
])
def test_compare_gradients_bad_input(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        compare_gradients(**kwargs)


def test_max_error_rejects_unknown_column():
    with pytest.raises(ValueError, match="against"):
        compare_gradients().max_error("torch")


# ----- check_gradients: the assertion for a learner's own tests ---------------------------

def test_check_gradients_passes_for_eq6_and_returns_the_rows():
    rows = check_gradients(identity_error, [0.3, 1.0], hand=lambda w, x: [hand_gradient(w, x), 0.3943481640])
    assert [row["name"] for row in rows] == ["w", "x"]
    assert rows[0]["autodiff"] == rows[0]["hand"] == hand_gradient(0.3, 1.0)
    assert all(row["ok"] for row in rows)


def test_check_gradients_without_hand_compares_with_central_differences():
    rows = check_gradients(lambda a, b: (a * b).tanh() + a ** 3, [0.4, -1.2])
    assert rows[1]["hand"] is None and rows[1]["numerical"] == pytest.approx(rows[1]["autodiff"], abs=1e-8)


def test_a_wrong_hand_gradient_fails_with_a_table_naming_the_argument():
    wrong = lambda w, x: [hand_gradient(w, x), 0.0]  # noqa: E731  (forgot ∂E/∂x)
    with pytest.raises(AssertionError) as failure:
        check_gradients(identity_error, [0.3, 1.0], hand=wrong)
    lines = str(failure.value).splitlines()
    assert "gradients disagree" in lines[0]
    assert lines[2].startswith("∂identity_error/∂w") and lines[2].endswith("ok")
    assert lines[3].startswith("∂identity_error/∂x") and lines[3].endswith("MISMATCH")


def test_a_function_that_escapes_autodiff_fails():
    # .data leaves the graph: autodiff sees 0 where the function clearly changes
    with pytest.raises(AssertionError, match="MISMATCH"):
        check_gradients(lambda a: a * a.data, [2.0])


def test_check_gradients_shows_tiny_gradients_as_numbers():
    rows = check_gradients(lambda w: (w * 30.0).sigmoid(), [1.0])
    assert 0 < rows[0]["autodiff"] < 1e-11
    with pytest.raises(AssertionError) as failure:
        check_gradients(lambda w: (w * 30.0).sigmoid(), [1.0], hand=lambda w: [1.0])
    assert "e-" in str(failure.value) and "0.000000" not in str(failure.value)


@pytest.mark.parametrize("f, args, hand, error, message", [
    ("f", [1.0], None, TypeError, "f (and hand, when given) must be callables"),
    (lambda a: a, [1.0], "hand", TypeError, "f (and hand, when given) must be callables"),
    (lambda a: 1.0, [1.0], None, TypeError, "f must return a Value (build it from the Values it is given), got float"),
    (lambda a: a, [], None, ValueError, "args must hold at least one number"),
    (lambda a: a, [float("nan")], None, ValueError, "args[0] must be finite, got nan"),
    (lambda a, b: a * b, [1.0, 2.0], lambda a, b: [b], ValueError, "hand returned 1 gradients for 2 arguments"),
])
def test_check_gradients_bad_input(f, args, hand, error, message):
    with pytest.raises(error, match=re.escape(message)):
        check_gradients(f, args, hand=hand)


def test_the_learners_example_test_file_passes_and_catches_a_wrong_formula(tmp_path):
    example = Path(__file__).resolve().parents[1] / "docs" / "examples" / "test_my_derivation.py"
    (tmp_path / example.name).write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    run = lambda: subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",  # noqa: E731
                                  example.name], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "2 passed" in passed.stdout
    broken = example.read_text(encoding="utf-8").replace("(w * (1 - a) * a - 1)", "(w * (1 - a) * a)")
    (tmp_path / example.name).write_text(broken, encoding="utf-8")
    failed = run()
    assert failed.returncode == 1 and "MISMATCH" in failed.stdout
