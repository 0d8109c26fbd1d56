"""Robustness: per-thread/per-context modes, memory freed by reference counting, atomic files.

The claims checked here are the ones a long-running script or a notebook
relies on without thinking about them:

* ``no_grad`` / ``detect_anomaly`` in one thread or asyncio task never change
  what another one records (the engine keeps the mode in a ContextVar);
* a dropped graph is freed by reference counting alone, with the garbage
  collector switched off, so training for hours does not grow memory;
* every file the library writes appears whole or not at all, and a state
  dict is loaded from JSON only, validated first, and all-or-nothing;
* under ``detect_anomaly`` a nan or inf stops at the op that made it, and a
  failed backward leaves every gradient as it was.
"""

import asyncio
import gc
import json
import math
import os
import pickle
import shutil
import threading
import tracemalloc
import weakref
from contextlib import contextmanager

import pytest

from micrograd_id import AnomalyError, Value, detect_anomaly, grad, identity, losses, nn, no_grad, optim, train, viz
from micrograd_id._files import write_atomic
from micrograd_id.engine import Op

BARRIER_TIMEOUT = 10.0  # seconds; only reached if a thread is stuck, never in a passing run


# ----- helpers ------------------------------------------------------------------

def seed_error(w, x):
    """The seed's network and error with plain engine ops: E = 1/2 (sigmoid(w*x) - x)**2."""
    return 0.5 * ((w * x).sigmoid() - x) ** 2


def seed_step(w, x, lr=0.5):
    """One online SGD step of the seed's net; returns E before the update."""
    error = seed_error(w, x)
    error.backward()
    w.data -= lr * w.grad
    w.grad = 0.0
    return error.data


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


