"""no_grad and detect_anomaly: what each mode does, how they nest, and that each is per thread and per task.

* ``no_grad`` builds no graph; ``detect_anomaly`` stops a nan or inf at the op
  that made it (forward or backward), naming the op, its inputs and the path
  of labels, and leaves every gradient as it was;
* finite inputs under ``detect_anomaly`` give finite outputs and gradients, or
  a documented error (fuzzed);
* a mode entered in one thread or asyncio task never changes what another one
  records (the engine keeps the mode in a ContextVar), and modes restore after
  an exception.
"""

import asyncio
import math
import threading

import pytest
from conftest import DOCUMENTED_MATH_ERRORS, FUZZ, identity_error
from hypothesis import example, given
from hypothesis import strategies as st

from micrograd_id import AnomalyError, Value, detect_anomaly, grad, no_grad
from micrograd_id.identity import hand_gradient

FINITE = st.floats(allow_nan=False, allow_infinity=False)


# ----- no_grad ---------------------------------------------------------------------------

def test_no_grad_builds_no_graph_and_building_resumes_after():
    a = Value(2.0)
    with no_grad():
        b = (a * 3 + 1).exp()
        c = b.log() - a.sigmoid()
    for out in (b, c):
        assert out.op == "" and out.children == ()
    assert b.data == pytest.approx(math.exp(7.0), rel=1e-15)
    c.backward()  # a leaf: nothing to reach
    assert a.grad == 0.0
    d = a * 3
    assert d.op == "*" and d.children[0] is a
    d.backward()
    assert a.grad == 3.0


def test_no_grad_nests_and_is_undone_by_an_exception():
    a = Value(2.0)
    with no_grad():
        with no_grad():
            pass
        assert (a * a).children == ()  # still off after the inner block
    with pytest.raises(RuntimeError):
        with no_grad():
            raise RuntimeError("boom")
    assert (a * a).children == (a, a)


# ----- detect_anomaly: a nan or inf stops where it is made ------------------------

def test_backward_under_detect_anomaly_sets_the_same_gradients_and_accumulates():
    w, x = Value(0.3), Value(2.0)
    out = (w * x).sigmoid() * w
    want = grad(out, [w, x])
    with detect_anomaly():
        out.backward()
    assert [w.grad, x.grad, out.grad] == [want[0], want[1], 1.0]
    with detect_anomaly():
        out.backward()  # a second backward adds, as outside detect_anomaly
    assert [w.grad, x.grad, out.grad] == [2 * want[0], 2 * want[1], 2.0]


def test_grad_hands_back_a_non_finite_gradient_outside_detect_anomaly():
    a = Value(0.0)
    (d,) = grad(a.sqrt(), [a])
    assert d == math.inf
    (d,) = grad(a.sqrt(), [a], create_graph=True)
    assert d.data == math.inf
    with detect_anomaly(), pytest.raises(AnomalyError, match="backward of op 'sqrt' gave gradient inf"):
        grad(a.sqrt(), [a])


def test_an_inf_forward_value_under_no_grad_alone_is_kept_and_under_anomaly_refused():
    with no_grad():
        out = Value(1e308) * 10.0
    assert out.data == math.inf and out.children == () and out.op == ""
    with no_grad(), detect_anomaly(), pytest.raises(AnomalyError, match=r"forward of op '\*' gave inf"):
        Value(1e308) * 10.0


def test_a_non_finite_forward_value_names_its_inputs_and_formula():
    x = Value(1e300, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        (((x * 2.0) * 1.0) * 1.0) * 1e10
    assert str(caught.value) == ("forward of op '*' gave inf from inputs (Value(data=2e+300, grad=0), "
                                 "Value(data=1e+10, grad=0)); it computes *(*(*(*(x, 2), 1), 1), 1e+10)")
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"it computes \*\(\*\(\*\(\*\(…, 1\), 1\), 1\), 1e\+10\)$"):
        ((((x * 1.0) * 1.0) * 1.0) * 1.0) * 1e10  # four levels down, then …


