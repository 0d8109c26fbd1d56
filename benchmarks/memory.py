"""Memory over a long training run with the garbage collector off.

Trains the identity network (one weight) (y_hat = sigmoid(w*x), E = 1/2 (y_hat - x)**2,
x alternating 0, 1) for 100,000 online SGD steps with ``gc.disable()`` and
reports, at checkpoints, the memory Python's allocator still holds
(tracemalloc current and peak) and the process's resident memory (RSS).

micrograd_id frees each step's graph by reference counting, so its numbers
stay flat. micrograd 0.1.0 (``pip install micrograd==0.1.0``, the ``bench``
extra) stores the output node inside each backward closure, a reference cycle
per node, so with the GC off every graph stays: its run stops at --cap-mb of
traced memory, and a last row shows what gc.collect() gives back.

Each library runs in its own subprocess, so one's RSS does not include the
other's. RSS includes tracemalloc's own bookkeeping (a few dozen bytes per
live allocation), so a leaking run's RSS grows faster than its traced bytes.

    .venv/bin/python benchmarks/memory.py [--steps 100000] [--cap-mb 200]
"""

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tracemalloc

import contenders

LIBRARIES = ("micrograd_id", "micrograd")
LEARNING_RATE = 0.5
CAP_CHECK_EVERY = 1000  # steps between checks of the traced memory against --cap-mb


# ----- one training step per library ----------------------------------------------

def trainer(library):
    """step(x): forward, backward and an SGD update of the identity network in ``library``."""
    forward_backward, w = contenders.CONTENDERS[library]().identity_net(0.3)

    def step(x):
        forward_backward(x)
        w.data -= LEARNING_RATE * w.grad

    return step


# ----- measuring ----------------------------------------------------------------------

def resident_bytes():
    """Current resident set size; peak RSS from getrusage where /proc is absent."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def checkpoint(library, step, note=""):
    current, peak = tracemalloc.get_traced_memory()
    row = {"library": library, "step": step, "traced": current, "peak": peak,
           "rss": resident_bytes(), "note": note}
    print(json.dumps(row), flush=True)


def worker(library, steps, cap_bytes):
    """Train with the GC off; print one JSON row per checkpoint."""
    step = trainer(library)
    checkpoints = sorted({0, steps // 10, steps // 2, steps})
    gc.collect()
    gc.disable()
    tracemalloc.start()
    checkpoint(library, 0)
    for i in range(1, steps + 1):
        step(float(i % 2))
        if i in checkpoints:
            checkpoint(library, i)
        if i % CAP_CHECK_EVERY == 0 and tracemalloc.get_traced_memory()[0] > cap_bytes:
            checkpoint(library, i, note=f"stopped: over the {cap_bytes >> 20} MiB cap")
            break
    found = gc.collect()
    checkpoint(library, i, note=f"after gc.collect() ({found:,} objects in cycles)")


# ----- the table ---------------------------------------------------------------------

def run_library(library, steps, cap_mb):
    """The worker's rows for one library, or None when it is not installed."""
    command = [sys.executable, __file__, "--worker", library, "--steps", str(steps), "--cap-mb", str(cap_mb)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"{library}: not measured ({last})", file=sys.stderr)
        return None
    return [json.loads(line) for line in done.stdout.splitlines()]


def kib(n):
    return f"{n / 2**10:,.1f}"


def mib(n):
    return f"{n / 2**20:,.1f}"


def table(rows):
    """The checkpoints as fixed-width text lines."""
    lines = [f"{'library':<13} {'step':>8} {'traced KiB':>12} {'peak KiB':>12} {'RSS MiB':>8}  note"]
    for r in rows:
        lines.append(f"{r['library']:<13} {r['step']:>8,} {kib(r['traced']):>12} {kib(r['peak']):>12} "
                     f"{mib(r['rss']):>8}  {r['note']}".rstrip())
    return lines


def summary(rows, steps):
    """Per library: bytes kept per step from the first checkpoint after 0 to the last of the run."""
    lines = []
    for library in LIBRARIES:
        mine = [r for r in rows if r["library"] == library and not r["note"].startswith("after")]
        if len(mine) < 3:
            continue
        first, last = mine[1], mine[-1]
        per_step = (last["traced"] - first["traced"]) / max(1, last["step"] - first["step"])
        rss_growth = last["rss"] - first["rss"]
        lines.append(f"{library}: keeps {per_step:,.1f} B/step (traced) from step {first['step']:,} to "
                     f"{last['step']:,}; RSS grows {mib(rss_growth)} MiB; at this rate {steps:,} steps "
                     f"hold {mib(per_step * steps)} MiB")
    return lines


def measure(steps, cap_mb):
    """All checkpoint rows, each library measured in its own subprocess."""
    rows = []
    for library in LIBRARIES:
        rows += run_library(library, steps, cap_mb) or []
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000, help="training steps (default 100000)")
    parser.add_argument("--cap-mb", type=int, default=200,
                        help="stop a library's run once it holds this many MiB (default 200)")
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.cap_mb < 1:
        parser.error("--steps and --cap-mb must be positive")
    if args.worker:
        worker(args.worker, args.steps, args.cap_mb << 20)
        return 0
    print(f"{args.steps:,} SGD steps of the identity network, gc.disable(), tracemalloc on\n")
    rows = measure(args.steps, args.cap_mb)
    print("\n".join(table(rows) + [""] + summary(rows, args.steps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
