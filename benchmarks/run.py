"""Speed and memory of micrograd_id against micrograd 0.1.0 and PyTorch scalar tensors.

One command runs every case in the same session and prints ratios (absolute
times on a shared machine are noise; ratios measured side by side are not):

    .venv/bin/python benchmarks/run.py           # full run, a few minutes; writes docs/benchmarks.md
    .venv/bin/python benchmarks/run.py --quick   # small repeats and sizes; prints only

Every timed case runs twice: with Python's default garbage collector (what
users get) and with it switched off (the raw cost of the ops). micrograd's
backward closures capture their output node, so its graphs are reference
cycles that only the collector frees; micrograd_id's graphs have no cycles.
Timings interleave the libraries, repeat each block and report the median
(and the minimum); a ratio > 1 means micrograd_id is that many times faster.
"""

import argparse
import datetime
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import compiled_cases
import contenders
import memory

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
LIBRARIES = ("micrograd_id", "micrograd", "torch")
GC_MODES = ("default", "off")
SETTINGS = {
    "full": dict(repeats=7, block_seconds=0.25, train_repeats=3, train_steps=20, chain_depth=1_000_000,
                 depth_cap=1_000_000, memory_nodes=200_000, memory_steps=100_000, render_repeats=3,
                 instruction_steps={"mlp": 10, "identity": 5000}),
    "quick": dict(repeats=2, block_seconds=0.05, train_repeats=1, train_steps=3, chain_depth=100_000,
                  depth_cap=100_000, memory_nodes=50_000, memory_steps=10_000, render_repeats=1,
                  instruction_steps={"mlp": 2, "identity": 500}),
}
BATCH = 8          # samples in benchmark 1
MOONS = 100        # samples in benchmark 2
LEARNING_RATE = 0.05
MLP_TITLE = "1. MLP 2-16-16-1, batch of 8, forward + backward"
IDENTITY_TITLE = "3. Identity net (seed), forward + backward"


# ----- timing ---------------------------------------------------------------------------

class Timing:
    """Seconds per call over repeated blocks: median and minimum."""

    def __init__(self, samples):
        self.median = statistics.median(samples)
        self.min = min(samples)


def timed_block(fn, number, gc_off):
    """Seconds per call of fn over `number` calls, starting from a collected heap.

    With gc_off the collector is disabled for the block: micrograd's cycles
    then stay until the untimed gc.collect() that starts the next block.
    """
    gc.collect()
    if gc_off:
        gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - start) / number
    finally:
        gc.enable()


def time_interleaved(fns, gc_off, repeats, block_seconds, number=None):
    """{name: Timing}: blocks of each fn in turn, so load from elsewhere hits all alike.

    Each block makes `number` calls, or as many as fill about block_seconds.
    """
    numbers = {}
    for name, fn in fns.items():
        once = timed_block(fn, 1, gc_off)  # also the warm-up
        numbers[name] = number or max(1, round(block_seconds / once))
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(timed_block(fn, numbers[name], gc_off))
    return {name: Timing(s) for name, s in samples.items()}


# ----- the data ---------------------------------------------------------------------------

def batch_data():
    """BATCH fixed points in [-1, 1]^2 with targets +-1."""
    import numpy as np

    rng = np.random.default_rng(1)
    X = rng.uniform(-1.0, 1.0, size=(BATCH, 2))
    return [[float(a), float(b)] for a, b in X], [1.0 if i % 2 else -1.0 for i in range(BATCH)]


def two_moons(n=MOONS, noise=0.1, seed=0):
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


# ----- benchmarks 1-3: one callable per library ----------------------------------------------

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


def training_case(lib, weights):
    """Benchmark 2: step() = one full-batch SGD step of a fresh 2-16-16-1 on two moons (hinge loss)."""
    X, Y = two_moons()
    scale = 1.0 / len(X)
    model, params = lib.mlp(weights)
    sgd = lib.sgd(params, LEARNING_RATE)

    def step():
        lib.zero_grad(params)
        margins = [(1 + -y * model(x)).relu() for x, y in zip(X, Y)]
        loss = contenders.chain_sum(margins) * scale
        loss.backward()
        sgd()
        return lib.data(loss)

    return step


