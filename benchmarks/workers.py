"""Work that runs in a fresh interpreter: chains (depth, time, memory) and instruction counts.

Each job is started as ``run.py --worker SPEC`` and prints its result as the
last JSON line, so a crash (a stack overflow in a deep backward) still
reports where it happened.
"""

import gc
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import cases
import contenders
import memory
import report

RUN = Path(__file__).with_name("run.py")
GC_MODES = cases.GC_MODES


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
    step = {"mlp": lambda: cases.mlp_batch_case(lib, weights), "identity": lambda: cases.identity_case(lib)}[case]()
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
    command = [sys.executable, str(RUN), "--worker", json.dumps({"job": job, "library": library, **kwargs})]
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
            log(f"chain {depth:,} {name:<13} GC {mode:<7} {report.chain_text(result)}")
    depths = {}
    for name in names:
        depths[name] = result = in_subprocess("depth", name, cap=settings["depth_cap"])
        log(f"max depth {name:<13} {report.depth_text(result)}")
    memories = {}
    for name in names:
        for mode in GC_MODES:
            for method in ("traced", "rss"):
                memories[name, mode, method] = result = in_subprocess(
                    "memory", name, nodes=settings["memory_nodes"], gc_off=mode == "off", method=method)
                log(f"bytes/node {name:<13} GC {mode:<7} {method:<6} {report.bytes_text(result)}")
    return chains, depths, memories


# ----- instructions: ratios that no other load on the machine can move -------------------------

INSTRUCTION_CASES = cases.INSTRUCTION_CASES


def callgrind_instructions(library, case, steps):
    """Instructions the whole worker process executes (valgrind's callgrind), or None if it failed."""
    spec = json.dumps({"job": "steps", "library": library, "case": case, "steps": steps})
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, str(RUN),
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