def test_a_non_finite_gradient_names_the_path_through_unlabelled_ops():
    a = Value(0.0, label="a")
    E = (a.sqrt() * 3.0).tanh()
    E.label = "E"
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        E.backward()
    assert str(caught.value) == ("backward of op 'sqrt' gave gradient inf for input Value(data=0, grad=0, label='a'); "
                                 "op inputs (Value(data=0, grad=0, label='a')); path from the output: E <- * <- sqrt")


def test_a_non_finite_forward_value_names_the_op_and_its_labelled_inputs():
    big, ten = Value(1e308, label="big"), Value(10.0, label="ten")
    assert (big * ten).data == math.inf  # off by default: IEEE arithmetic, no error
    with detect_anomaly(), pytest.raises(
            AnomalyError, match=r"forward of op '\*' gave inf from inputs \(.*'big'.*'ten'"):
        big * ten


def test_a_non_finite_forward_value_shows_how_it_was_computed_down_to_the_labels():
    w, x = Value(30.0, label="w"), Value(40.0, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"it computes \*\(\*\(w, x\), 1e\+308\)$"):
        w * x * 1e308
    deep = w
    for _ in range(6):  # unlabelled nodes deeper than the formula goes are shown as …
        deep = deep * 1.5
    with detect_anomaly(), pytest.raises(
            AnomalyError, match=r"it computes \*\(\*\(\*\(\*\(…, 1.5\), 1.5\), 1.5\), 1e\+308\)$"):
        deep * 1e308


@pytest.mark.parametrize("data", [math.nan, math.inf, -math.inf])
def test_a_non_finite_leaf_is_an_anomaly_too(data):
    assert math.isnan(Value(data).data) or Value(data).data == data  # off by default: stored as given
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"a leaf Value\((nan|inf|-inf), label='x'\)"):
        Value(data, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError, match="a leaf Value"):
        Value(1.0) * data  # a number mixed into an op becomes a leaf as well


def _finite_error_with_an_infinite_gradient():
    """E = (x * big) * 10 is 1e9, but dE/dx = 10 * 1e308 overflows."""
    x, big = Value(1e-300, label="x"), Value(1e308, label="big")
    product = x * big
    product.label = "p"
    error = product * 10.0
    error.label = "E"
    return x, error


GRADIENT_ANOMALY = (r"backward of op '\*' gave gradient inf for input Value\(.*label='x'\); "
                    r"op inputs \(.*'x'.*'big'.*\); path from the output: E <- p$")


@pytest.mark.parametrize("compute", [lambda x, error: error.backward(), lambda x, error: grad(error, [x])],
                         ids=["backward", "grad"])
def test_a_non_finite_gradient_names_the_op_its_inputs_and_the_label_path(compute):
    x, error = _finite_error_with_an_infinite_gradient()
    with detect_anomaly(), pytest.raises(AnomalyError, match=GRADIENT_ANOMALY):
        compute(x, error)
    assert x.grad == 0.0  # nothing half-added


def test_without_detect_anomaly_an_infinite_gradient_is_handed_back():
    """What detect_anomaly is for: by default the inf arrives silently in x.grad."""
    x, error = _finite_error_with_an_infinite_gradient()
    error.backward()
    assert x.grad == math.inf


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


# name: (the op on Values, how many inputs it takes)
ALL_OPS = {"+": (lambda a, b: a + b, 2), "-": (lambda a, b: a - b, 2), "*": (lambda a, b: a * b, 2),
           "/": (lambda a, b: a / b, 2), "neg": (lambda v: -v, 1), "exp": (Value.exp, 1), "log": (Value.log, 1),
           "tanh": (Value.tanh, 1), "sigmoid": (Value.sigmoid, 1), "relu": (Value.relu, 1),
           "** k": (lambda a, b: a ** 3.0, 2), "** v": (lambda a, b: a ** b, 2)}


@FUZZ
@given(st.sampled_from(sorted(ALL_OPS)), FINITE, FINITE)
@example("*", 1e308, 10.0)
@example("/", 1e-300, 1e-300)
@example("log", 1e-310, 1.0)
def test_under_detect_anomaly_no_op_hands_back_a_non_finite_number(fuzz_cases, name, a, b):
    """Finite inputs give finite outputs and gradients, or a documented error."""
    fuzz_cases["detect_anomaly ops"] += 1
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


# ----- modes are per thread and per asyncio task, nest, and always restore ----------