def identity_case(lib):
    """Benchmark 3: the identity network y_hat = sigmoid(w*x), E = 1/2 (y_hat - x)**2, at x = 1, in Value ops."""
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
    """Rows for benchmarks 1-3 in both GC modes, after checking the libraries agree.

    Training is timed per SGD step, `train_steps` steps per block on one
    model, and reported for all `train_steps` together.
    """
    weights = contenders.reference_weights()
    steps, repeats = settings["train_steps"], settings["repeats"]

    def train_losses(lib):  # every loss of `steps` steps from the same start
        step = training_case(lib, weights)
        return [step() for _ in range(steps)]

    cases = [  # title, make a callable for a library, its numbers to compare, calls per block, repeats, scale
        (MLP_TITLE, lambda lib: mlp_batch_case(lib, weights),
         lambda lib: mlp_batch_case(lib, weights)(), None, repeats, 1),
        (f"2. Training: {MOONS} two-moons samples, {steps} SGD steps (full batch)",
         lambda lib: training_case(lib, weights), train_losses, steps, settings["train_repeats"], steps),
        (IDENTITY_TITLE, identity_case, lambda lib: identity_case(lib)(),
         None, repeats, 1),
    ]
    rows, checks = [], []
    for title, make, numbers, number, case_repeats, scale in cases:
        checks.append((title, agreement({name: numbers(lib) for name, lib in libs.items()})))
        fns = {name: make(lib) for name, lib in libs.items()}
        for mode in GC_MODES:
            timings = time_interleaved(fns, mode == "off", case_repeats, settings["block_seconds"], number)
            for t in timings.values():
                t.median, t.min = t.median * scale, t.min * scale
            rows.append((title, mode, timings))
            log(speed_line(title, mode, timings))
    return rows, checks


def identity_matches_eq6():
    """micrograd_id's dE/dw for the identity network against eq. (6), as a relative difference."""
    from micrograd_id.identity import hand_gradient

    step, _ = contenders.MicrogradId().identity_net(0.3)
    _, autodiff = step(1.0)
    hand = float(hand_gradient(0.3, 1.0))
    return abs(autodiff - hand) / abs(hand)


# ----- benchmark 4 and 5: chains, in subprocesses ----------------------------------------

def build_chain(x, depth):
    """v = x + x + ... : `depth` additions in a row, each node one deeper than the last."""
    v = x
    for _ in range(depth):
        v = v + x
    return v


def chain_worker(lib, depth, gc_off):
    """Build and backward one chain; the times, or the error that stopped backward."""
    x = lib.leaf(0.5)
    gc.collect()
    if gc_off:
        gc.disable()
    start = time.perf_counter()
    v = build_chain(x, depth)
    built = time.perf_counter()
    result = {"build": built - start, "backward": None, "error": None}
    try:
        v.backward()
        result["backward"] = time.perf_counter() - built
        result["correct"] = lib.grad(x) == depth + 1.0
    except RecursionError as error:
        result["error"] = f"RecursionError ({error})"
    return result


def survives(lib, depth):
    """Whether backward through a chain of `depth` ops works and gives the right gradient."""
    x = lib.leaf(0.5)
    try:
        build_chain(x, depth).backward()
    except RecursionError:
        return False
    return lib.grad(x) == depth + 1.0


def depth_worker(lib, cap):
    """The largest chain depth whose backward works, searched up to `cap`.

    Tries the cap first; below it, doubles then bisects (each try is printed,
    so a crash still tells the parent where it happened).
    """
    def attempt(depth):
        print(json.dumps({"trying": depth}), flush=True)
        return survives(lib, depth)

    if attempt(cap):
        return {"depth": cap, "capped": True}
    good, bad = 0, 1
    while bad < cap and attempt(bad):
        good, bad = bad, bad * 2
    bad = min(bad, cap)
    while bad - good > 1:
        middle = (good + bad) // 2
        good, bad = (middle, bad) if attempt(middle) else (good, middle)
    return {"depth": good, "capped": False, "fails_at": bad}


def memory_worker(lib, nodes, gc_off, method):
    """Bytes per chain node, by tracemalloc (Python's heap) or by resident memory (all heaps)."""
    x = lib.leaf(0.5)
    build_chain(x, 1000)  # warm-up: first-use allocations are not the graph's
    gc.collect()
    if gc_off:
        gc.disable()
    if method == "traced":
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = memory.resident_bytes()
    v = build_chain(x, nodes)
    after = tracemalloc.get_traced_memory()[0] if method == "traced" else memory.resident_bytes()
    del v
    return {"bytes_per_node": (after - before) / nodes}


