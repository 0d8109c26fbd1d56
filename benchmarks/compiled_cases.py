"""Compiled graphs (micrograd_id.compiled) against micrograd, the interpreted engine and PyTorch.

The graph of each case is recorded and compiled once; a step is then one call
of the compiled function: on floats (the MLP batch of 8, the identity net) or
on numpy arrays holding the whole batch (two moons, 100 samples), which is
what a user of scalar autodiff can switch to without leaving Python.
"""

import time

import contenders
import run

from micrograd_id.compiled import compile_graph


def _mlp_graph(weights):
    """(compiled graph, parameter values) for benchmark 1: the loss over 8 samples, x baked in."""
    lib = contenders.MicrogradId()
    model, params = lib.mlp(weights)
    X, Y = run.batch_data()
    loss = contenders.chain_sum([(model(x) - y) ** 2 for x, y in zip(X, Y)])
    return loss, params


def _moons_graph(weights):
    """(compiled graph, parameters, x0, x1, y) for benchmark 2's loss, one sample recorded, run on arrays."""
    import numpy as np

    from micrograd_id import Value

    lib = contenders.MicrogradId()
    model, params = lib.mlp(weights)
    x0, x1, y = Value(0.0, label="x0"), Value(0.0, label="x1"), Value(1.0, label="y")
    margin = (1 + -y * model([x0, x1])).relu()
    X, Y = run.two_moons()
    graph = compile_graph(margin, params + [x0, x1, y], wrt=params)
    return graph, params, np.array(X)[:, 0], np.array(X)[:, 1], np.array(Y)


def compiled_cases(libs, settings, log):
    """[(title, mode, {name: Timing})] with the compiled rows, and the compile-time ratio."""
    weights = contenders.reference_weights()
    rows = []

    loss, params = _mlp_graph(weights)
    start = time.perf_counter()
    graph = compile_graph(loss, params)
    compile_seconds = time.perf_counter() - start
    values = [p.data for p in params]
    fns = {name: run.mlp_batch_case(lib, weights) for name, lib in libs.items()}
    fns["compiled"] = lambda: graph(*values)
    rows += _timed(f"{run.MLP_TITLE}, compiled", fns, settings, log)

    moons, mparams, x0, x1, y = _moons_graph(weights)
    scale = 1.0 / len(y)

    def moons_step():  # the same full-batch SGD step as benchmark 2, on numpy arrays
        value, grads = moons(*[p.data for p in mparams], x0, x1, y)
        for p, g in zip(mparams, grads):
            p.data -= run.LEARNING_RATE * g * scale
        return value.sum() * scale

    fns = {name: run.training_case(lib, weights) for name, lib in libs.items()}
    fns["numpy batch"] = moons_step
    rows += _timed(f"2. Training: {run.MOONS} two-moons samples, one SGD step, numpy batch", fns, settings, log)

    from micrograd_id import Value

    identity = {name: run.identity_case(lib) for name, lib in libs.items()}
    wv, xv, yv = Value(0.3), Value(1.0), Value(1.0)
    E = 0.5 * ((wv * xv).sigmoid() - yv) ** 2
    cg = compile_graph(E, [wv, xv, yv], wrt=[wv])
    identity["compiled"] = lambda: cg(0.3, 1.0, 1.0)
    rows += _timed(f"{run.IDENTITY_TITLE}, compiled", identity, settings, log)

    interpreted = {"interpreted": run.mlp_batch_case(libs["micrograd_id"], weights)}
    one = run.time_interleaved(interpreted, False, settings["repeats"], settings["block_seconds"])["interpreted"]
    log(f"compile time of benchmark 1's graph: {compile_seconds * 1e3:.0f} ms = "
        f"{compile_seconds / one.median:.1f}× one interpreted forward + backward ({one.median * 1e3:.2f} ms)")
    return rows, (compile_seconds, one.median)


def _timed(title, fns, settings, log):
    rows = []
    for mode in run.GC_MODES:
        timings = run.time_interleaved(fns, mode == "off", settings["repeats"], settings["block_seconds"])
        fast = timings.get("compiled") or timings.get("numpy batch")
        ratios = ", ".join(f"{name} / compiled {t.median / fast.median:.1f}×" for name, t in timings.items()
                           if t is not fast)
        log(f"{title} | GC {mode}: " + ", ".join(f"{n} {run.ms(t.median)} ms" for n, t in timings.items())
            + " | " + ratios)
        rows.append((title, mode, timings))
    return rows