BARRIER_TIMEOUT = 10.0  # seconds; only reached if a thread is stuck, never in a passing run


def product_is_recorded():
    """Build a*b; True when the op was recorded in the graph."""
    out = Value(2.0) * Value(3.0)
    return out.op == "*" and len(out.children) == 2


def overflow_raises():
    """Compute an inf; True when detect_anomaly turned it into an AnomalyError."""
    try:
        Value(1e308) * 10.0
    except AnomalyError:
        return True
    return False


def run_threads(*targets):
    """Run each target in its own thread; re-raise the first failure in the caller."""
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * BARRIER_TIMEOUT)
        assert not thread.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]


# (mode, probe, what probe() returns inside the mode, and outside it)
MODES = {"no_grad": (no_grad, product_is_recorded, False, True),
         "detect_anomaly": (detect_anomaly, overflow_raises, True, False)}


def probe_in_two_threads(mode, probe):
    """probe() in a thread inside mode and, while that one is inside, in another thread."""
    inside = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    probed = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    results = {}

    def within():
        with mode():
            inside.wait()    # the other thread probes while this one is inside the mode
            probed.wait()
            results["inside"] = probe()

    def outside():
        inside.wait()
        results["outside"] = probe()
        probed.wait()

    run_threads(within, outside)
    return results


def probe_in_two_tasks(mode, probe):
    """probe() in an asyncio task inside mode and, while that one awaits inside it, in another task."""
    async def scenario():
        entered, probed = asyncio.Event(), asyncio.Event()
        results = {}

        async def within():
            with mode():
                entered.set()
                await probed.wait()   # the other task runs while this one is inside the mode
                results["inside"] = probe()

        async def outside():
            await entered.wait()
            results["outside"] = probe()
            probed.set()

        await asyncio.gather(within(), outside())
        return results

    return asyncio.run(scenario())


@pytest.mark.parametrize("runner", [probe_in_two_threads, probe_in_two_tasks], ids=["threads", "tasks"])
@pytest.mark.parametrize("name", MODES)
def test_a_mode_entered_in_one_thread_or_task_does_not_affect_another(runner, name):
    mode, probe, inside, outside = MODES[name]
    assert runner(mode, probe) == {"inside": inside, "outside": outside}


def test_a_new_thread_starts_recording_even_if_the_main_thread_is_in_no_grad():
    recorded = {}
    with no_grad():
        run_threads(lambda: recorded.update(thread=product_is_recorded()))
        recorded["main"] = product_is_recorded()
    assert recorded == {"thread": True, "main": False}


def test_many_threads_toggling_no_grad_each_see_only_their_own_mode():
    start = threading.Barrier(8, timeout=BARRIER_TIMEOUT)
    wrong = []

    def worker(index):
        start.wait()
        for _ in range(200):
            if index % 2:
                with no_grad():
                    if product_is_recorded():
                        wrong.append((index, "recorded under no_grad"))
            elif not product_is_recorded():
                wrong.append((index, "not recorded outside no_grad"))

    run_threads(*[lambda i=i: worker(i) for i in range(8)])
    assert wrong == []


def test_gradients_computed_in_parallel_threads_are_each_correct():
    start = threading.Barrier(4, timeout=BARRIER_TIMEOUT)
    results = {}

    def worker(w0):
        start.wait()
        for x in (0.0, 1.0) * 50:
            w = Value(w0)
            identity_error(w, x).backward()
            results.setdefault(w0, []).append(abs(w.grad - hand_gradient(w0, x)))

    run_threads(*[lambda w0=w0: worker(w0) for w0 in (-2.0, 0.3, 1.0, 4.0)])
    assert max(max(errors) for errors in results.values()) < 1e-15


def test_modes_restore_after_an_exception_inside_them():
    with pytest.raises(RuntimeError):
        with detect_anomaly(), no_grad():
            raise RuntimeError("boom")
    assert product_is_recorded()
    assert not overflow_raises()


def test_nested_modes_combine_and_unwind_in_order():
    with detect_anomaly():
        with no_grad():
            assert not product_is_recorded()
            assert overflow_raises()
        assert product_is_recorded()
        assert overflow_raises()
    assert not overflow_raises()