def steps_worker(lib, case, steps):
    """Run `steps` calls of a speed case with the GC off, then free their garbage once: for callgrind."""
    weights = contenders.reference_weights()
    step = {"mlp": lambda: mlp_batch_case(lib, weights), "identity": lambda: identity_case(lib)}[case]()
    step()
    gc.collect()
    gc.disable()
    for _ in range(steps):
        step()
    gc.collect()  # freeing the steps' graphs is part of their cost: micrograd's cycles wait for this
    # Leave without interpreter teardown, whose work would differ from run to run.
    print(json.dumps({"steps": steps}), flush=True)
    os._exit(0)


WORKERS = {"chain": chain_worker, "depth": depth_worker, "memory": memory_worker, "steps": steps_worker}


def in_subprocess(job, library, timeout=600, **kwargs):
    """Run a worker in a fresh interpreter: its last JSON line, or {'error': ...} if it failed."""
    command = [sys.executable, __file__, "--worker", json.dumps({"job": job, "library": library, **kwargs})]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode == 0 and lines:
        return lines[-1]
    last_try = next((line["trying"] for line in reversed(lines) if "trying" in line), None)
    why = f"killed by signal {-done.returncode}" if done.returncode < 0 else \
        (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": why + (f" while trying depth {last_try:,}" if last_try else "")}


def run_worker(spec):
    spec = json.loads(spec)
    lib = contenders.CONTENDERS[spec.pop("library")]()
    result = WORKERS[spec.pop("job")](lib, **spec)
    print(json.dumps(result), flush=True)


def chain_cases(names, settings, log):
    depth = settings["chain_depth"]
    chains = {}
    for name in names:
        for mode in GC_MODES:
            chains[name, mode] = result = in_subprocess("chain", name, depth=depth, gc_off=mode == "off")
            log(f"chain {depth:,} {name:<13} GC {mode:<7} {chain_text(result)}")
    depths = {}
    for name in names:
        depths[name] = result = in_subprocess("depth", name, cap=settings["depth_cap"])
        log(f"max depth {name:<13} {depth_text(result)}")
    memories = {}
    for name in names:
        for mode in GC_MODES:
            for method in ("traced", "rss"):
                memories[name, mode, method] = result = in_subprocess(
                    "memory", name, nodes=settings["memory_nodes"], gc_off=mode == "off", method=method)
                log(f"bytes/node {name:<13} GC {mode:<7} {method:<6} {bytes_text(result)}")
    return chains, depths, memories


# ----- instructions: ratios that no other load on the machine can move -------------------------

INSTRUCTION_CASES = {"mlp": MLP_TITLE, "identity": IDENTITY_TITLE}


def callgrind_instructions(library, case, steps):
    """Instructions the whole worker process executes (valgrind's callgrind), or None if it failed."""
    spec = json.dumps({"job": "steps", "library": library, "case": case, "steps": steps})
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
               "--worker", spec]
    # A fixed hash seed and single-threaded BLAS (idle threads spin) make the count repeat exactly.
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=1200, env=env)
    counted = re.search(r"Collected : (\d+)", done.stderr)
    return int(counted.group(1)) if done.returncode == 0 and counted else None


def instruction_cases(names, settings, log):
    """{(case, library): instructions per step}, GC off, for the Python libraries (torch is left out).

    Each count is (a run of N steps) minus (a run of 0 steps), divided by N, so
    start-up and imports cancel. Deterministic: the same on a busy machine.
    """
    if shutil.which("valgrind") is None:
        log("instructions: valgrind is not installed; left out")
        return {}
    results = {}
    for case, steps in settings["instruction_steps"].items():
        for name in names:
            if name == "torch":
                continue
            base, run_ = (callgrind_instructions(name, case, n) for n in (0, steps))
            results[case, name] = None if base is None or run_ is None else (run_ - base) / steps
            per_step = results[case, name]
            log(f"instructions {case:<9} {name:<13} " + (f"{per_step:,.0f} per step" if per_step else "failed"))
    return results


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
        "identity net, every Value": (seed_error, {}),
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


