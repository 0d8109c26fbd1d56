"""Speed and memory of micrograd_id against micrograd 0.1.0 and PyTorch: one command, every case.

    .venv/bin/python benchmarks/run.py           # full run (`make bench`); writes docs/benchmarks.md
    .venv/bin/python benchmarks/run.py --quick   # small repeats and sizes; prints only

The cases are in cases.py (timed in this process), compiled_cases.py
(compiled graphs on floats) and training_cases.py (a training step at three
batch sizes, against PyTorch and numpy), the subprocess jobs in workers.py
(chains, memory, instruction counts), the text in report.py. Every timed
case runs twice: with Python's default garbage collector (what users get)
and with it off (the raw cost of the ops).
"""

import argparse
import datetime
import pickle
import sys
import time
from pathlib import Path

import cases
import compiled_cases
import contenders
import memory
import report
import training_cases
import workers

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
LIBRARIES = ("micrograd_id", "micrograd", "torch")
SETTINGS = {
    "full": dict(repeats=7, block_seconds=0.25, batches=training_cases.BATCHES, slow_repeats=3, fit_repeats=5,
                 chain_depth=1_000_000, depth_cap=1_000_000, memory_nodes=200_000, memory_steps=100_000, render_repeats=3,
                 instruction_steps={"mlp": 10, "identity": 5000}),
    "quick": dict(repeats=2, block_seconds=0.05, batches=(8, 100), slow_repeats=1, fit_repeats=1,
                  chain_depth=100_000, depth_cap=100_000, memory_nodes=50_000, memory_steps=10_000, render_repeats=1,
                  instruction_steps={"mlp": 2, "identity": 500}),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small repeats and sizes; prints, and writes only an --out given")
    parser.add_argument("--out", type=Path, default=DOC, help=f"the Markdown report of a full run (default {DOC})")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        workers.run_worker(args.worker)
        return 0

    started = time.perf_counter()
    settings = SETTINGS["quick" if args.quick else "full"]
    libs, missing = contenders.load(LIBRARIES)
    if "micrograd_id" not in libs:
        parser.error("micrograd_id does not import: run from the repository after `make setup`")
    for name, why in missing.items():
        print(f"{name}: {why}; left out", file=sys.stderr)
    # Importing torch leaves some 145,000 objects on the heap, which every full collection would walk,
    # taxing the other libraries for torch being loaded: move them out of the collector's sight.
    import gc

    gc.collect()
    gc.freeze()

    def log(line):
        print(line, flush=True)

    import os

    log(report.machine())
    results = {"settings": settings, "names": list(libs), "machine": report.machine(),
               "gc_modes": cases.GC_MODES, "quick": args.quick,
               "instruction_titles": cases.INSTRUCTION_CASES,
               "versions": {name: lib.version for name, lib in libs.items()},
               "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}
    results["training"], training_checks, results["fit"] = training_cases.training_cases(libs, settings, log)
    results["speed"], speed_checks = cases.speed_cases(libs, settings, log)
    results["eq6"] = cases.identity_matches_eq6()
    results["compiled"], compiled_checks, results["compile_time"] = compiled_cases.compiled_cases(libs, settings, log)
    results["checks"] = speed_checks + compiled_checks + training_checks
    results["chains"], results["depths"], results["memories"] = workers.chain_cases(list(libs), settings, log)
    results["modes"] = cases.engine_mode_cases(settings, log)
    results["renders"] = cases.render_cases(settings, log)
    results["instructions"] = workers.instruction_cases(list(libs), settings, log)
    rows = memory.measure(settings["memory_steps"], cap_mb=200)
    results["memory_run"] = memory.table(rows) + [""] + memory.summary(rows, settings["memory_steps"])
    log("\n".join(results["memory_run"]))
    results["load_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    results["seconds"] = time.perf_counter() - started
    log("\n".join(report.summary(results)))
    log(f"done in {results['seconds']:.0f} s")
    with open(ROOT / "out" / "bench-results.pickle" if (ROOT / "out").is_dir() else "/dev/null", "wb") as f:
        pickle.dump(results, f)  # to write the report again without measuring again
    if not args.quick or args.out != DOC:
        from micrograd_id._files import write_atomic

        args.out.parent.mkdir(parents=True, exist_ok=True)
        log(f"wrote {write_atomic(args.out, report.markdown(results))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
