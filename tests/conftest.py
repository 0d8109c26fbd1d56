"""Shared test plumbing: the identity network's error, fuzzing settings, and statistics for pytest's summary.

Tests import the plain helpers (``from conftest import identity_error``), as they
are used in module-level tables and hypothesis strategies as well as in tests;
the counters are fixtures.
"""

import collections
import importlib.util
import math
import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

from micrograd_id.identity import IdentityNet
from micrograd_id.losses import half_squared_error

_SUMMARY = pytest.StashKey()
_FUZZ_CASES = pytest.StashKey()

# The fuzzing budget of a hypothesis test: many cases, no deadline on a shared machine.
FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_FLOAT = 1.7976931348623157e308
DOCUMENTED_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


# ----- the identity network of the question -------------------------------------------

def identity_error(w, x):
    """The identity network's error E = 1/2 (sigmoid(w x) - x)**2, built from plain engine ops.

    w: a Value; x: a Value or a number. For check_gradients (a function of Values)
    and for tests that need the graph without IdentityNet's labels.
    """
    return 0.5 * ((w * x).sigmoid() - x) ** 2


def identity_net_error(w=0.3, x=1.0, *, bias=None, backward=True):
    """(net, E): IdentityNet(w, bias) and its error half_squared_error(net(x), x), after E.backward()."""
    net = IdentityNet(w=w, bias=bias)
    error = half_squared_error(net(x), x)
    if backward:
        error.backward()
    return net, error


# ----- graphs -------------------------------------------------------------------------

def load_script(path):
    """A docs script (docs/make_figures.py ...) loaded from its path as a module, to call its functions."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def all_nodes(root):
    """Every Value below root, each once."""
    seen, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.children)
    return list(seen.values())


# ----- float comparison for fuzzing ---------------------------------------------------

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


# ----- statistics in pytest's final summary --------------------------------------------

@pytest.fixture(scope="session")
def summary_lines(pytestconfig):
    """A list whose lines pytest prints in its summary at the end, not among the progress dots."""
    return pytestconfig.stash.setdefault(_SUMMARY, [])


@pytest.fixture(scope="session")
def fuzz_cases(pytestconfig):
    """A Counter of generated cases per fuzz target (``fuzz_cases["Value(x)"] += 1``), printed in the summary."""
    return pytestconfig.stash.setdefault(_FUZZ_CASES, collections.Counter())


def pytest_terminal_summary(terminalreporter, config):
    cases = config.stash.get(_FUZZ_CASES, None)
    lines = []
    if cases:
        lines.append("fuzz cases run: " + ", ".join(f"{k}={v}" for k, v in sorted(cases.items())))
        lines.append(f"fuzz cases total: {sum(cases.values())}")
    lines += config.stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.write_sep("-", "statistics")
        for line in lines:
            terminalreporter.write_line(line)


# ----- the browser: the system's Chromium through playwright ------------------------------

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def chromium():
    """A launched Chromium; the test skips without playwright or Chromium, unless CI requires them.

    playwright's own browser download is often unreachable, so the system's
    Chromium is driven through executable_path. MICROGRAD_ID_REQUIRE_BROWSER=1
    (set in CI) turns a missing browser into a failure.
    """
    required = os.environ.get("MICROGRAD_ID_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        pytest.skip("playwright is not installed (extra dev)")
    if CHROMIUM is None:
        if required:
            pytest.fail("Chromium is not installed; apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
