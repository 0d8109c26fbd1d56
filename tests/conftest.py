"""Shared test plumbing: the identity network's error, fuzzing settings, and statistics for pytest's summary.

Tests import the plain helpers (``from conftest import identity_error``), as they
are used in module-level tables and hypothesis strategies as well as in tests;
the counters are fixtures.
"""

import collections
import importlib.util
import math
import os

import pytest
from hypothesis import HealthCheck, settings

from micrograd_id.identity import IdentityNet
from micrograd_id.losses import half_squared_error
from browser import chromium  # noqa: F401 - the browser fixture, for every test module

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


# ----- no quiet skips in CI ---------------------------------------------------------------
#
# A test skips where an optional piece is missing (torch, micrograd, matplotlib, nbformat,
# Chromium, the dot program). CI installs every one of them, so there a skip can only mean
# that something broke, e.g. an import that fails for another reason: with
# MICROGRAD_ID_NO_SKIPS=1 (set by .ci/run) every skip fails, except the ones named here.

NO_SKIPS = os.environ.get("MICROGRAD_ID_NO_SKIPS") == "1"

# test (its node id without parameters) -> why it may skip even in CI
ALLOWED_SKIPS = {
    "tests/test_cli_classify.py::test_an_unwritable_folder_fails_before_training":
        "CI runs as root, and root can write into a read-only folder",
}


def _skip_is_an_error(nodeid, report):
    return (NO_SKIPS and report.skipped and not hasattr(report, "wasxfail")
            and nodeid.split("[")[0] not in ALLOWED_SKIPS)


def _no_skip_message(report):
    reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return (f"skipped ({reason}), but MICROGRAD_ID_NO_SKIPS=1 forbids skips: install what it needs, "
            f"or name the test in tests/conftest.py's ALLOWED_SKIPS with why")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if _skip_is_an_error(item.nodeid, report):
        report.outcome, report.longrepr = "failed", _no_skip_message(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    report = (yield).get_result()
    if _skip_is_an_error(report.nodeid, report):  # a module-level importorskip
        report.outcome, report.longrepr = "failed", _no_skip_message(report)


def pytest_report_header(config):
    if NO_SKIPS:
        return "MICROGRAD_ID_NO_SKIPS=1: a skip fails, except " + ", ".join(sorted(ALLOWED_SKIPS))
    return None


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
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    if skipped:
        lines.append(f"{len(skipped)} skipped for a missing optional piece (each reason is listed above, "
                     "SKIPPED); to run them too: make test EXTRAS=dev,plot,torch,render,bench "
                     "(torch==2.13.0, micrograd==0.1.0, graphviz-pure) with the programs dot and chromium")
    if lines:
        terminalreporter.write_sep("-", "statistics")
        for line in lines:
            terminalreporter.write_line(line)
