"""The op table's JavaScript side computes the engine's numbers: every op's `js` template and JS_HELPERS.

The explorer page recomputes a graph in the browser from these templates, so
each one is run (in Node, else in Chromium) at ordinary points, at the edges of
its domain and at inf and nan, and compared with the Python forward: equal
within 1e-12 relative, NaN where the engine refuses the input (a domain error
or a division by zero), an infinity where the engine reports an overflow. The
helper table is compared with ``HELPERS`` on floats the same way.
"""

import itertools
import json
import math
import os
import shutil
import subprocess

import pytest
from conftest import same_float

from micrograd_id.ops import HELPERS, JS_HELPERS, OPS, Helpers, js_number, power_op

NODE = shutil.which("node") or shutil.which("nodejs")
POINTS = [-1000.0, -2.5, -1.0, -0.5, -0.0, 0.0, 1e-300, 0.3, 0.5, 1.0, 2.0, 710.0, math.inf, -math.inf, math.nan]
PAIR_POINTS = [-2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 3.0, 1e200, math.inf, -math.inf, math.nan]
POWERS = [0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, -2.0]


def run_js(expressions):
    """The value of each JavaScript expression (a number), evaluated after JS_HELPERS."""
    script = (JS_HELPERS + "const results = [\n" + ",\n".join(expressions) + "\n];\n"
              "const text = JSON.stringify(results.map((x) => (Number.isFinite(x) ? x : String(x))));\n")
    if NODE:
        done = subprocess.run([NODE, "-e", script + "process.stdout.write(text);"], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        text = done.stdout
    else:
        text = in_chromium(script)
    return [float(x) for x in json.loads(text)]  # float("NaN"), float("Infinity") parse


def in_chromium(script):
    chromium = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if chromium is None:
        if os.environ.get("MICROGRAD_ID_REQUIRE_BROWSER"):
            pytest.fail("neither Node nor Chromium is installed; apt-get install chromium")
        pytest.skip("neither Node nor Chromium is installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            return browser.new_page().evaluate("() => { " + script + " return text; }")
        finally:
            browser.close()


def engine_value(function, *args):
    """What the page should show for function(*args): its float, NaN where the engine refuses, inf on overflow."""
    try:
        result = function(*args)
    except (ValueError, ZeroDivisionError):
        return math.nan
    except OverflowError:
        return math.inf
    return math.nan if isinstance(result, complex) else result


def agree(expected, got):
    if math.isinf(expected):  # an overflow: the engine names it, JavaScript says which infinity
        return math.isinf(got)
    return same_float(expected, got, rel=1e-12)


def forward_cases():
    ops = list(OPS.values()) + [power_op(k) for k in POWERS]
    for op in ops:
        points = POINTS if op.arity == 1 else list(itertools.product(PAIR_POINTS, repeat=2))
        for point in points:
            args = (point,) if op.arity == 1 else point
            yield op, args


def test_every_builtin_op_has_a_javascript_form_that_agrees_with_its_forward():
    cases = list(forward_cases())
    got = run_js([op.js.format(*map(js_number, args)) for op, args in cases])
    wrong = [(op.name, args, engine_value(op.forward, *args), g) for (op, args), g in zip(cases, got)
             if not agree(engine_value(op.forward, *args), g)]
    assert not wrong, wrong[:10]
    assert {op.name for op, _ in cases} >= set(OPS)


@pytest.mark.parametrize("field", Helpers._fields)
def test_the_javascript_helpers_compute_what_the_python_helpers_do_on_floats(field):
    function = getattr(HELPERS, field)
    arity = 2 if field in ("divide", "power") else 1
    points = [(x,) for x in POINTS] if arity == 1 else list(itertools.product(PAIR_POINTS, repeat=2))
    got = run_js([f"mgid.{field}({', '.join(map(js_number, args))})" for args in points])
    wrong = [(args, engine_value(function, *args), g) for args, g in zip(points, got)
             if not agree(engine_value(function, *args), g)]
    assert not wrong, wrong[:10]


def test_a_javascript_template_takes_any_input_text_without_changing_its_meaning():
    """Templates wrap what they build: a negative number or a sum put in stays one operand."""
    ops = list(OPS.values()) + [power_op(2.0)]
    got = run_js([f"2 * {op.js.format(*['(-2)', '(1 + 0.5)'][:op.arity])}" for op in ops])
    for op, value in zip(ops, got):
        assert agree(2 * engine_value(op.forward, *[-2.0, 1.5][:op.arity]), value), (op.name, op.js)


JS_NUMBERS = [0.0, -0.0, 0.1, -0.1, 1 / 3, -2.5, 3.0, 1e21, 1e-7, 5e-324, -5e-324, 2.2250738585072014e-308,
              1.7976931348623157e308, -1.7976931348623157e308, math.inf, -math.inf, math.nan]


def test_a_float_written_for_javascript_reads_back_as_the_same_float_in_any_slot():
    """js_number(x) is x itself: as a value, negated, as an exponent's base, and with its sign of zero (1/x)."""
    got = run_js([expression for x in JS_NUMBERS for expression in
                  (js_number(x), f"(-{js_number(x)})", f"1 / {js_number(x)}", f"{js_number(x)} ** 1")])
    for i, x in enumerate(JS_NUMBERS):
        value, negated, reciprocal, power = got[4 * i:4 * i + 4]
        assert same_float(value, x, rel=0.0) and same_float(negated, -x, rel=0.0) and same_float(power, x, rel=0.0), x
        assert same_float(reciprocal, 1 / x if x else math.copysign(math.inf, x), rel=0.0), x
    assert [js_number(x) for x in (0.5, -0.5, -0.0, math.inf, -math.inf, math.nan)] == [
        "0.5", "(-0.5)", "(-0.0)", "Infinity", "(-Infinity)", "NaN"]
