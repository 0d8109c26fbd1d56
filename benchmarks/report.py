"""The report: log lines while the run goes, and docs/benchmarks.md at the end."""

import os
import platform
import sys


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


def _all_timings(report):
    for rows in (report["speed"], report["compiled"]):
        for _, _, timings in rows:
            yield from timings.values()
    for rows in report.get("training", {}).values():
        for _, timings in rows:
            yield from timings.values()


def noise(report):
    """(median, largest) spread of the timed blocks over every timed cell: how much the machine moved."""
    spreads = sorted(t.spread() for t in _all_timings(report) if len(t.samples) > 1)
    return (spreads[len(spreads) // 2], spreads[-1]) if spreads else (0.0, 0.0)


# The contenders' names, defined here once; the other benchmark modules import them:
# COMPILED, the compiled step every ratio divides by; TORCH, torch.nn.Sequential; BY_HAND, the network in numpy.
COMPILED, TORCH, BY_HAND = "compiled", "torch nn.Sequential", "numpy by hand"


def training_headline(report):
    """(what, ratio) for the training step: torch over compiled, compiled over numpy by hand, per batch and GC mode."""
    lines = []
    for mode in report["gc_modes"]:
        for n, rows in report.get("training", {}).items():
            timings = dict(rows)[mode]
            compiled = timings[COMPILED]
            if TORCH in timings:
                lines.append((f"Training step, batch {n}, GC {mode}: torch nn.Sequential / compiled",
                              timings[TORCH].median / compiled.median))
            lines.append((f"Training step, batch {n}, GC {mode}: compiled / numpy by hand",
                          compiled.median / timings[BY_HAND].median))
    return lines


def headline(report):
    """The few ratios a reader asks for first, as (what, ratio) pairs."""
    lines = []
    for title, mode, timings in report["speed"]:
        if "micrograd" in timings:
            lines.append((f"{title.split(',')[0]}, GC {mode}: micrograd / micrograd_id",
                          timings["micrograd"].median / timings["micrograd_id"].median))
    for title, mode, timings in report["compiled"]:
        fast = timings[COMPILED]
        if "micrograd" in timings:
            lines.append((f"{title}, GC {mode}: micrograd / compiled", timings["micrograd"].median / fast.median))
    compiling, one, _ = report["compile_time"]
    lines.append(("compile_graph of benchmark 1's graph / one interpreted forward + backward",
                  compiling.median / one.median))
    return lines + training_headline(report)


def fit_text(report):
    fitted, last = report["fit"]
    return (f"fit(compiled=True), 100 two-moons samples, 100 epochs (compile time included): "
            f"{fitted.median:.2f} s CPU (min {fitted.min:.2f} s); last epoch: loss {last['loss']:.2e}, "
            f"accuracy {last['accuracy']:.2f}")


def summary(report):
    low, high = noise(report)
    return (["Ratios:"] + [f"  {what}: {value:.2f}×" for what, value in headline(report)] + [fit_text(report)]
            + [f"Noise: timed blocks of one cell spread by {low:.0%} of their median (median cell), "
               f"{high:.0%} at most"])


def training_markdown(report):
    """The training-step section: every contender at every batch size, ratios side by side."""
    batches = list(report.get("training", {}))
    if not batches:
        return []
    lines = ["", "## Speed: a training step at batch " + ", ".join(map(str, batches)), "",
             "One SGD step (zero the gradients, forward, mean hinge loss, backward, update) of the",
             "2-16-16-1 MLP on two-moons samples, from the same weights in every contender (their losses",
             "before and after a step agree, see the checks below):", "",
             "- *compiled*: the step of `fit(compiled=True)`: `compile_graph` of one sample's loss (x and y",
             "  its inputs), called on the batch's columns as numpy arrays, each layer one matrix product; the",
             "  parameters stay in one array that `SGD.update` moves (with `losses.hinge`, which takes its",
             "  label as a number only, fit records a graph per label and the step takes twice as long);",
             "- *torch nn.Sequential*: PyTorch in float64 with `torch.optim.SGD`, the batch as one tensor;",
             "- *numpy by hand*: the network and its backward pass written out in numpy, one matrix product",
             "  per layer and direction: the practical limit of Python with numpy;",
             "- *micrograd_id* (the interpreted engine) and *micrograd* 0.1.0: a graph of scalar Values.",
             "  micrograd's backward sorts the graph by recursion, one frame per node on the longest path,",
             "  and the sum of 1000 losses is a chain of 1000 additions: at batch 1000 it raises",
             "  RecursionError at Python's default limit, so it runs with the limit raised, as a user would.", "",
             "Each cell is the median time of a step and, after ÷, that time over the compiled step's",
             "(above 1: the compiled step is faster). At batch 1000, where one step of the Value libraries",
             f"takes seconds, {report['settings']['slow_repeats']} blocks instead of "
             f"{report['settings']['repeats']}.", ""]
    for mode in report["gc_modes"]:
        columns = {n: dict(report["training"][n])[mode] for n in batches}
        names = list(columns[batches[0]])
        header = " | ".join(f"batch {n} ms | ÷ compiled" for n in batches)
        lines += [f"GC {mode}:", "", f"| contender | {header} |", "|---|" + "---:|---:|" * len(batches)]
        for name in names:
            cells = []
            for n in batches:
                t, fast = columns[n][name], columns[n][COMPILED]
                cells.append(f"{ms(t.median)} | {t.median / fast.median:.2f}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [f"{fit_text(report)}.", ""]
    return lines


def markdown(report):
    """docs/benchmarks.md from the measurements."""
    s = report["settings"]
    libs = report["names"]
    modes = report["gc_modes"]
    low, high = noise(report)
    load_end = report.get("load_end")
    kind = ("a **`--quick` run** (few, short blocks and small sizes: rougher numbers than `make bench`)"
            if report.get("quick") else "a full run of `make bench`")
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `benchmarks/run.py` on {report['date']}, {kind}. Do not edit: run it again.",
        "",
        f"- Machine: {report['machine']}"
        + (f"; at the end {', '.join(f'{x:.2f}' for x in load_end)}" if load_end else ""),
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        "- Libraries: " + ", ".join(f"{n} {v}" for n, v in report["versions"].items()),
        f"- Run time: {report['seconds']:.0f} s",
        "",
        "## How to read these numbers",
        "",
        "Each case does the same work in every library, with the same weights and the same data, and",
        "every library's numbers were checked against micrograd_id's before anything was timed (the",
        "differences are listed at the end of the speed section). The libraries run interleaved in one",
        f"process: a block of calls of one, then of the next, {s['repeats']} blocks each of about "
        f"{s['block_seconds']} s",
        "(at least one call); a cell is the median time per step over its blocks. Times are CPU time of",
        "the process (`time.process_time`), so moments when other work had the processor are not counted.",
        "",
        "A **ratio** is one contender's time divided by another's, measured side by side: 5× means",
        "five times faster. Read the ratios, not the milliseconds: the machine is shared with other",
        "work, so absolute times move from run to run while the libraries, interleaved, are slowed",
        "alike. The ratio of the fastest blocks (*min*) is given beside the median one; where the two",
        "differ much, the load changed during the case.",
        "",
        f"**How noisy this run was**: within one cell the slowest block took {low:.0%} longer than the",
        f"fastest (the median over cells), and {high:.0%} at worst. Ratios moving by less than that",
        "between runs are noise. The instruction counts further down do not depend on the load at all.",
        "",
        "*GC default* is Python's garbage collector as every user has it; *GC off* is `gc.disable()`",
        "around each block (both modes start each block from a `gc.collect()`). The difference is large",
        "for micrograd: its backward closures hold their output node, so its graphs are reference",
        "cycles that only the collector frees, while micrograd_id's are freed at once by reference",
        "counting (micrograd_id's `train` and `fit` pause the collector for their loops for that reason).",
        "Importing PyTorch puts some 145,000 objects on the heap, which every full collection would",
        "walk, slowing every library for torch merely being loaded; so the run calls `gc.freeze()` right",
        "after the imports, which moves every object alive then out of the collector's sight.",
        "",
        "## The cases",
        "",
        "1. **MLP 2-16-16-1, batch of 8**: zero the gradients, forward 8 fixed samples through a",
        "   2-16-16-1 ReLU network (337 parameters), sum the squared errors, backward.",
        "2. **Identity network**: one weight, ŷ = sigmoid(w·x), E = ½(ŷ − y)², forward and backward, in",
        "   each library's plain scalar ops (micrograd has no module for it).",
        "3. **Training step**: one SGD step of the same MLP on a batch of "
        + ", ".join(map(str, s["batches"])) + " two-moons samples",
        "   with the mean hinge loss (micrograd's demo), in every way a user could write it (below).",
        "",
        "PyTorch (*torch*) runs the first two in the scalar style: 0-d float64 tensors in Python loops,",
        "the very ops of micrograd's neurons. That is the per-op cost compared there. The compiled and",
        "training sections add the PyTorch a user would switch to for speed: `torch.nn.Sequential` on",
        "the whole batch as one float64 tensor. PyTorch runs on one thread (`torch.set_num_threads(1)`),",
        "like the Python libraries: on this shared machine its worker threads only waited for each other",
        "(a two-moons step once took some 15× longer on two threads than on one).",
        "",
        "## In short",
        "",
        *[f"- {what}: **{value:.2f}×**" for what, value in headline(report)],
        f"- {fit_text(report)}",
        "",
        "## Speed: the interpreted engine",
        "",
        "Time per step; the ratio columns are the other library's time over micrograd_id's.",
        "",
        "| case | GC | " + " | ".join(f"{n} ms" for n in libs) + " | " + " | ".join(
            f"{n} / micrograd_id" for n in libs if n != "micrograd_id") + " |",
        "|---|---|" + "---:|" * (2 * len(libs) - 1),
    ]
    for title, mode, timings in report["speed"]:
        ours = timings["micrograd_id"]
        lines.append(f"| {title} | {mode} | " + " | ".join(ms(timings[n].median) for n in libs) + " | " +
                     " | ".join(ratio(timings[n], ours) for n in libs if n != "micrograd_id") + " |")
    compiling, one, source_lines = report["compile_time"]
    lines += ["", "## Speed: compiled graphs (`micrograd_id.compiled`)", "",
              "`compile_graph` records a graph once and writes it out as straight-line Python; a step is",
              "then one call of that function, here on floats (cases 1 and 2; on arrays in the training",
              "section below). *torch nn.Sequential* is the vectorised PyTorch model with the same",
              "weights. The last column is each contender's time over the compiled step's: above 1, the",
              "compiled graph is faster.", "",
              "| case | GC | contender | ms | its time / compiled |", "|---|---|---|---:|---:|"]
    for title, mode, timings in report["compiled"]:
        fast = timings[COMPILED]
        for name, t in timings.items():
            lines.append(f"| {title} | {mode} | {name} | {ms(t.median)} | "
                         + ("1 (the compiled step)" if t is fast else ratio(t, fast)) + " |")
    lines += training_markdown(report)
    lines += ["", f"Compiling case 1's graph (`compile_graph`, {source_lines:,} lines of source) took "
              f"{compiling.median * 1e3:.0f} ms, {compiling.median / one.median:.1f}× one interpreted forward + "
              f"backward of it ({ms(one.median)} ms, the two interleaved, GC default): it pays for itself after",
              f"about {compiling.median / one.median:.0f} steps.", ""]
    lines += ["Before timing, every case ran in each library and gave the same numbers (loss, every gradient,",
              "the training losses of every step); largest relative difference from micrograd_id:", ""]
    lines += [f"- {title}: {difference:.1e}" for title, difference in report["checks"]]
    lines += [f"- micrograd_id's dE/dw for the identity network against eq. (6): {report['eq6']:.1e}"]
    lines += ["", f"## Chain of {s['chain_depth']:,} ops", "",
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
    lines += ["", "## Memory per graph node", "",
              f"A chain of {s['memory_nodes']:,} `+` nodes held alive; bytes per node by tracemalloc (Python's",
              "heap) and by resident memory (every heap: PyTorch keeps its graph in C++, where tracemalloc",
              "does not look).", "",
              "| library | GC | tracemalloc B/node | RSS B/node |", "|---|---|---:|---:|"]
    for name in libs:
        for mode in modes:
            m = report["memories"]
            lines.append(f"| {name} | {mode} | {bytes_text(m[name, mode, 'traced'])} | "
                         f"{bytes_text(m[name, mode, 'rss'])} |")
    lines += ["", "## What create_graph and detect_anomaly cost (micrograd_id, case 1's graph)", "",
              "Ratios are to *forward + backward()* in the same GC mode.", "",
              "| variant | " + " | ".join(f"GC {m} ms | ratio" for m in modes) + " |",
              "|---|" + "---:|---:|" * len(modes)]
    for variant in report["modes"]["default"]:
        cells = []
        for mode in modes:
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
                  "what it made. Each count is a run of N steps minus a run of none, divided by N, with a",
                  "fixed hash seed and one BLAS thread so that it repeats exactly.", "",
                  "| case | N | micrograd_id | micrograd | micrograd / micrograd_id |", "|---|---:|---:|---:|---:|"]
        for case, title in report["instruction_titles"].items():
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
                  "The identity network trained online with the collector off: what memory each library",
                  "keeps.", "", "```"] + report["memory_run"] + ["```"]
    return "\n".join(lines) + "\n"
