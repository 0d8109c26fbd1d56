"""classify: an MLP trained on a toy data set, its decision boundary, curves and history."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from micrograd_id.cli.arguments import (
    CLASSIFY_EPOCHS,
    CLASSIFY_HIDDEN,
    CLASSIFY_LR,
    CLASSIFY_SAMPLES,
    UsageError,
    count,
    folder,
    learning_rate,
    noise,
)
from micrograd_id.cli.output import made_folder, saved, try_write

CLASSIFY_DATA = ("moons", "circles", "blobs", "xor", "spiral")
# A step records a graph over its whole batch. One Value of it takes about 200 bytes (tracemalloc, Python 3.11:
# 197-205 bytes per node for MLPs 2-16-16-1, 2-4-3 and 2-64-1), 2-16-16-1 about 680 nodes per sample.
BYTES_PER_NODE = 200
MAX_GRAPH_BYTES = 2e9


def classify_command(args: argparse.Namespace) -> int:
    from micrograd_id import data
    from micrograd_id.losses import binary_cross_entropy, cross_entropy
    from micrograd_id.nn import MLP
    from micrograd_id.optim import Adam
    from micrograd_id.plots import plot_decision_boundary, plot_history
    from micrograd_id.train import accuracy, fit

    _refuse_a_graph_too_large(args)
    out = made_folder(args.out)
    if not os.access(out, os.W_OK):  # say so before training, not after
        raise PermissionError(f"cannot write into {out}: the folder is not writable")
    jitter = {} if args.noise is None else {"noise": args.noise}
    X, y = getattr(data, f"make_{args.data}")(args.samples, seed=args.seed, **jitter)
    classes = int(y.max()) + 1
    sizes = [2] + args.hidden + [1 if classes == 2 else classes]
    model = MLP(2, sizes[1:], seed=args.seed)
    loss = binary_cross_entropy if classes == 2 else cross_entropy
    print(f"{args.data}: {len(y)} points, {classes} classes; MLP {'-'.join(map(str, sizes))}, "
          f"{loss.__name__}, Adam lr = {args.lr:g}, {args.epochs} epochs"
          + (f", batches of {args.batch_size}" if args.batch_size else ", full batch"))
    history = fit(model, X, y, loss=loss, optimizer=Adam(model.parameters(), lr=args.lr), epochs=args.epochs,
                  batch_size=args.batch_size, seed=args.seed)
    if history.rows:
        last = history.rows[-1]
        print(f"epoch {last['epoch']}: mean loss {last['loss']:.4g}, accuracy during the epoch {last['accuracy']:.0%}")
    print(f"trained model: training accuracy {accuracy(model, X, y):.0%}")
    failures = 0
    failures += try_write(lambda: history.to_csv(out / "history.csv"), "loss and accuracy of every epoch")
    if history.rows:
        failures += try_write(lambda: saved(plot_history(history), out / "curves.png"),
                              "the training curves: loss and accuracy per epoch")
    failures += try_write(lambda: saved(plot_decision_boundary(model, X, y), out / "boundary.png"),
                          "the decision boundary with the data on top")
    return 1 if failures else 0


def _refuse_a_graph_too_large(args: argparse.Namespace) -> None:
    """A usage error, before any work, if one step's graph would not fit in memory (~15 GB for 100,000 samples)."""
    sizes = [2, *args.hidden, 3]  # 3: room for the most output neurons a data set here needs
    # each neuron records a product and a sum per input, then its activation; the loss a few more
    nodes = sum(nout * (2 * nin + 1) for nin, nout in zip(sizes, sizes[1:])) + 20
    batch = min(args.batch_size or args.samples, args.samples)
    if batch * nodes * BYTES_PER_NODE > MAX_GRAPH_BYTES:
        largest = int(MAX_GRAPH_BYTES // (nodes * BYTES_PER_NODE))
        if largest < 1:
            raise UsageError(f"--hidden {','.join(map(str, args.hidden))} would record a graph of about "
                             f"{nodes * BYTES_PER_NODE / 1e9:.0f} GB for each sample; give smaller layers")
        what = f"--batch-size {args.batch_size}" if args.batch_size else f"--samples {args.samples} in one batch"
        raise UsageError(f"{what} would record a graph of about {batch * nodes * BYTES_PER_NODE / 1e9:.0f} GB "
                         f"in each step; give --batch-size {largest:,} or less")


def hidden_sizes(text: str) -> list[int]:
    sizes = [part for part in text.replace(" ", ",").split(",") if part]
    parse = count(1, 1000)
    if not sizes:
        raise argparse.ArgumentTypeError(f"expected layer sizes such as 16,16, got {text!r}")
    return [parse(size) for size in sizes]


def add_classify(commands: Any) -> None:
    parser = commands.add_parser(
        "classify", help="train an MLP classifier on a toy data set; write its decision boundary",
        description="Train an MLP with Adam on a 2-D toy data set (binary cross-entropy, or cross-entropy "
                    "for more than two classes); write DIR/boundary.png, DIR/curves.png and DIR/history.csv.")
    parser.add_argument("--data", choices=CLASSIFY_DATA, default="moons", help="the data set (default: moons)")
    parser.add_argument("--samples", type=count(4, 100_000), default=CLASSIFY_SAMPLES, metavar="N",
                        help=f"number of points (default: {CLASSIFY_SAMPLES})")
    parser.add_argument("--noise", type=noise, default=None,
                        help="standard deviation of the points' jitter (default: the data set's own)")
    parser.add_argument("--hidden", type=hidden_sizes, default=hidden_sizes(CLASSIFY_HIDDEN),
                        metavar="N[,N...]", help=f"hidden layer sizes (default: {CLASSIFY_HIDDEN})")
    parser.add_argument("--lr", type=learning_rate, default=CLASSIFY_LR,
                        help=f"Adam's learning rate (default: {CLASSIFY_LR:g})")
    parser.add_argument("--epochs", type=count(0, 100_000), default=CLASSIFY_EPOCHS,
                        help=f"passes over the data (default: {CLASSIFY_EPOCHS})")
    parser.add_argument("--batch-size", type=count(1, 100_000), default=None, metavar="N",
                        help="samples per step (default: all of them, one step per epoch)")
    parser.add_argument("--seed", type=count(0, 2**32 - 1), default=0,
                        help="random seed of the data, the initial weights and the shuffling (default: 0)")
    parser.add_argument("--out", type=folder, default=Path("out"), metavar="DIR",
                        help="folder for the pictures and the history, created if missing (default: out)")
    parser.set_defaults(run=classify_command)
