"""The `micrograd-id` command (also `python -m micrograd_id`): the identity network, on screen.

    micrograd-id demo        train it, compare gradients; write two pictures and a page
    micrograd-id train       gradient descent with a table of every step
    micrograd-id draw        the computation graph with every node's gradient
    micrograd-id explain     the chain rule for dE/dw, path by path, with numbers
    micrograd-id check       autodiff vs eq. (6) vs central differences
    micrograd-id landscape   the error landscape with the descent path
    micrograd-id explore     a page to step through backprop and the training steps
    micrograd-id compile     the graph as straight-line Python: forward lines, then backward lines
    micrograd-id classify    train an MLP classifier on a toy data set; draw its decision boundary

Bad arguments end with exit status 2 and one line on stderr; a failure while
running (no Graphviz, an unwritable file) with status 1 and one line. Output
piped into `head` that stops reading ends the command quietly, as Unix tools do.

One module per command family (network: train, check, landscape; graph: draw,
explain, explore, compile; demo; classify); `arguments` holds what their
options share and `output` what they print and write.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

__all__ = ["main", "build_parser", "PROG"]

PROG = "micrograd-id"

# This module and the package import nothing but os and sys, which Python has loaded before any
# script runs: the console script imports them before it calls main(), and only main() can turn
# a Ctrl-C into one line. Everything else loads inside main().


def build_parser() -> "argparse.ArgumentParser":
    """The ``micrograd-id`` argument parser with every command; main() runs what it parses.

    Returns an ``argparse.ArgumentParser`` whose subcommands (demo, train, draw,
    explain, check, landscape, explore, compile, classify) each set ``run``.
    """
    import argparse

    from micrograd_id import __version__
    from micrograd_id.cli import classify, demo, graph, network  # numpy and the rest load here
    from micrograd_id.cli.arguments import Parser

    parser = Parser(prog=PROG, description=(__doc__ or "").split("\n\n")[0],
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog="Run `micrograd-id COMMAND --help` for a command's options.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (demo.add_demo, network.add_train, graph.add_draw, graph.add_explain, network.add_check,
                network.add_landscape, graph.add_explore, graph.add_compile, classify.add_classify):
        add(commands)
    return parser


def main(argv: "Sequence[str] | None" = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failed while running, 2 bad arguments)."""
    try:
        from micrograd_id.cli.arguments import UsageError, one_line

        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2, message already printed)
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    except KeyboardInterrupt:  # Ctrl-C while the libraries load
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    where = f"{PROG} {args.command}"
    try:
        status: int = args.run(args)
        return status
    except BrokenPipeError:  # the reader (e.g. `head`) has all it wants
        return _quiet_broken_pipe()
    except UsageError as problem:
        print(f"{where}: error: {one_line(problem)} (see {where} --help)", file=sys.stderr)
        return 2
    except (ValueError, TypeError, ArithmeticError, OSError, ImportError, RuntimeError) as problem:
        print(f"{where}: {one_line(problem)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{where}: interrupted", file=sys.stderr)
        return 130


def _quiet_broken_pipe() -> int:
    """Exit status 141 (128 + SIGPIPE), like Unix tools, with no message at interpreter exit either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's final flush of stdout would fail again
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (captured)
        pass
    return 141
