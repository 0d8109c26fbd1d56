"""The `micrograd-id` command (also `python -m micrograd_id`)."""

import argparse
import sys

from micrograd_id.engine import Value
from micrograd_id.identity import hand_gradient


def _demo(args):
    print("Identity network: y_hat = sigmoid(w*x), E = 1/2 (y_hat - x)^2")
    print(f"{'w':>6} {'x':>3} {'autodiff dE/dw':>18} {'eq. (6)':>18} {'|diff|':>9}")
    for w0 in (-2.0, 0.3, 2.0):
        for x in (0.0, 1.0):
            w = Value(w0, label="w")
            error = 0.5 * ((w * x).sigmoid() - x) ** 2
            error.backward()
            by_hand = hand_gradient(w0, x)
            print(f"{w0:6.2f} {x:3.0f} {w.grad:18.12f} {by_hand:18.12f} {abs(w.grad - by_hand):9.1e}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="micrograd-id", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train the seed's network and compare gradients")
    demo.add_argument("--out", default="out", help="folder for the pictures (default: out)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
