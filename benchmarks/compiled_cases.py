"""Compiled graphs (micrograd_id.compiled) on floats against micrograd, the interpreted engine and PyTorch.

The graph of each case is recorded and compiled once; a step is then one call
of the compiled function on floats (the MLP batch of 8 with its samples baked
in, the identity network). Beside the MLP runs the vectorised PyTorch a user
would switch to instead: the same weights in a float64 ``torch.nn.Sequential``,
the whole batch as one tensor. (Compiled graphs on arrays, in training, are
in training_cases.py.)
"""

import cases
import contenders
from report import COMPILED as FAST  # the contender the ratios divide by
from report import TORCH as SEQUENTIAL

from micrograd_id.compiled import compile_graph


def _mlp_graph(weights):
    """(loss, parameters) of benchmark 1: the loss over 8 samples, recorded once, x baked in."""
    lib = contenders.MicrogradId()
    model, params = lib.mlp(weights)
    X, Y = cases.batch_data()
    loss = contenders.chain_sum([(model(x) - y) ** 2 for x, y in zip(X, Y)])
    return loss, params


def sequential_mlp_batch(torch, weights):
    """Benchmark 1 in torch.nn.Sequential: the 8 samples as one (8, 2) tensor; loss and every gradient."""
    model = contenders.torch_sequential(torch, weights)
    X, Y = cases.batch_data()
    X, Y = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
    params = list(model.parameters())

    def step():
        model.zero_grad(set_to_none=True)
        loss = ((model(X).squeeze(1) - Y) ** 2).sum()
        loss.backward()
        return loss

    def numbers():  # in the order of micrograd_id's parameters: per neuron its weights, then its bias
        loss = step()
        grads = []
        for weight, bias in zip(params[::2], params[1::2]):
            for row, b in zip(weight.grad.tolist(), bias.grad.tolist()):
                grads += [*row, b]
        return [loss.item(), *grads]

    return step, numbers


def compiled_cases(libs, settings, log):
    """([(title, mode, {name: Timing})], checks, (compile Timing, interpreted step Timing))."""
    weights = contenders.reference_weights()
    torch = libs["torch"].torch if "torch" in libs else None
    rows, checks = [], []

    loss, params = _mlp_graph(weights)
    graph = compile_graph(loss, params)
    values = [p.data for p in params]
    fns = {name: cases.mlp_batch_case(lib, weights) for name, lib in libs.items()}
    fns[FAST] = lambda: graph(*values)
    numbers = {"micrograd_id": fns["micrograd_id"](), FAST: [graph(*values)[0], *graph(*values)[1]]}
    if torch is not None:
        fns[SEQUENTIAL], sequential_numbers = sequential_mlp_batch(torch, weights)
        numbers[SEQUENTIAL] = sequential_numbers()
    checks.append((f"{cases.MLP_TITLE}: compiled, {SEQUENTIAL}", cases.agreement(numbers)))
    rows += _timed(f"{cases.MLP_TITLE}, compiled", fns, settings, log)

    from micrograd_id import Value

    identity = {name: cases.identity_case(lib) for name, lib in libs.items()}
    wv, xv, yv = Value(0.3), Value(1.0), Value(1.0)
    E = 0.5 * ((wv * xv).sigmoid() - yv) ** 2
    cg = compile_graph(E, [wv, xv, yv], wrt=[wv])
    identity[FAST] = lambda: cg(0.3, 1.0, 1.0)
    rows += _timed(f"{cases.IDENTITY_TITLE}, compiled", identity, settings, log)

    # Compile time: compile_graph of benchmark 1's graph, interleaved with interpreted steps of it.
    both = {"compile_graph": lambda: compile_graph(loss, params),
            "interpreted": cases.mlp_batch_case(libs["micrograd_id"], weights)}
    timings = cases.time_interleaved(both, False, settings["repeats"], settings["block_seconds"])
    compiling, one = timings["compile_graph"], timings["interpreted"]
    log(f"compile time of benchmark 1's graph ({graph.source.count(chr(10)):,} lines): "
        f"{compiling.median * 1e3:.0f} ms = {compiling.median / one.median:.1f}× one interpreted "
        f"forward + backward ({one.median * 1e3:.2f} ms)")
    return rows, checks, (compiling, one, graph.source.count("\n"))


def _timed(title, fns, settings, log):
    """[(title, GC mode, {name: Timing})], logged with the ratios to one decimal."""
    timed = cases.time_against_compiled(title, fns, settings["repeats"], settings["block_seconds"], log, digits=1)
    return [(title, mode, timings) for mode, timings in timed]