@contextmanager
def gc_off():
    """Collect once, then switch the cyclic GC off so only reference counting frees memory."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def collect_garbage_types():
    """Run the cyclic GC; return the type names of what it found unreachable (cycles)."""
    old_flags = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = sorted({type(obj).__name__ for obj in gc.garbage})
        gc.garbage.clear()
    finally:
        gc.set_debug(old_flags)
    return found


def traced_growth(step, warmup=500, steps=5000):
    """Bytes of traced memory still held after `steps` calls of step(i), GC off, after a warm-up."""
    with gc_off():
        tracemalloc.start()
        try:
            for i in range(warmup):
                step(i)
            before = tracemalloc.get_traced_memory()[0]
            for i in range(steps):
                step(i)
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    return after - before


# A graph the seed's net leaves behind is ~1.6 KB; 5,000 steps leaking one
# each would be ~8 MB. Even one float (24 B) kept per step exceeds this bound.
GROWTH_BOUND = 32 * 1024


# ----- modes are per thread and per asyncio task ----------------------------------

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
    from micrograd_id.identity import hand_gradient

    start = threading.Barrier(4, timeout=BARRIER_TIMEOUT)
    results = {}

    def worker(w0):
        start.wait()
        for x in (0.0, 1.0) * 50:
            w = Value(w0)
            seed_error(w, x).backward()
            results.setdefault(w0, []).append(abs(w.grad - hand_gradient(w0, x)))

    run_threads(*[lambda w0=w0: worker(w0) for w0 in (-2.0, 0.3, 1.0, 4.0)])
    assert max(max(errors) for errors in results.values()) < 1e-15


# ----- modes nest and always restore -------------------------------------------

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


# ----- memory: graphs are freed by reference counting ---------------------------

def _graph_by_backward():
    w = Value(0.3, label="w")
    error = seed_error(w, 1.0)
    error.backward()
    return error


def _graph_by_grad():
    w = Value(0.3, label="w")
    error = seed_error(w, 1.0)
    (dw,) = grad(error, [w])
    assert dw != 0.0
    return error


def _graph_by_second_order_grad():
    w = Value(0.3, label="w")
    error = seed_error(w, 1.0)
    (dw,) = grad(error, [w], create_graph=True)
    (d2w,) = grad(dw, [w])
    assert math.isfinite(d2w)
    return dw  # the first-order gradient's own graph, which also reaches the error's


def _graph_under_detect_anomaly():
    with detect_anomaly():
        return _graph_by_backward()


def _graph_with_every_op():
    a, b = Value(0.7, label="a"), Value(1.3, label="b")
    out = (a + b) * (a - b) / b + a ** 2 + a ** b + (-a).exp() + b.log() + a.tanh() + a.relu() + 1 / a
    out.backward()
    return out


def _deep_chain():
    v = Value(1.0, label="x")
    for _ in range(20_000):
        v = v * 1.0 + 0.0
    v.backward()
    return v


GRAPH_BUILDERS = [_graph_by_backward, _graph_by_grad, _graph_by_second_order_grad,
                  _graph_under_detect_anomaly, _graph_with_every_op, _deep_chain]


def all_nodes(root):
    """Every Value below root, each once."""
    seen, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.children)
    return list(seen.values())


@pytest.mark.parametrize("build", GRAPH_BUILDERS, ids=lambda f: f.__name__.strip("_"))
def test_a_dropped_graph_is_freed_at_once_with_the_gc_off(build):
    with gc_off():
        root = build()
        refs = [weakref.ref(node) for node in all_nodes(root)]
        assert len(refs) > 3 and all(ref() is not None for ref in refs)  # alive while referenced
        del root
        alive = sum(ref() is not None for ref in refs)
    assert alive == 0, f"{alive} of {len(refs)} nodes outlived their graph: a reference cycle"


@pytest.mark.parametrize("build", GRAPH_BUILDERS, ids=lambda f: f.__name__.strip("_"))
def test_building_and_dropping_a_graph_leaves_no_cycle_for_the_gc(build):
    with gc_off():
        build()
        cycles = collect_garbage_types()
    assert cycles == [], f"the cyclic GC found garbage of types {cycles}"


def test_the_cycle_check_catches_a_cycle():
    """The check above can fail: an object that refers to itself is reported."""
    with gc_off():
        holder = {}
        holder["self"] = holder
        del holder
        assert collect_garbage_types() == ["dict"]


def test_no_grad_outputs_hold_no_graph():
    a = Value(2.0)
    with no_grad():
        out = (a * 3.0).sigmoid()
    ref = weakref.ref(a)
    del a
    assert ref() is None and out.children == ()


def test_5000_sgd_steps_with_the_gc_off_hold_no_memory():
    w = Value(0.3, label="w")
    growth = traced_growth(lambda i: seed_step(w, float(i % 2)))
    assert growth < GROWTH_BOUND, f"{growth} bytes still held after 5,000 steps"
    assert w.data > 0.3  # training moved w towards larger values (x=1 wants w -> inf)


def test_the_memory_check_catches_a_leak_of_one_graph_per_step():
    """Positive control: keeping every graph alive must exceed the bound."""
    w, kept = Value(0.3, label="w"), []

    def leaky_step(i):
        error = seed_error(w, float(i % 2))
        error.backward()
        kept.append(error)

    assert traced_growth(leaky_step) > GROWTH_BOUND


def test_5000_steps_of_the_nn_identity_net_with_the_gc_off_hold_no_memory():
    net = identity.IdentityNet(w=0.3, bias=0.0)

    def step(i):
        x = float(i % 2)
        net.zero_grad()
        losses.half_squared_error(net(x), x).backward()
        for p in net.parameters():
            p.data -= 0.5 * p.grad

    growth = traced_growth(step)
    assert growth < GROWTH_BOUND, f"{growth} bytes still held after 5,000 steps"


def test_1000_steps_of_an_mlp_with_sgd_with_the_gc_off_hold_no_memory():
    net = nn.MLP(2, [4, 1], seed=0)
    opt = optim.SGD(net.parameters(), lr=0.05)
    data = [((0.0, 1.0), 1.0), ((1.0, 0.0), 0.0)]

    def step(i):
        x, y = data[i % 2]
        opt.zero_grad()
        losses.half_squared_error(net(list(x)), y).backward()
        opt.step()

    growth = traced_growth(step, warmup=100, steps=1000)
    assert growth < GROWTH_BOUND, f"{growth} bytes still held after 1,000 steps"


# ----- a failed backward leaves every gradient as it was ------------------------

def _interrupted_rule(g, out, a):
    raise KeyboardInterrupt  # as if the user pressed Ctrl-C during backward


def _overflowing_rule(g, out, a):
    return (1e300 ** 2,)  # float ** raises OverflowError, as a real rule can


@pytest.mark.parametrize("rule, error", [(_interrupted_rule, KeyboardInterrupt),
                                         (_overflowing_rule, OverflowError)], ids=["Ctrl-C", "overflow"])
def test_a_backward_that_fails_midway_leaves_every_gradient_as_it_was(rule, error):
    """All or nothing: no gradient lost from an earlier backward, none half-added."""
    w = Value(0.5, label="w")
    squashed = (w * 3.0).tanh()
    out = squashed + w * w   # the tanh rule runs after the '+' rule has added to w*w
    out.backward()           # a first, successful backward: every node holds a gradient
    before = {id(node): node.grad for node in all_nodes(out)}
    squashed.operation = Op("tanh", 1, math.tanh, rule)  # the same op with a failing rule
    with pytest.raises(error):
        out.backward()
    assert {id(node): node.grad for node in all_nodes(out)} == before
    assert w.grad != 0.0


# ----- detect_anomaly: a nan or inf stops where it is made ------------------------

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


# ----- files: written whole or not at all ----------------------------------------

def files_in(folder):
    return sorted(p.name for p in folder.iterdir())


def test_write_atomic_writes_text_and_bytes_and_leaves_no_temporary_file(tmp_path):
    write_atomic(tmp_path / "a.txt", "héllo\n")
    write_atomic(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    assert files_in(tmp_path) == ["a.txt", "b.bin"]


def _fail_rename(monkeypatch):
    def failing_replace(src, dst, **kwargs):
        raise OSError(28, "No space left on device (simulated)")
    monkeypatch.setattr(os, "replace", failing_replace)


class _HalfWritingFile:
    """A file object that writes half of what it is given, then fails like a full disk."""

    def __init__(self, real):
        self.real = real

    def write(self, data):
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        raise OSError(28, "No space left on device (simulated)")

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


def _fail_mid_write(monkeypatch):
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: _HalfWritingFile(real_fdopen(fd, *a, **k)))


def _interrupt_mid_write(monkeypatch):
    def interrupted_replace(src, dst, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", interrupted_replace)


FAILURES = {"rename fails": (_fail_rename, OSError),
            "write fails half-way": (_fail_mid_write, OSError),
            "Ctrl-C before the rename": (_interrupt_mid_write, KeyboardInterrupt)}


@pytest.mark.parametrize("failure", FAILURES)
def test_write_atomic_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, failure):
    target = tmp_path / "out.txt"
    target.write_text("previous contents")
    inject, error = FAILURES[failure]
    inject(monkeypatch)
    with pytest.raises(error):
        write_atomic(target, "new contents that must not appear " * 100)
    monkeypatch.undo()
    assert target.read_text() == "previous contents"
    assert files_in(tmp_path) == ["out.txt"]


@pytest.mark.parametrize("failure", ["rename fails", "write fails half-way"])
def test_write_atomic_failure_names_the_users_path_not_the_temporary_file(tmp_path, monkeypatch, failure):
    FAILURES[failure][0](monkeypatch)
    with pytest.raises(OSError) as caught:
        write_atomic(tmp_path / "out.txt", "x" * 1000)
    assert str(caught.value).startswith(f"cannot write {tmp_path / 'out.txt'}: ") and ".tmp" not in str(caught.value)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, where no file can be created")
def test_write_atomic_and_check_writable_into_proc_name_the_path_and_the_reason():
    from micrograd_id._files import check_writable

    for attempt in (lambda: write_atomic("/proc/g.png", b"png"), lambda: check_writable("/proc/g.png")):
        with pytest.raises(OSError) as caught:
            attempt()
        assert str(caught.value) == "cannot write /proc/g.png: No such file or directory"


def test_check_writable_leaves_nothing_behind(tmp_path):
    from micrograd_id._files import check_writable

    assert check_writable(tmp_path / "later.csv") == tmp_path / "later.csv"
    assert files_in(tmp_path) == []


def test_write_atomic_into_a_missing_folder_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomic(tmp_path / "missing" / "out.txt", "x")


# Every writer of the library, as name: (factory, suffix). factory(suffix) returns
# write(path) for that kind of file.
def _history_writer(suffix):
    history = train.train(identity.IdentityNet(w=0.3), xs=[0, 1], lr=0.5, steps=5)
    return history.to_csv if suffix == ".csv" else history.to_json


def _state_dict_writer(suffix):
    return identity.IdentityNet(w=0.3, bias=0.1).save


def _render_writer(suffix):
    if suffix != ".dot" and shutil.which("dot") is None:
        pytest.skip("the Graphviz `dot` program is not installed")
    error = _graph_by_backward()
    return lambda path: viz.render(error, path)


WRITERS = {"history.csv": (_history_writer, ".csv"), "history.json": (_history_writer, ".json"),
           "state_dict.json": (_state_dict_writer, ".json"), "graph.dot": (_render_writer, ".dot"),
           "graph.svg": (_render_writer, ".svg"), "graph.png": (_render_writer, ".png"),
           "graph.pdf": (_render_writer, ".pdf")}


@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_leaves_the_old_file_intact_when_the_rename_fails(tmp_path, monkeypatch, name):
    factory, suffix = WRITERS[name]
    write = factory(suffix)
    target = tmp_path / ("out" + suffix)
    target.write_bytes(b"previous contents")
    _fail_rename(monkeypatch)
    with pytest.raises(OSError):
        write(target)
    monkeypatch.undo()
    assert target.read_bytes() == b"previous contents"
    assert files_in(tmp_path) == [target.name]


def _csv_rows(data):
    lines = data.decode("utf-8").splitlines()
    return lines[0].startswith("step,") and len(lines) == 6  # a header and the 5 steps


# name: a check that the file holds a whole document of its kind, start and end
WHOLE = {"history.csv": _csv_rows,
         "history.json": lambda data: len(json.loads(data)) == 5,
         "state_dict.json": lambda data: sorted(json.loads(data)) == ["b", "w"],
         "graph.dot": lambda data: data.startswith(b"digraph") and data.rstrip().endswith(b"}"),
         "graph.svg": lambda data: data.startswith(b"<?xml") and data.rstrip().endswith(b"</svg>"),
         "graph.png": lambda data: data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82"),
         "graph.pdf": lambda data: data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")}


@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_writes_a_whole_file_and_no_temporary(tmp_path, name):
    factory, suffix = WRITERS[name]
    target = tmp_path / ("out" + suffix)
    factory(suffix)(target)
    assert WHOLE[name](target.read_bytes())
    assert files_in(tmp_path) == [target.name]


# ----- state dicts: JSON only, validated, all or nothing ----------------------------

class _PickleBomb:
    """Unpickling this prints a marker: proof that a loader ran pickle on the file."""

    def __reduce__(self):
        return (print, ("PICKLE-PAYLOAD-EXECUTED",))


@pytest.fixture
def net():
    return identity.IdentityNet(w=0.3, bias=0.1)


def exact_state(net):
    """The parameters bit for bit, so 'nothing changed' means exactly that."""
    return {name: float(value).hex() for name, value in net.state_dict().items()}


def with_last_entry(net, bad_value):
    """A state dict whose earlier entries are new, valid values and whose last entry is bad_value.

    A loader that applies entries one by one before validating them all would change
    the earlier parameters before it fails on the last one.
    """
    state = {name: value + 1.0 for name, value in net.state_dict().items()}
    state[list(state)[-1]] = bad_value
    return state


BAD_VALUES = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "str": "0.5", "None": None,
              "bool": True, "list": [0.5], "dict": {"v": 0.5}, "complex": 1j, "huge int": 10**400}


@pytest.mark.parametrize("kind", BAD_VALUES)
def test_load_state_dict_rejects_a_bad_value_and_loads_nothing(net, kind):
    before = exact_state(net)
    with pytest.raises((ValueError, TypeError, OverflowError)):
        net.load_state_dict(with_last_entry(net, BAD_VALUES[kind]))
    assert exact_state(net) == before


def test_load_state_dict_rejects_an_unknown_name_and_loads_nothing(net):
    before = exact_state(net)
    state = {name: value + 1.0 for name, value in net.state_dict().items()}
    state["not_a_parameter"] = 1.0
    with pytest.raises((KeyError, ValueError)):
        net.load_state_dict(state)
    assert exact_state(net) == before


def test_load_state_dict_rejects_a_missing_name_and_loads_nothing(net):
    before = exact_state(net)
    state = {name: value + 1.0 for name, value in net.state_dict().items()}
    del state[list(state)[-1]]
    with pytest.raises((KeyError, ValueError)):
        net.load_state_dict(state)
    assert exact_state(net) == before


@pytest.mark.parametrize("not_a_mapping", [None, [("w", 0.5)], "w=0.5", 0.5])
def test_load_state_dict_rejects_what_is_not_a_mapping(net, not_a_mapping):
    before = exact_state(net)
    with pytest.raises((TypeError, ValueError)):
        net.load_state_dict(not_a_mapping)
    assert exact_state(net) == before


def test_save_then_load_round_trips_every_bit(net, tmp_path):
    net.w.data = 0.1 + 0.2          # 0.30000000000000004: a float that text can easily mangle
    path = tmp_path / "net.json"
    net.save(path)
    saved = exact_state(net)
    other = identity.IdentityNet(w=-5.0, bias=2.0)
    other.load(path)
    assert exact_state(other) == saved
    assert json.loads(path.read_text(encoding="utf-8"))  # plain JSON on disk


def _file_payloads(state):
    """Files a state-dict loader must refuse: not JSON, not a name->number object, or unsafe."""
    good = json.dumps(state)
    first = list(state)[0]
    return {
        "pickle": pickle.dumps({**state, first: _PickleBomb()}),
        "python literal": repr(state).encode(),
        "python expression": b"__import__('os').getpid()",
        "JSON NaN": good.replace(json.dumps(state[first]), "NaN", 1).encode(),
        "JSON Infinity": good.replace(json.dumps(state[first]), "Infinity", 1).encode(),
        "JSON 1e400": good.replace(json.dumps(state[first]), "1e400", 1).encode(),
        "JSON string value": good.replace(json.dumps(state[first]), '"0.5"', 1).encode(),
        "JSON array": json.dumps(list(state.values())).encode(),
        "a name given twice": good.replace("{", "{" + json.dumps(first) + ": 0.25,", 1).encode(),
        "JSON null": b"null",
        "truncated JSON": good[: len(good) // 2].encode(),
        "empty file": b"",
        "binary garbage": b"\xff\xfe\x00\x81",
    }


PAYLOAD_NAMES = list(_file_payloads({"w": 0.3, "b": 0.1}))


@pytest.mark.parametrize("payload", PAYLOAD_NAMES)
def test_load_refuses_a_bad_file_and_loads_nothing(net, tmp_path, capsys, payload):
    path = tmp_path / "net.json"
    path.write_bytes(_file_payloads(net.state_dict())[payload])
    before = exact_state(net)
    with pytest.raises((ValueError, TypeError, KeyError, OverflowError)):
        net.load(path)
    assert exact_state(net) == before
    assert "PICKLE-PAYLOAD-EXECUTED" not in capsys.readouterr().out
