"""One training step of the 2-16-16-1 MLP at batch 8, 100 and 1000, in every way a user could write it.

A step is: zero the gradients, forward the batch of two-moons samples, the
mean hinge loss, backward, one SGD update of every parameter, all from the
same weights, so every contender computes the same losses step after step
(checked before timing). The contenders:

- *compiled*: the step of ``fit(compiled=True)``: micrograd_id's
  ``compile_graph`` of one sample's loss (x and y its inputs), replayed on
  the batch's columns as numpy arrays (a layer a matrix product), the
  parameters kept in one array that ``optim.SGD.update`` moves;
- *torch nn.Sequential*: the same network in PyTorch, float64, the batch as
  one tensor, ``torch.optim.SGD``: what a user switches to for speed;
- *numpy by hand*: the network and its backward pass written out in numpy,
  one matrix product per layer: the practical limit in Python;
- *micrograd_id* (the interpreted engine) and *micrograd* 0.1.0: a graph of
  scalar Values per step, as in micrograd's moons demo (micrograd with
  Python's recursion limit raised, which its backward needs at batch 1000).

Then ``fit(compiled=True)`` end to end: 100 two-moons samples, 100 epochs,
compile time included.
"""

import sys
import time

import cases
import contenders
from report import BY_HAND, COMPILED
from report import TORCH as SEQUENTIAL

BATCHES = (8, 100, 1000)
SLOW_BATCH = 1000  # from here a step of the Value libraries takes seconds: fewer blocks (settings["slow_repeats"])
TITLE = "Training step, MLP 2-16-16-1"
FIT_EPOCHS = 100


def interpreted_step(lib, weights, n):
    """micrograd_id's or micrograd's Values: step() builds the batch's graph, backward, SGD; returns the loss."""
    X, Y = cases.two_moons(n)
    scale = 1.0 / n
    model, params = lib.mlp(weights)
    sgd = lib.sgd(params, cases.LEARNING_RATE)

    def step():
        lib.zero_grad(params)
        margins = [(1 + -y * model(x)).relu() for x, y in zip(X, Y)]
        loss = contenders.chain_sum(margins) * scale
        loss.backward()
        sgd()
        return lib.data(loss)

    return step if lib.name != "micrograd" else with_recursion_limit(step, 2 * n + 1000)


def with_recursion_limit(step, limit):
    """step, run with Python's recursion limit raised to `limit`, as a micrograd user must for large batches.

    micrograd's backward sorts the graph by recursion, a frame per node on
    the longest path, and the sum of n losses is a chain of n additions: at
    batch 1000 that is deeper than Python's default limit of 1000 frames.
    """
    def deep_step():
        default = sys.getrecursionlimit()
        sys.setrecursionlimit(max(default, limit))
        try:
            return step()
        finally:
            sys.setrecursionlimit(default)

    return deep_step


def hinge_in_value_ops(score, y):
    """The hinge loss as the other contenders write it; y may be a Value, so one graph serves every label."""
    return (1 + -y * score).relu()


def compiled_step(weights, n):
    """fit(compiled=True)'s step: the compiled graph of one sample's hinge loss on the batch's columns, the
    parameters in one array that the optimiser's update() moves."""
    import numpy as np

    from micrograd_id.optim import SGD
    from micrograd_id.train_arrays import ArrayTraining

    model, params = contenders.MicrogradId().mlp(weights)
    X, Y = cases.two_moons(n)
    arrays = ArrayTraining(model, SGD(params, lr=cases.LEARNING_RATE), hinge_in_value_ops, X, Y, None)
    batch = np.arange(n)  # the rows, as fit() hands a minibatch over

    def step():
        loss, _ = arrays.forward_backward(batch)
        arrays.step()
        return loss / n

    return step


