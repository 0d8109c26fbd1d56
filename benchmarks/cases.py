"""The timed cases: what each library runs, how it is timed, and the data it runs on.

Each case is a callable per library that does one step (zero the gradients,
forward, backward, and for training an SGD step), built so that every library
computes the same numbers. Timings interleave the libraries block after block
and keep the median and the minimum over the blocks.
"""

import gc
import shutil
import statistics
import time
from pathlib import Path

import contenders
import report

GC_MODES = ("default", "off")
BATCH = 8          # samples in benchmark 1
LEARNING_RATE = 0.05
MLP_TITLE = "1. MLP 2-16-16-1, batch of 8, forward + backward"
IDENTITY_TITLE = "2. Identity network, forward + backward"
INSTRUCTION_CASES = {"mlp": MLP_TITLE, "identity": IDENTITY_TITLE}  # counted by callgrind (workers.py)


# ----- timing ---------------------------------------------------------------------------

class Timing:
    """Seconds per call over repeated blocks: median and minimum."""

    def __init__(self, samples):
        self.samples = list(samples)
        self.median = statistics.median(samples)
        self.min = min(samples)

    def spread(self):
        """How far the slowest block was above the fastest, as a share of the median."""
        return (max(self.samples) - self.min) / self.median


def timed_block(fn, number, gc_off):
    """CPU seconds per call of fn over `number` calls, starting from a collected heap.

    CPU time (this process's, all its threads) rather than wall time: what
    other work on the machine does while this process waits is not counted.
    With gc_off the collector is disabled for the block: micrograd's cycles
    then stay until the untimed gc.collect() that starts the next block.
    """
    gc.collect()
    if gc_off:
        gc.disable()
    try:
        start = time.process_time()
        for _ in range(number):
            fn()
        return (time.process_time() - start) / number
    finally:
        gc.enable()


def time_interleaved(fns, gc_off, repeats, block_seconds):
    """{name: Timing}: blocks of each fn in turn, so load from elsewhere hits all alike.

    Each block makes as many calls as fill about block_seconds.
    """
    numbers = {}
    for name, fn in fns.items():
        once = timed_block(fn, 1, gc_off)  # also the warm-up
        numbers[name] = max(1, round(block_seconds / once))
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(timed_block(fn, numbers[name], gc_off))
    return {name: Timing(s) for name, s in samples.items()}


def time_against_compiled(title, fns, repeats, block_seconds, log, digits):
    """[(GC mode, {name: Timing})] for each GC mode, each logged: every contender's time and, with `digits`
    decimals, its time over the compiled step's (fns[report.COMPILED])."""
    rows = []
    for mode in GC_MODES:
        timings = time_interleaved(fns, mode == "off", repeats, block_seconds)
        fast = timings[report.COMPILED]
        log(f"{title} | GC {mode}: " + ", ".join(f"{name} {report.ms(t.median)} ms" for name, t in timings.items())
            + " | time / compiled: "
            + ", ".join(f"{name} {t.median / fast.median:.{digits}f}×" for name, t in timings.items() if t is not fast))
        rows.append((mode, timings))
    return rows


# ----- the data ---------------------------------------------------------------------------

def batch_data():
    """BATCH fixed points in [-1, 1]^2 with targets +-1."""
    import numpy as np

    rng = np.random.default_rng(1)
    X = rng.uniform(-1.0, 1.0, size=(BATCH, 2))
    return [[float(a), float(b)] for a, b in X], [1.0 if i % 2 else -1.0 for i in range(BATCH)]


