"""What every command shares about its arguments: the parser, the limits, the argument types, the option groups.

An argument type takes the text of one argument and returns its value or
raises ArgumentTypeError; argparse then prints one line naming the option.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

LIMIT = 1e6             # |w|, |x|, |b| beyond this overflow E or make the tables meaningless
MAX_STEPS = 100_000
MAX_LR = 1000.0
# The demo's run; train, landscape and explore start from it too.
DEMO_W0, DEMO_LR, DEMO_STEPS, DEMO_BIAS_STEPS, DEMO_ROWS = 0.3, 2.0, 60, 1000, 8
# classify's defaults.
CLASSIFY_HIDDEN, CLASSIFY_LR, CLASSIFY_EPOCHS, CLASSIFY_SAMPLES = "16,16", 0.05, 100, 100


class UsageError(Exception):
    """An argument that parsed but does not fit (e.g. --wrt b without --bias): exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `micrograd-id train: error: ... (see --help)`."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def one_line(problem: object) -> str:
    """An error's message on one line (a message holding newlines would break the one-line promise)."""
    return " ".join(str(problem).split()) or type(problem).__name__


# ----- argument types: each returns the value or raises ArgumentTypeError ---------------

def finite(text: str) -> float:
    value = real_number(text)
    if not math.isfinite(value) or abs(value) > LIMIT:
        raise argparse.ArgumentTypeError(f"expected a finite number between -{LIMIT:g} and {LIMIT:g}, got {text!r}")
    return value


def real_number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def learning_rate(text: str) -> float:
    value = real_number(text)
    if not 0.0 < value <= MAX_LR:  # also refuses nan
        raise argparse.ArgumentTypeError(f"the learning rate must be > 0 and <= {MAX_LR:g}, got {text!r}")
    return value


def momentum(text: str) -> float:
    value = finite(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"momentum must be in [0, 1), got {text!r}")
    return value


def noise(text: str) -> float:
    value = finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"noise is a standard deviation and must be >= 0, got {text!r}")
    return value


def count(low: int, high: int) -> Callable[[str], int]:
    """The type of a whole number from low to high."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high:,}, got {text!r}")
        return value
    return parse


def number_list(text: str) -> list[float]:
    """'0,1' or '0' -> [0.0, 1.0] / [0.0]; with action='extend' the option may repeat."""
    parts = [part for part in text.replace(" ", ",").split(",") if part]
    if not parts:
        raise argparse.ArgumentTypeError(f"expected numbers such as 0,1, got {text!r}")
    return [finite(part) for part in parts]


def output(*suffixes: str) -> Callable[[str], Path]:
    """A file to write: one of the suffixes, in a folder that exists, not a folder itself."""
    def parse(text: str) -> Path:
        path = Path(text)
        if not text.strip() or path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"the file name must end in {' or '.join(suffixes)}, got {text!r}")
        if not path.parent.is_dir():
            raise argparse.ArgumentTypeError(f"folder {str(path.parent)!r} does not exist (for {text!r})")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file name")
        return path
    return parse


def folder(text: str) -> Path:
    path = Path(text)
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder name, got an empty string")
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a folder")
    return path


# ----- option groups: one flag name per concept in every command ---------------------------

def network_options(parser: argparse.ArgumentParser, w_help: str = "the weight w (default: 0.3)") -> None:
    """--w, --x, --bias: one point of the identity network."""
    parser.add_argument("--w", type=finite, default=DEMO_W0, metavar="W", help=w_help)
    parser.add_argument("--x", type=finite, default=1.0, metavar="X", help="the input x; y = x (default: 1)")
    parser.add_argument("--bias", type=finite, default=None, metavar="B",
                        help="add a bias b with this value: y_hat = sigmoid(w·x + b)")


def training_options(parser: argparse.ArgumentParser) -> None:
    """The options of a training run of the identity network (train, landscape)."""
    parser.add_argument("--w", type=finite, default=DEMO_W0, metavar="W",
                        help=f"the starting weight (default: {DEMO_W0:g})")
    parser.add_argument("--lr", type=learning_rate, default=DEMO_LR,
                        help=f"learning rate (default: {DEMO_LR:g}, as in the demo)")
    parser.add_argument("--steps", type=count(0, MAX_STEPS), default=DEMO_STEPS,
                        help=f"training steps (default: {DEMO_STEPS}, as in the demo)")
    parser.add_argument("--x", type=number_list, action="extend", metavar="X[,X...]",
                        help="training inputs, y = x; repeat or give a list (default: 0,1)")
    parser.add_argument("--bias", type=finite, default=None, metavar="B",
                        help="add a bias b starting at B: y_hat = sigmoid(w·x + b)")
    parser.add_argument("--momentum", type=momentum, default=0.0, help="SGD momentum in [0, 1) (default: 0)")
    parser.add_argument("--full-batch", action="store_true",
                        help="each step averages E over all inputs (default: one input per step, in turn)")
