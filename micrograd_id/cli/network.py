"""train, check and landscape: the identity network trained and checked from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from micrograd_id._files import check_writable
from micrograd_id._table import plural
from micrograd_id.cli.arguments import count, finite, number_list, output, training_options
from micrograd_id.cli.output import plot, steps_table
from micrograd_id.engine import Value
from micrograd_id.identity import IdentityNet
from micrograd_id.losses import half_squared_error

CHECK_WS, CHECK_XS = (-2.0, -0.5, 0.3, 2.0), (0.0, 1.0)
CHECK_EQ6_TOLERANCE = 1e-12        # autodiff and eq. (6) do the same float operations
CHECK_NUMERICAL_TOLERANCE = 1e-8   # central differences with eps = 1e-6: ~1e-10 typical


# ----- the identity network, as the commands use it ------------------------------------------

def identity_error(w: float, x: float, bias: float | None = None) -> tuple[IdentityNet, Value]:
    """(net, E) for the identity network at w, x (y = x), after E.backward()."""
    net = IdentityNet(w=w, bias=bias)
    E = half_squared_error(net(x), x)
    E.backward()
    return net, E


def train_identity(args: argparse.Namespace) -> tuple[IdentityNet, Any]:
    """(net, history) after the training run the options describe."""
    from micrograd_id.train import train

    _warn_unreachable(samples(args))
    net = IdentityNet(w=args.w, bias=args.bias)
    history = train(net, xs=samples(args), lr=args.lr, steps=args.steps,
                    momentum=args.momentum, full_batch=args.full_batch, progress=False)
    return net, history


def samples(args: argparse.Namespace) -> list[float]:
    return args.x or [0.0, 1.0]


def _warn_unreachable(targets: list[float]) -> None:
    """A sigmoid's output lies in (0, 1): a target outside [0, 1] leaves E above a floor; say so."""
    for y in sorted(set(targets)):
        if not 0.0 <= y <= 1.0:
            nearest = min(max(y, 0.0), 1.0)
            print(f"warning: the target y = {y:g} is outside the sigmoid's range (0, 1): y_hat can only "
                  f"approach {nearest:g}, so E(x={y:g}) stays above {0.5 * (y - nearest) ** 2:g}", file=sys.stderr)


def _parameters(net: IdentityNet) -> str:
    """'w = 1.57079' or 'w = 6.49, b = -3.14': the trained parameters, readable."""
    return ", ".join(f"{name} = {value:.6g}" for name, value in net.state_dict().items())


def _columns(history: Any) -> list[str]:
    return [c for c in ("step", "x", "w", "b", "E", "dE/dw", "dE/db") if c in history.columns]


# ----- the commands ------------------------------------------------------------------------

def train_command(args: argparse.Namespace) -> int:
    from micrograd_id.identity import error

    if args.history:
        check_writable(args.history)  # before the work, not after it
    net, history = train_identity(args)
    inputs = ", ".join(f"{x:g}" for x in samples(args))
    mode = "full batch" if args.full_batch else "one sample per step, in turn"
    print(f"{net!r} trained on x = {inputs} ({mode}), lr = {args.lr:g}, {args.steps} steps")
    if history.rows:
        print(steps_table(history.rows, _columns(history), head=args.show))
    b = 0.0 if net.b is None else net.b.data
    final = ", ".join(f"E(x={x:g}) = {error(net.w.data, x, b=b):.6g}" for x in sorted(set(samples(args))))
    print(f"after {plural(args.steps, 'step')}: {_parameters(net)}; {final}")
    if args.history:
        saved = history.to_json(args.history) if args.history.suffix.lower() == ".json" \
            else history.to_csv(args.history)
        print(f"history of every step written to {saved}")
    return 0


def check_command(args: argparse.Namespace) -> int:
    from micrograd_id.identity import compare_gradients

    table = compare_gradients(w=args.w or list(CHECK_WS), x=args.x or list(CHECK_XS), bias=args.bias)
    print(table)
    bad = [row for row in table if row["abs_err_eq6"] > CHECK_EQ6_TOLERANCE * max(1.0, abs(row["autodiff"]))
           or row["abs_err_numerical"] > CHECK_NUMERICAL_TOLERANCE + 1e-9 * row["E"]]
    print(f"largest difference from autodiff: eq. (6) {table.max_error('eq6'):.1e}, "
          f"central difference {table.max_error('numerical'):.1e}")
    if bad:
        print(f"MISMATCH in {len(bad)} of {plural(len(table), 'row')} (tolerances: eq. (6) {CHECK_EQ6_TOLERANCE:g}, "
              f"central difference {CHECK_NUMERICAL_TOLERANCE:g})", file=sys.stderr)
        return 1
    agree = "1 row agrees" if len(table) == 1 else f"all {len(table)} rows agree"
    print(f"{agree} (tolerances: eq. (6) {CHECK_EQ6_TOLERANCE:g} relative, "
          f"central difference {CHECK_NUMERICAL_TOLERANCE:g})")
    return 0


def landscape_command(args: argparse.Namespace) -> int:
    check_writable(args.output)
    _, history = train_identity(args)
    kind = "contour of mean E over (w, b)" if args.bias is not None else "E(w) curves"
    path = plot(args.output, history)
    print(f"wrote {path}: {kind} with the {args.steps} steps of descent (lr = {args.lr:g})")
    return 0


# ----- their parsers -------------------------------------------------------------------------

def add_train(commands: Any) -> None:
    parser = commands.add_parser("train", help="gradient descent with a table of the steps",
                                 description="Train the identity network by gradient descent; print the steps.")
    training_options(parser)
    parser.add_argument("--history", type=output(".csv", ".json"), metavar="FILE.csv|FILE.json",
                        help="write every step (step, x, y, y_hat, E, w, dE/dw[, b, dE/db]) to this file")
    parser.add_argument("--show", type=count(0, 10_000), default=10, metavar="N",
                        help="print the first N steps and the last (default: 10)")
    parser.set_defaults(run=train_command)


def add_check(commands: Any) -> None:
    parser = commands.add_parser("check", help="autodiff vs eq. (6) vs central differences",
                                 description="Compare dE/dw three ways over a few w and x; exit 1 on a mismatch.")
    parser.add_argument("--w", type=number_list, action="extend", metavar="W[,W...]",
                        help="weights to check (default: -2,-0.5,0.3,2)")
    parser.add_argument("--x", type=number_list, action="extend", metavar="X[,X...]",
                        help="inputs to check, y = x (default: 0,1)")
    parser.add_argument("--bias", type=finite, default=None, metavar="B", help="check a net with bias b too")
    parser.set_defaults(run=check_command)


def add_landscape(commands: Any) -> None:
    parser = commands.add_parser("landscape", help="plot the error landscape with the descent path",
                                 description="Train, then plot E(w) (or mean E over (w, b) with --bias) "
                                             "with the path of the steps.")
    training_options(parser)
    parser.add_argument("-o", "--output", type=output(".png", ".svg", ".pdf"), required=True,
                        metavar="PATH", help="the file to write: .png, .svg or .pdf")
    parser.set_defaults(run=landscape_command)
