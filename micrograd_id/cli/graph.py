"""draw, explain, explore and compile: the graph of E at one point, drawn, spelled out, stepped through, compiled."""

from __future__ import annotations

import argparse
from typing import Any

from micrograd_id.cli.arguments import (
    DEMO_LR,
    DEMO_STEPS,
    UsageError,
    count,
    learning_rate,
    network_options,
    output,
)
from micrograd_id.cli.network import identity_error
from micrograd_id.cli.output import find_label, render_graph, write_explorer
from micrograd_id.identity import IdentityNet
from micrograd_id.losses import half_squared_error


def _at(args: argparse.Namespace) -> str:
    """'w = 0.3, x = 1' (and ', b = 0.5' with a bias): the point the command looked at."""
    return f"w = {args.w:g}, x = {args.x:g}" + (f", b = {args.bias:g}" if args.bias is not None else "")


def draw_command(args: argparse.Namespace) -> int:
    _, E = identity_error(args.w, args.x, args.bias)
    path = render_graph(E, args.output, args.highlight)
    print(f"wrote {path}: the graph of E at {_at(args)}"
          + (f", paths from {args.highlight} in red" if args.highlight is not None else ""))
    return 0


def explain_command(args: argparse.Namespace) -> int:
    from micrograd_id.explain import explain
    from micrograd_id.identity import derivation

    if args.wrt == "b" and args.bias is None:
        raise UsageError("--wrt b needs --bias B (the network has no bias otherwise)")
    _, E = identity_error(args.w, args.x, args.bias)
    print(explain(E, find_label(E, args.wrt), derivation=derivation))
    return 0


def explore_command(args: argparse.Namespace) -> int:
    from micrograd_id.train import train

    _, E = identity_error(args.w, args.x, args.bias)
    history = train(IdentityNet(w=args.w, bias=args.bias), xs=[0.0, 1.0], lr=args.lr, steps=args.steps,
                    progress=False) if args.steps else None
    path = write_explorer(args.output, E, history)
    print(f"wrote {path}: open it in a browser to step through backprop of E at {_at(args)}"
          + (f", and {args.steps} training steps from there (x = 0, 1 in turn, lr = {args.lr:g})"
             if args.steps else ""))
    return 0


def compile_command(args: argparse.Namespace) -> int:
    """The source of E's graph over (w[, b], x, y), and optionally the speed-up."""
    import timeit

    from micrograd_id.compiled import compile_graph
    from micrograd_id.engine import Value

    net = IdentityNet(w=args.w, bias=args.bias)
    x, y = Value(args.x, label="x"), Value(args.x, label="y")
    E = half_squared_error(net(x), y)
    params = net.parameters()
    graph = compile_graph(E, inputs=[*params, x, y], wrt=params)
    print(graph.source, end="")
    if args.time:
        numbers = [p.data for p in params] + [args.x, args.x]

        def interpreted() -> None:
            net.zero_grad()
            half_squared_error(net(args.x), args.x).backward()

        calls = 2000
        slow = min(timeit.repeat(interpreted, number=calls, repeat=5)) / calls
        fast = min(timeit.repeat(lambda: graph(*numbers), number=calls, repeat=5)) / calls
        print(f"# one forward + backward: interpreted {slow * 1e6:.1f} µs, compiled {fast * 1e6:.1f} µs "
              f"({slow / fast:.0f}× faster)")
    return 0


# ----- their parsers -------------------------------------------------------------------------

def add_draw(commands: Any) -> None:
    parser = commands.add_parser("draw", help="draw the computation graph with every node's gradient",
                                 description="Draw the graph of E = ½(sigmoid(w·x [+ b]) − x)² after backward().")
    network_options(parser)
    parser.add_argument("-o", "--output", type=output(".png", ".svg", ".pdf", ".dot"), required=True,
                        metavar="PATH", help="the file to write: .png, .svg, .pdf or .dot")
    parser.add_argument("--highlight", metavar="LABEL", help="draw every path from this node (e.g. w) to E in red")
    parser.set_defaults(run=draw_command)


def add_explain(commands: Any) -> None:
    parser = commands.add_parser("explain", help="the chain rule for dE/dw, path by path, with numbers",
                                 description="Write dE/dw (or dE/db) as products of local derivatives.")
    network_options(parser)
    parser.add_argument("--wrt", choices=("w", "b"), default="w", help="the parameter (default: w)")
    parser.set_defaults(run=explain_command)


def add_explore(commands: Any) -> None:
    parser = commands.add_parser("explore", help="write a page to step through backprop and training",
                                 description="Write one self-contained HTML page (it opens offline): step "
                                             "forward and backward through the graph of E, and through "
                                             "the steps of training.")
    network_options(parser)
    parser.add_argument("-o", "--output", type=output(".html", ".htm"), required=True, metavar="PATH",
                        help="the page to write, e.g. backprop.html")
    parser.add_argument("--steps", type=count(0, 10_000), default=DEMO_STEPS,
                        help=f"training steps to scrub through, from --w (default: {DEMO_STEPS}; 0: none)")
    parser.add_argument("--lr", type=learning_rate, default=DEMO_LR, help=f"learning rate (default: {DEMO_LR:g})")
    parser.set_defaults(run=explore_command)


def add_compile(commands: Any) -> None:
    parser = commands.add_parser("compile", help="print the graph as straight-line Python (compile_graph)",
                                 description="Print the identity network's compiled forward and backward "
                                             "pass: its backward lines are eq. (6), step by step.")
    network_options(parser)
    parser.add_argument("--time", action="store_true",
                        help="also time one forward + backward, interpreted and compiled")
    parser.set_defaults(run=compile_command)