# ----- text -----------------------------------------------------------------------------------

def ms(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e3:.4f}"
    return f"{seconds * 1e3:,.3f}" if seconds < 1 else f"{seconds * 1e3:,.0f}"


def ratio(theirs, ours):
    return f"{theirs.median / ours.median:.2f}× (min {theirs.min / ours.min:.2f}×)"


def speed_line(title, mode, timings):
    ours = timings["micrograd_id"]
    parts = [f"{name} {ms(t.median)} ms" for name, t in timings.items()]
    ratios = [f"vs {name} {ratio(t, ours)}" for name, t in timings.items() if name != "micrograd_id"]
    return f"{title} | GC {mode}: " + ", ".join(parts) + " | " + ", ".join(ratios)


def chain_text(result):
    if "build" not in result:
        return result.get("error", "?")
    text = f"build {result['build']:.2f} s"
    if result["backward"] is not None:
        return text + f", backward {result['backward']:.2f} s" + ("" if result.get("correct") else " (WRONG gradient)")
    return text + f", backward failed: {result['error'][:60]}"


def depth_text(result):
    if "depth" not in result:
        return result.get("error", "?")
    if result["capped"]:
        return f"≥ {result['depth']:,} (the cap)"
    return f"{result['depth']:,} (fails at {result['fails_at']:,})"


def bytes_text(result):
    return f"{result['bytes_per_node']:,.0f}" if "bytes_per_node" in result else result.get("error", "?")


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; load average at start {load}"


def targets(report):
    """Bullet lines: each measured ratio against micrograd beside the goal it was built for."""
    goals = {"default": 3.0, "off": 1.5}

    def line(what, speedup, goal):
        return f"- {what}: {speedup:.3f}× micrograd (goal ≥ {goal}×: {'met' if speedup >= goal else 'missed'})"

    lines = []
    for title, mode, timings in report["speed"]:
        if "micrograd" in timings:
            speedup = timings["micrograd"].median / timings["micrograd_id"].median
            lines.append(line(f"{title.split(',')[0]}, GC {mode}, time", speedup, goals[mode]))
    counts = report.get("instructions", {})
    for case, title in INSTRUCTION_CASES.items():
        ours, theirs = counts.get((case, "micrograd_id")), counts.get((case, "micrograd"))
        if ours and theirs:
            lines.append(line(f"{title.split(',')[0]}, instructions (GC off, one collect)", theirs / ours,
                              goals["off"]))
    memories = report["memories"]
    if ("micrograd", "off", "traced") in memories:
        ours, theirs = memories["micrograd_id", "off", "traced"], memories["micrograd", "off", "traced"]
        if "bytes_per_node" in ours and "bytes_per_node" in theirs:
            share = ours["bytes_per_node"] / theirs["bytes_per_node"]
            lines.append(f"- Bytes per node: {share:.2f}× micrograd's (goal ≤ 0.5×: "
                         f"{'met' if share <= 0.5 else 'missed'})")
    return lines