def two_moons(n, noise=0.1, seed=0):
    """Two interleaved half circles (labels -1 and +1) with Gaussian noise; numpy only."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n_outer = n // 2
    t_outer = np.linspace(0.0, np.pi, n_outer)
    t_inner = np.linspace(0.0, np.pi, n - n_outer)
    outer = np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1)
    inner = np.stack([1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)], axis=1)
    X = np.concatenate([outer, inner]) + rng.normal(0.0, noise, size=(n, 2))
    y = [-1.0] * n_outer + [1.0] * (n - n_outer)
    return [[float(a), float(b)] for a, b in X], y


# ----- benchmarks 1 and 2: one callable per library ----------------------------------------------

def mlp_batch_case(lib, weights):
    """Benchmark 1: zero grads, forward 8 samples through 2-16-16-1, squared error, backward."""
    model, params = lib.mlp(weights)
    X, Y = batch_data()

    def step():
        lib.zero_grad(params)
        loss = contenders.chain_sum([(model(x) - y) ** 2 for x, y in zip(X, Y)])
        loss.backward()
        return [lib.data(loss)] + [lib.grad(p) for p in params]

    return step


def identity_case(lib):
    """Benchmark 2: the identity network y_hat = sigmoid(w*x), E = 1/2 (y_hat - x)**2, at x = 1, in Value ops."""
    step, _ = lib.identity_net(0.3)
    return lambda: list(step(1.0))


def agreement(results):
    """Largest relative difference of any library's numbers from micrograd_id's."""
    ours = results["micrograd_id"]
    worst = 0.0
    for numbers in results.values():
        for a, b in zip(ours, numbers):
            worst = max(worst, abs(a - b) / max(1.0, abs(a)))
    return worst


def speed_cases(libs, settings, log):
    """Rows for benchmarks 1 and 2 in both GC modes, after checking the libraries agree."""
    weights = contenders.reference_weights()
    cases = [  # title, make a callable for a library, its numbers to compare
        (MLP_TITLE, lambda lib: mlp_batch_case(lib, weights), lambda lib: mlp_batch_case(lib, weights)()),
        (IDENTITY_TITLE, identity_case, lambda lib: identity_case(lib)()),
    ]
    rows, checks = [], []
    for title, make, numbers in cases:
        checks.append((title, agreement({name: numbers(lib) for name, lib in libs.items()})))
        fns = {name: make(lib) for name, lib in libs.items()}
        for mode in GC_MODES:
            timings = time_interleaved(fns, mode == "off", settings["repeats"], settings["block_seconds"])
            rows.append((title, mode, timings))
            log(report.speed_line(title, mode, timings))
    return rows, checks


def identity_matches_eq6():
    """micrograd_id's dE/dw for the identity network against eq. (6), as a relative difference."""
    from micrograd_id.identity import hand_gradient

    step, _ = contenders.MicrogradId().identity_net(0.3)
    _, autodiff = step(1.0)
    hand = float(hand_gradient(0.3, 1.0))
    return abs(autodiff - hand) / abs(hand)


# ----- engine modes: what create_graph and detect_anomaly cost ------------------------------

def engine_mode_cases(settings, log):
    """micrograd_id's MLP batch step through backward(), grad(), detect_anomaly(), no_grad()."""
    from micrograd_id import detect_anomaly, grad, no_grad

    lib = contenders.MicrogradId()
    model, params = lib.mlp(contenders.reference_weights())
    X, Y = batch_data()

    def forward():
        return contenders.chain_sum([(model(x) - y) ** 2 for x, y in zip(X, Y)])

    def with_backward():
        lib.zero_grad(params)
        forward().backward()

    def under_anomaly():
        with detect_anomaly():
            with_backward()

    def under_no_grad():
        with no_grad():
            forward()

    fns = {
        "forward + backward()": with_backward,
        "forward + grad(create_graph=False)": lambda: grad(forward(), params),
        "forward + grad(create_graph=True)": lambda: grad(forward(), params, create_graph=True),
        "forward + backward() in detect_anomaly()": under_anomaly,
        "forward only": forward,
        "forward only, in no_grad()": under_no_grad,
    }
    results = {}
    for mode in GC_MODES:
        results[mode] = timings = time_interleaved(fns, mode == "off", settings["repeats"], settings["block_seconds"])
        base = timings["forward + backward()"].median
        for name, t in timings.items():
            log(f"engine GC {mode:<7} {name:<55} {t.median * 1e3:8.3f} ms  x{t.median / base:5.2f}")
    return results


# ----- rendering: what Graphviz's layout costs ------------------------------------------------

def render_cases(settings, log):
    """{view: (Values in the graph, Timing)}: PNGs of the identity network and of the 2-16-16-1 MLP's views."""
    import tempfile

    from micrograd_id import viz
    from micrograd_id.engine import topological_order
    from micrograd_id.identity import IdentityNet
    from micrograd_id.losses import half_squared_error
    from micrograd_id.nn import MLP

    if shutil.which("dot") is None:
        log("rendering: Graphviz's dot is not installed; left out")
        return {}
    net = IdentityNet(w=0.3)
    seed_error = half_squared_error(net(1.0), 1.0)
    mlp = MLP(2, [16, 16, 1], seed=0)
    mlp_loss = half_squared_error(mlp([0.5, -1.0]), 1.0)
    for root in (seed_error, mlp_loss):
        root.backward()
    views = {
        "identity network, every Value": (seed_error, {}),
        "MLP 2-16-16-1, one sample, one box per layer": (mlp_loss, dict(collapse="layer")),
        "MLP 2-16-16-1, one sample, one box per neuron": (mlp_loss, dict(collapse="neuron")),
        "MLP 2-16-16-1, one sample, every Value (max_nodes=None)": (mlp_loss, dict(max_nodes=None)),
    }
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for view, (root, options) in views.items():
            samples = []
            for _ in range(settings["render_repeats"]):
                start = time.perf_counter()
                viz.render(root, Path(folder) / "graph.png", **options)
                samples.append(time.perf_counter() - start)
            results[view] = (len(topological_order(root)), Timing(samples))
            log(f"render {view:<58} {results[view][0]:>5} Values  {results[view][1].median:6.2f} s")
    return results
