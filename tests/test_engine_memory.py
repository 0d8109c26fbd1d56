"""Memory: a dropped graph is freed by reference counting alone, with the garbage collector off.

So training for hours does not grow memory: graphs built by backward, grad,
grad of grad and under detect_anomaly leave no reference cycle, and thousands
of training steps (the identity network, an MLP with SGD) hold no memory.
"""

import gc
import math
import tracemalloc
import weakref
from contextlib import contextmanager

import pytest
from conftest import all_nodes, identity_error

from micrograd_id import Value, detect_anomaly, grad, identity, losses, nn, no_grad, optim

def identity_step(w, x, lr=0.5):
    """One online SGD step of the identity network; returns E before the update."""
    error = identity_error(w, x)
    error.backward()
    w.data -= lr * w.grad
    w.grad = 0.0
    return error.data


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


# A graph the identity network leaves behind is ~1.6 KB; 5,000 steps leaking one
# each would be ~8 MB. Even one float (24 B) kept per step exceeds this bound.
GROWTH_BOUND = 32 * 1024


# ----- modes are per thread and per asyncio task ----------------------------------


# ----- modes nest and always restore -------------------------------------------


# ----- memory: graphs are freed by reference counting ---------------------------

def _graph_by_backward():
    w = Value(0.3, label="w")
    error = identity_error(w, 1.0)
    error.backward()
    return error


def _graph_by_grad():
    w = Value(0.3, label="w")
    error = identity_error(w, 1.0)
    (dw,) = grad(error, [w])
    assert dw != 0.0
    return error


def _graph_by_second_order_grad():
    w = Value(0.3, label="w")
    error = identity_error(w, 1.0)
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
    growth = traced_growth(lambda i: identity_step(w, float(i % 2)))
    assert growth < GROWTH_BOUND, f"{growth} bytes still held after 5,000 steps"
    assert w.data > 0.3  # training moved w towards larger values (x=1 wants w -> inf)


def test_the_memory_check_catches_a_leak_of_one_graph_per_step():
    """Positive control: keeping every graph alive must exceed the bound."""
    w, kept = Value(0.3, label="w"), []

    def leaky_step(i):
        error = identity_error(w, float(i % 2))
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


# ----- detect_anomaly: a nan or inf stops where it is made ------------------------


# ----- files: written whole or not at all ----------------------------------------


# ----- state dicts: JSON only, validated, all or nothing ----------------------------