def markdown(report):
    """docs/benchmarks.md from the measurements."""
    s = report["settings"]
    libs = report["names"]
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `benchmarks/run.py` (`make bench`) on {report['date']}. Do not edit: run it again.",
        "",
        f"- Machine: {report['machine']}",
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        "- Libraries: " + ", ".join(f"{n} {v}" for n, v in report["versions"].items()),
        f"- Run time: {report['seconds']:.0f} s",
        "",
        "The machine is shared, so absolute times are noise; the libraries run interleaved in the same",
        "process, block after block, and the **ratios** are what to read. A ratio is the other library's",
        "time divided by micrograd_id's: above 1, micrograd_id is faster. Each cell is the median over",
        f"{s['repeats']} blocks of about {s['block_seconds']} s ({s['train_repeats']} runs for training); the",
        "ratio of the minima follows in brackets. *GC default* is Python's garbage collector as users have it;",
        "*GC off* is `gc.disable()` around each block (a `gc.collect()` precedes every block in both modes).",
        "PyTorch runs as 0-d float64 tensors driven by Python loops, the way scalar autodiff is written.",
        "Importing PyTorch puts some 145,000 objects on the heap, which every full collection walks: that",
        "makes *GC default* slower for every library here than in a process without it.",
        "",
        "## Against the targets",
        "",
        *targets(report),
        "",
        "## Speed (benchmarks 1-3)",
        "",
        "| case | GC | " + " | ".join(f"{n} ms" for n in libs) + " | " + " | ".join(
            f"{n} / micrograd_id" for n in libs if n != "micrograd_id") + " |",
        "|---|---|" + "---:|" * (2 * len(libs) - 1),
    ]
    for title, mode, timings in report["speed"]:
        ours = timings["micrograd_id"]
        lines.append(f"| {title} | {mode} | " + " | ".join(ms(timings[n].median) for n in libs) + " | " +
                     " | ".join(ratio(timings[n], ours) for n in libs if n != "micrograd_id") + " |")
    lines += ["", "## Compiled graphs (`micrograd_id.compiled`)", "",
              "The same cases with the graph recorded once and replayed by `compile_graph` as straight-line",
              "Python: on floats (benchmarks 1 and 3) or on numpy arrays holding the whole batch (benchmark 2).",
              "Ratios are each contender's time divided by the compiled step's.", "",
              "| case | GC | " + " | ".join(f"{n} ms" for n in [*libs, "compiled"]) + " | ratios |",
              "|---|---|" + "---:|" * (len(libs) + 1) + "---|"]
    for title, mode, timings in report["compiled"]:
        fast = timings.get("compiled") or timings.get("numpy batch")
        lines.append(f"| {title} | {mode} | " + " | ".join(ms(t.median) for t in timings.values()) + " | " +
                     ", ".join(f"{n} {t.median / fast.median:.1f}×" for n, t in timings.items() if t is not fast)
                     + " |")
    seconds, one = report["compile_time"]
    lines += ["", f"Compiling benchmark 1's graph took {seconds * 1e3:.0f} ms, {seconds / one:.1f}× one interpreted "
              "forward + backward of it."]
    lines += ["", "Before timing, every case ran once in each library and gave the same numbers "
              "(loss, every gradient, the training losses of every step); largest relative difference "
              "from micrograd_id:", ""]
    lines += [f"- {title}: {difference:.1e}" for title, difference in report["checks"]]
    lines += [f"- micrograd_id's dE/dw for the identity network against eq. (6): {report['eq6']:.1e}"]
    lines += ["", f"## Chain of {s['chain_depth']:,} ops (benchmark 4)", "",
              "`v = v + x` repeated: the deepest graph there is. Each library in a fresh subprocess.", "",
              "| library | GC | build s | backward s | outcome |", "|---|---|---:|---:|---|"]
    for (name, mode), r in report["chains"].items():
        build = f"{r['build']:.2f}" if "build" in r else "-"
        backward = f"{r['backward']:.2f}" if r.get("backward") is not None else "-"
        outcome = ("gradient correct" if r.get("correct") else "WRONG gradient") if r.get("backward") is not None \
            else r.get("error", "?")
        lines.append(f"| {name} | {mode} | {build} | {backward} | {outcome} |")
    lines += ["", f"Largest chain whose backward works (searched up to {s['depth_cap']:,}, default recursion limit "
              f"{sys.getrecursionlimit()}):", ""]
    lines += [f"- {name}: {depth_text(r)}" for name, r in report["depths"].items()]
    lines += ["", "## Memory per graph node (benchmark 5)", "",
              f"A chain of {s['memory_nodes']:,} `+` nodes held alive; bytes per node by tracemalloc (Python's",
              "heap) and by resident memory (every heap: PyTorch keeps its graph in C++, where tracemalloc",
              "does not look).", "",
              "| library | GC | tracemalloc B/node | RSS B/node |", "|---|---|---:|---:|"]
    for name in libs:
        for mode in GC_MODES:
            m = report["memories"]
            lines.append(f"| {name} | {mode} | {bytes_text(m[name, mode, 'traced'])} | "
                         f"{bytes_text(m[name, mode, 'rss'])} |")
    lines += ["", "## What create_graph and detect_anomaly cost (micrograd_id, benchmark 1's graph)", "",
              "Ratios are to *forward + backward()* in the same GC mode. *Engine without the mode check* is",
              "the engine's own `_result` recompiled with its `if _mode.get():` statement removed: the",
              "counterfactual for what no_grad and detect_anomaly cost while both are off: one context-variable",
              "read per op (about 280 of 4,800 instructions for a `*`), which detect_anomaly adds nothing to.", "",
              "| variant | " + " | ".join(f"GC {m} ms | ratio" for m in GC_MODES) + " |",
              "|---|" + "---:|---:|" * len(GC_MODES)]
    for variant in report["modes"]["default"]:
        cells = []
        for mode in GC_MODES:
            t = report["modes"][mode][variant]
            base = report["modes"][mode]["forward + backward()"]
            cells.append(f"{ms(t.median)} | {t.median / base.median:.2f}")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    if report.get("instructions"):
        counts = report["instructions"]
        lines += ["", "## Instructions per step (valgrind callgrind)", "",
                  "Instructions executed, not seconds: the count does not change when other work shares the",
                  "machine, so this ratio is the steady one to set beside the timings above (it cannot see",
                  "cache misses or repeated collections, which the timings include). The N steps run with the",
                  "GC off and are followed by one `gc.collect()`, so each library also pays once for freeing",
                  "what it made (micrograd's graphs are cycles that only the collector frees; with the GC off",
                  "the timings never charge it for that). Each count is a run of N steps minus a run of none,",
                  "divided by N, with a fixed hash seed and one BLAS thread so that it repeats exactly.", "",
                  "| case | N | micrograd_id | micrograd | micrograd / micrograd_id |", "|---|---:|---:|---:|---:|"]
        for case, title in INSTRUCTION_CASES.items():
            ours, theirs = counts.get((case, "micrograd_id")), counts.get((case, "micrograd"))
            if ours and theirs:
                lines.append(f"| {title} | {s['instruction_steps'][case]:,} | {ours:,.0f} | {theirs:,.0f} | "
                             f"{theirs / ours:.2f}× |")
    if report.get("renders"):
        lines += ["", "## Rendering to PNG (`micrograd_id.viz.render`, Graphviz dot)", "",
                  "Layout, not autodiff, is the cost of a picture. Median of "
                  f"{s['render_repeats']} renders, each a fresh `dot` process.", "",
                  "| view | Values in the graph | seconds |", "|---|---:|---:|"]
        lines += [f"| {view} | {values:,} | {t.median:.2f} |" for view, (values, t) in report["renders"].items()]
    if report.get("memory_run"):
        lines += ["", f"## Long run with the GC off ({s['memory_steps']:,} steps, `benchmarks/memory.py`)", "",
                  "```"] + report["memory_run"] + ["```"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small repeats and sizes; prints, writes nothing")
    parser.add_argument("--out", type=Path, default=DOC, help=f"the Markdown report of a full run (default {DOC})")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.worker)
        return 0

    started = time.perf_counter()
    settings = SETTINGS["quick" if args.quick else "full"]
    libs, missing = contenders.load(LIBRARIES)
    if "micrograd_id" not in libs:
        parser.error("micrograd_id does not import: run from the repository after `make setup`")
    for name, why in missing.items():
        print(f"{name}: {why}; left out", file=sys.stderr)

    def log(line):
        print(line, flush=True)

    log(machine())
    report = {"settings": settings, "names": list(libs), "machine": machine(),
              "versions": {name: lib.version for name, lib in libs.items()},
              "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}
    report["speed"], report["checks"] = speed_cases(libs, settings, log)
    report["eq6"] = identity_matches_eq6()
    report["compiled"], report["compile_time"] = compiled_cases.compiled_cases(libs, settings, log)
    report["chains"], report["depths"], report["memories"] = chain_cases(list(libs), settings, log)
    report["modes"] = engine_mode_cases(settings, log)
    report["renders"] = render_cases(settings, log)
    report["instructions"] = instruction_cases(list(libs), settings, log)
    rows = memory.measure(settings["memory_steps"], cap_mb=200)
    report["memory_run"] = memory.table(rows) + [""] + memory.summary(rows, settings["memory_steps"])
    log("\n".join(report["memory_run"]))
    log("\n".join(["Against the targets:"] + targets(report)))
    report["seconds"] = time.perf_counter() - started
    log(f"done in {report['seconds']:.0f} s")
    if not args.quick:
        from micrograd_id._files import write_atomic

        args.out.parent.mkdir(parents=True, exist_ok=True)
        log(f"wrote {write_atomic(args.out, markdown(report))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