def sequential_step(torch, weights, n):
    """torch.nn.Sequential in float64 with torch.optim.SGD: the batch as one (n, 2) tensor."""
    model = contenders.torch_sequential(torch, weights)
    X, Y = cases.two_moons(n)
    X, Y = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
    sgd = torch.optim.SGD(model.parameters(), lr=cases.LEARNING_RATE)
    scale = 1.0 / n

    def step():
        sgd.zero_grad(set_to_none=True)
        loss = (1 + -Y * model(X).squeeze(1)).relu().sum() * scale
        loss.backward()
        sgd.step()
        return loss.detach()

    return step


def by_hand_step(weights, n):
    """The same network in numpy, forward and backward written out: one matrix product per layer and direction."""
    import numpy as np

    layers = [(np.array([ws for ws, _ in layer]), np.array([b for _, b in layer])) for layer in weights]
    X, Y = cases.two_moons(n)
    X, Y = np.array(X), np.array(Y)
    scale, lr = 1.0 / n, cases.LEARNING_RATE

    def step():
        inputs, sums, h = [], [], X
        for i, (W, b) in enumerate(layers):
            inputs.append(h)
            z = h @ W.T + b
            sums.append(z)
            h = np.maximum(z, 0.0) if i < len(layers) - 1 else z
        margin = 1.0 - Y * h[:, 0]
        dh = (-Y * (margin > 0.0) * scale)[:, None]  # d(mean hinge)/d(score)
        for i in reversed(range(len(layers))):
            W, b = layers[i]
            dz = dh if i == len(layers) - 1 else dh * (sums[i] > 0.0)
            dh = dz @ W
            layers[i] = (W - lr * (dz.T @ inputs[i]), b - lr * dz.sum(axis=0))
        return np.maximum(margin, 0.0).sum() * scale

    return step


def makers(libs, weights, n):
    """{contender: a function making a fresh step() for batch n} for what is installed."""
    made = {COMPILED: lambda: compiled_step(weights, n), BY_HAND: lambda: by_hand_step(weights, n)}
    if "torch" in libs:
        made[SEQUENTIAL] = lambda: sequential_step(libs["torch"].torch, weights, n)
    for name in ("micrograd_id", "micrograd"):
        if name in libs:
            made[name] = lambda lib=libs[name]: interpreted_step(lib, weights, n)
    return made


def losses_of(make, steps=2):
    """The losses of the first `steps` steps from the same start, as floats."""
    step = make()
    return [float(step()) for _ in range(steps)]


def fit_seconds(repeats):
    """CPU seconds of fit(compiled=True) on 100 two-moons samples for 100 epochs (median, min), its accuracy."""
    from micrograd_id.data import make_moons
    from micrograd_id.nn import MLP
    from micrograd_id.train import fit

    X, y = make_moons(100, noise=0.1, seed=0)
    samples = []
    for _ in range(repeats):
        model = MLP(*contenders.MLP_SIZES, seed=0)
        start = time.process_time()
        history = fit(model, X, y, epochs=FIT_EPOCHS, progress=False, compiled=True)
        samples.append(time.process_time() - start)
    return cases.Timing(samples), history.rows[-1]


def training_cases(libs, settings, log):
    """({batch: [(mode, {contender: Timing})]}, checks, (fit Timing, last row))."""
    weights = contenders.reference_weights()
    results, checks = {}, []
    for n in settings["batches"]:
        made = makers(libs, weights, n)
        check = {name: losses_of(make) for name, make in made.items()}
        checks.append((f"{TITLE}, batch {n}, the losses before and after a step: every contender",
                       cases.agreement(check)))
        steps = {name: make() for name, make in made.items()}
        repeats = settings["repeats"] if n < SLOW_BATCH else settings["slow_repeats"]
        results[n] = cases.time_against_compiled(f"{TITLE}, batch {n}", steps, repeats, settings["block_seconds"], log,
                                                 digits=2)
    fitted = fit_seconds(settings["fit_repeats"])
    log(f"fit(compiled=True), 100 moons, {FIT_EPOCHS} epochs: {fitted[0].median:.2f} s "
        f"(min {fitted[0].min:.2f} s), last epoch {fitted[1]}")
    return results, checks, fitted
