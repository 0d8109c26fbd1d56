"""The `micrograd-id` command (also `python -m micrograd_id`): the identity network, on screen.

    micrograd-id demo        train it, compare gradients, draw the graph and the landscape
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
"""

import argparse
import math
import os
import sys
from pathlib import Path

from micrograd_id import __version__
from micrograd_id._files import check_writable
from micrograd_id._table import aligned, number, plural
from micrograd_id.engine import topological_order
from micrograd_id.identity import IdentityNet, derivation
from micrograd_id.losses import half_squared_error

PROG = "micrograd-id"
LIMIT = 1e6             # |w|, |x|, |b| beyond this overflow E or make the tables meaningless
MAX_STEPS = 100_000
MAX_LR = 1000.0
DEMO_W0, DEMO_LR, DEMO_STEPS, DEMO_BIAS_STEPS, DEMO_ROWS = 0.3, 2.0, 60, 1000, 8
CHECK_WS, CHECK_XS = (-2.0, -0.5, 0.3, 2.0), (0.0, 1.0)
CHECK_EQ6_TOLERANCE = 1e-12        # autodiff and eq. (6) do the same float operations
CHECK_NUMERICAL_TOLERANCE = 1e-8   # central differences with eps = 1e-6: ~1e-10 typical


class UsageError(Exception):
    """An argument that parsed but does not fit (e.g. --wrt b without --bias): exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `micrograd-id train: error: ... (see --help)`."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


# ----- argument types: each returns the value or raises ArgumentTypeError ---------------

def _finite(text):
    value = _float(text)
    if not math.isfinite(value) or abs(value) > LIMIT:
        raise argparse.ArgumentTypeError(f"expected a finite number between -{LIMIT:g} and {LIMIT:g}, got {text!r}")
    return value


def _float(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _learning_rate(text):
    value = _float(text)
    if not 0.0 < value <= MAX_LR:  # also refuses nan
        raise argparse.ArgumentTypeError(f"the learning rate must be > 0 and <= {MAX_LR:g}, got {text!r}")
    return value


def _momentum(text):
    value = _finite(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"momentum must be in [0, 1), got {text!r}")
    return value


def _count(low, high):
    def parse(text):
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high:,}, got {text!r}")
        return value
    return parse


def _number_list(text):
    """'0,1' or '0' -> [0.0, 1.0] / [0.0]; with action='extend' the option may repeat."""
    parts = [part for part in text.replace(" ", ",").split(",") if part]
    if not parts:
        raise argparse.ArgumentTypeError(f"expected numbers such as 0,1, got {text!r}")
    return [_finite(part) for part in parts]


def _output(*suffixes):
    """A file to write: one of the suffixes, in a folder that exists, not a folder itself."""
    def parse(text):
        path = Path(text)
        if not text.strip() or path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"the file name must end in {' or '.join(suffixes)}, got {text!r}")
        if not path.parent.is_dir():
            raise argparse.ArgumentTypeError(f"folder {str(path.parent)!r} does not exist (for {text!r})")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file name")
        return path
    return parse


def _folder(text):
    path = Path(text)
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder name, got an empty string")
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a folder")
    return path


# ----- helpers shared by the commands ------------------------------------------------

def _identity_error(w, x, bias=None):
    """(net, E) for the identity network at w, x (y = x), after E.backward()."""
    net = IdentityNet(w=w, bias=bias)
    E = half_squared_error(net(x), x)
    E.backward()
    return net, E


def _train(args):
    from micrograd_id.train import train

    _warn_unreachable(_samples(args))
    net = IdentityNet(w=args.w, bias=args.bias)
    history = train(net, xs=_samples(args), lr=args.lr, steps=args.steps,
                    momentum=args.momentum, full_batch=args.full_batch, progress=False)
    return net, history


def _samples(args):
    return args.x or [0.0, 1.0]


def _warn_unreachable(targets):
    """A sigmoid's output lies in (0, 1): a target outside [0, 1] leaves E above a floor; say so."""
    for y in sorted(set(targets)):
        if not 0.0 <= y <= 1.0:
            nearest = min(max(y, 0.0), 1.0)
            print(f"warning: the target y = {y:g} is outside the sigmoid's range (0, 1): y_hat can only "
                  f"approach {nearest:g}, so E(x={y:g}) stays above {0.5 * (y - nearest) ** 2:g}", file=sys.stderr)


def _fmt(column, value):
    if isinstance(value, list):
        return ",".join(f"{v:g}" for v in value)
    if column in ("x", "y") or not isinstance(value, float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return number(value)


def _steps_table(rows, columns, head=10):
    """The first `head` rows and the last one, as aligned text."""
    shown = rows if len(rows) <= head + 1 else rows[:head] + [None] + rows[-1:]
    return aligned([list(columns)] + [["…"] * len(columns) if row is None else [_fmt(c, row[c]) for c in columns]
                                      for row in shown])


def _parameters(net):
    """'w = 1.57079' or 'w = 6.49, b = -3.14': the trained parameters, readable."""
    return ", ".join(f"{name} = {value:.6g}" for name, value in net.state_dict().items())


def _columns(history):
    names = [c for c in ("step", "x", "w", "b", "E", "dE/dw", "dE/db") if c in history.columns]
    return names


def _find_label(root, label):
    for node in topological_order(root):
        if label and node.label == label:  # "" would match any unlabelled node
            return node
    labels = sorted({n.label for n in topological_order(root) if n.label})
    raise UsageError(f"no node labelled {label!r} in the graph; labels: {', '.join(labels)}")


def _made_folder(out):
    """The output folder, created with its parents if missing; an error naming it if that fails."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise type(problem)(f"cannot create the folder {out}: {problem.strerror or problem}") from None
    return out


def _say_where(path, what):
    print(f"  {str(path):<24} {what}")


# ----- the commands ---------------------------------------------------------------------

def _demo(args):
    from micrograd_id.identity import compare_gradients, error
    from micrograd_id.train import train

    out = _made_folder(args.out)
    print("The identity network: y_hat = sigmoid(w·x), E = ½(y_hat − y)², y = x, x ∈ {0, 1}\n")

    table = compare_gradients(w=[-2.0, DEMO_W0, 2.0], x=[0.0, 1.0])
    print("1. dE/dw three ways: autodiff (backward), eq. (6) by hand, central difference")
    print(_indent(str(table)))
    print(f"   largest difference from autodiff: eq. (6) {table.max_error('eq6'):.1e}, "
          f"central difference {table.max_error('numerical'):.1e}\n")

    net = IdentityNet(w=DEMO_W0)
    history = train(net, xs=[0.0, 1.0], lr=DEMO_LR, steps=DEMO_STEPS, progress=False)
    rows = history.rows
    print(f"2. Gradient descent w ← w − lr·dE/dw from w = {DEMO_W0:g}, lr = {DEMO_LR:g}, "
          f"x alternating 0, 1 ({DEMO_STEPS} steps)")
    print(_indent(_steps_table(rows, ["step", "x", "w", "E", "dE/dw"], head=DEMO_ROWS)))
    last = rows[-1]
    print(f"   Each row's w is the weight before that step's update; step {last['step']} takes it from "
          f"{last['w']:.6g} to {net.w.data:.6g}.")
    zero_steps = [r for r in rows if r["x"] == 0.0]
    one_steps = [r for r in rows if r["x"] == 1.0]
    print(f"   x = 0 steps: dE/dw = {max(abs(r['dE/dw']) for r in zero_steps):g} and E = "
          f"{zero_steps[-1]['E']:g} every time (y_hat = 0.5 whatever w is): they cannot move w.")
    print(f"   x = 1 steps: E fell from {one_steps[0]['E']:.4g} to {one_steps[-1]['E']:.4g} while w grew "
          f"from {one_steps[0]['w']:.3g} to {one_steps[-1]['w']:.3g} (the last step, marked in the picture); "
          f"it keeps growing, since E → 0 only as w → ∞.")
    biased = IdentityNet(w=DEMO_W0, bias=0.0)
    train(biased, xs=[0.0, 1.0], lr=DEMO_LR, steps=DEMO_BIAS_STEPS, progress=False)
    w, b = biased.w.data, biased.b.data
    print(f"   With a bias, y_hat = sigmoid(w·x + b), {DEMO_BIAS_STEPS} steps fit both inputs: w = {w:.3g}, "
          f"b = {b:.3g}, E = {error(w, 0.0, b=b):.2g} for x = 0 and {error(w, 1.0, b=b):.2g} for x = 1.\n")

    print(f"3. Pictures, in {out}/:")
    failures = 0
    _, E = _identity_error(DEMO_W0, 1.0)
    failures += _try_write(lambda: _render_graph_or_source(E, out / "graph.png", "w", local_derivatives=True),
                           f"the graph of E at w = {DEMO_W0:g}, x = 1: each node's value and gradient, "
                           f"each arrow's local derivative; red: the path from w")
    failures += _try_write(lambda: _plot(out / "landscape.png", history,
                                         title=f"E(w) of the identity network and {DEMO_STEPS} steps of descent "
                                               f"(lr = {DEMO_LR:g})"),
                           "the error landscape E(w) for x = 0, x = 1 and their mean, with the steps above")
    failures += _try_write(lambda: _explorer_unless_no_dot(out / "backprop.html", E, history),
                           "open in a browser: step through forward and backward, and the steps above")
    print(f"\nNext: {PROG} explain --w {DEMO_W0:g} --x 1   (the chain rule behind dE/dw, with these numbers)")
    if failures:
        print(f"{PROG} demo: {plural(failures, 'picture')} not written (see the messages above); "
              f"the rest of the demo ran", file=sys.stderr)
        return 1
    return 0


def _indent(text, by="   "):
    return "\n".join(by + line for line in text.splitlines())


def _try_write(write, what):
    """Run one picture writer; on a missing program or library say so and go on. 1 if it failed.

    A writer returns None when it chose to skip (and said why): that is no failure.
    """
    try:
        path = write()
    except (ImportError, RuntimeError, OSError) as problem:
        print(f"  not written: {problem}", file=sys.stderr)
        return 1
    if path is not None:
        _say_where(path, what)
    return 0


def _explorer_unless_no_dot(path, root, history):
    """The explorer page; without Graphviz's `dot` (its graph is dot's SVG) say so and skip it."""
    from micrograd_id.viz import GraphvizNotFound

    try:
        return _write_explorer(path, root, history)
    except GraphvizNotFound as problem:
        print(f"  not written: {_one_line(problem)}", file=sys.stderr)
        return None


def _render_graph(root, path, highlight=None, **options):
    from micrograd_id.viz import render

    node = None if highlight is None else _find_label(root, highlight)
    return render(root, path, highlight=node, **options)


def _render_graph_or_source(root, path, highlight, **options):
    """The PNG; without Graphviz's `dot`, say so and write the DOT source beside it instead."""
    from micrograd_id.viz import GraphvizNotFound

    try:
        return _render_graph(root, path, highlight, **options)
    except GraphvizNotFound as problem:
        print(f"  not written: {_one_line(problem)}", file=sys.stderr)
        source = _render_graph(root, path.with_suffix(".dot"), highlight, **options)
        print(f"  wrote {source} instead (the graph's DOT source; any Graphviz viewer shows it)")
        return source


def _plot(path, history, **options):
    from micrograd_id.plots import plot_landscape

    plot_landscape(history, path=path, **options)
    return path


def _train_command(args):
    if args.history:
        check_writable(args.history)  # before the work, not after it
    net, history = _train(args)
    samples = ", ".join(f"{x:g}" for x in _samples(args))
    mode = "full batch" if args.full_batch else "one sample per step, in turn"
    print(f"{net!r} trained on x = {samples} ({mode}), lr = {args.lr:g}, {args.steps} steps")
    if history.rows:
        print(_steps_table(history.rows, _columns(history), head=args.show))
    from micrograd_id.identity import error

    b = 0.0 if net.b is None else net.b.data
    final = ", ".join(f"E(x={x:g}) = {error(net.w.data, x, b=b):.6g}" for x in sorted(set(_samples(args))))
    print(f"after {plural(args.steps, 'step')}: {_parameters(net)}; {final}")
    if args.history:
        saved = history.to_json(args.history) if args.history.suffix.lower() == ".json" \
            else history.to_csv(args.history)
        print(f"history of every step written to {saved}")
    return 0


def _draw(args):
    _, E = _identity_error(args.w, args.x, args.bias)
    path = _render_graph(E, args.output, args.highlight)
    print(f"wrote {path}: the graph of E at w = {args.w:g}, x = {args.x:g}"
          + (f", b = {args.bias:g}" if args.bias is not None else "")
          + (f", paths from {args.highlight} in red" if args.highlight is not None else ""))
    return 0


def _explain(args):
    from micrograd_id.explain import explain

    if args.wrt == "b" and args.bias is None:
        raise UsageError("--wrt b needs --bias B (the network has no bias otherwise)")
    net, E = _identity_error(args.w, args.x, args.bias)
    print(explain(E, net.w if args.wrt == "w" else net.b, derivation=derivation))
    return 0


def _check(args):
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


def _landscape(args):
    check_writable(args.output)
    _, history = _train(args)
    kind = "contour of mean E over (w, b)" if args.bias is not None else "E(w) curves"
    path = _plot(args.output, history)
    print(f"wrote {path}: {kind} with the {args.steps} steps of descent (lr = {args.lr:g})")
    return 0


# ----- explore: a self-contained block (the command, its options, its page) ---------------

def _write_explorer(path, root, history):
    from micrograd_id.explore import explore

    return explore(root, history).save(path)


def _explore(args):
    from micrograd_id.train import train

    _, E = _identity_error(args.w, args.x, args.bias)
    history = train(IdentityNet(w=args.w, bias=args.bias), xs=[0.0, 1.0], lr=args.lr, steps=args.steps,
                    progress=False) if args.steps else None
    path = _write_explorer(args.output, E, history)
    print(f"wrote {path}: open it in a browser to step through backprop of E at w = {args.w:g}, x = {args.x:g}"
          + (f", b = {args.bias:g}" if args.bias is not None else "")
          + (f", and {args.steps} training steps from there (x = 0, 1 in turn, lr = {args.lr:g})"
             if args.steps else ""))
    return 0


def _add_explore_command(commands):
    explore = commands.add_parser("explore", help="write a page to step through backprop and training",
                                  description="Write one self-contained HTML page (it opens offline): step "
                                              "forward and backward through the graph of E, and through "
                                              "the steps of training.")
    _network_options(explore)
    explore.add_argument("-o", "--output", type=_output(".html", ".htm"), required=True, metavar="PATH",
                         help="the page to write, e.g. backprop.html")
    explore.add_argument("--steps", type=_count(0, 10_000), default=DEMO_STEPS,
                         help=f"training steps to scrub through, from --w (default: {DEMO_STEPS}; 0: none)")
    explore.add_argument("--lr", type=_learning_rate, default=DEMO_LR, help=f"learning rate (default: {DEMO_LR:g})")
    explore.set_defaults(run=_explore)


# ----- the parser --------------------------------------------------------------------------

def _network_options(parser, w_help="the weight w (default: 0.3)"):
    parser.add_argument("--w", type=_finite, default=DEMO_W0, metavar="W", help=w_help)
    parser.add_argument("--x", type=_finite, default=1.0, metavar="X", help="the input x; y = x (default: 1)")
    parser.add_argument("--bias", type=_finite, default=None, metavar="B",
                        help="add a bias b with this value: y_hat = sigmoid(w·x + b)")


def _training_options(parser):
    parser.add_argument("--w", type=_finite, default=DEMO_W0, metavar="W",
                        help=f"the starting weight (default: {DEMO_W0:g})")
    parser.add_argument("--lr", type=_learning_rate, default=DEMO_LR,
                        help=f"learning rate (default: {DEMO_LR:g}, as in the demo)")
    parser.add_argument("--steps", type=_count(0, MAX_STEPS), default=DEMO_STEPS,
                        help=f"training steps (default: {DEMO_STEPS}, as in the demo)")
    parser.add_argument("--x", type=_number_list, action="extend", metavar="X[,X...]",
                        help="training inputs, y = x; repeat or give a list (default: 0,1)")
    parser.add_argument("--bias", type=_finite, default=None, metavar="B",
                        help="add a bias b starting at B: y_hat = sigmoid(w·x + b)")
    parser.add_argument("--momentum", type=_momentum, default=0.0, help="SGD momentum in [0, 1) (default: 0)")
    parser.add_argument("--full-batch", action="store_true",
                        help="each step averages E over all inputs (default: one input per step, in turn)")


def build_parser():
    parser = _Parser(prog=PROG, description=__doc__.split("\n\n")[0],
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="Run `micrograd-id COMMAND --help` for a command's options.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="train the identity network, compare gradients, write two pictures",
                               description="Train the identity network; print autodiff vs eq. (6) vs central "
                                           "differences and the first steps; write graph.png and landscape.png.")
    demo.add_argument("--out", type=_folder, default=Path("out"), metavar="DIR",
                      help="folder for the pictures, created if missing (default: out)")
    demo.set_defaults(run=_demo)

    train = commands.add_parser("train", help="gradient descent with a table of the steps",
                                description="Train the identity network by gradient descent; print the steps.")
    _training_options(train)
    train.add_argument("--history", type=_output(".csv", ".json"), metavar="FILE.csv|FILE.json",
                       help="write every step (step, x, y, y_hat, E, w, dE/dw[, b, dE/db]) to this file")
    train.add_argument("--show", type=_count(0, 10_000), default=10, metavar="N",
                       help="print the first N steps and the last (default: 10)")
    train.set_defaults(run=_train_command)

    draw = commands.add_parser("draw", help="draw the computation graph with every node's gradient",
                               description="Draw the graph of E = ½(sigmoid(w·x [+ b]) − x)² after backward().")
    _network_options(draw)
    draw.add_argument("-o", "--output", type=_output(".png", ".svg", ".pdf", ".dot"), required=True,
                      metavar="PATH", help="the file to write: .png, .svg, .pdf or .dot")
    draw.add_argument("--highlight", metavar="LABEL",
                      help="draw every path from this node (e.g. w) to E in red")
    draw.set_defaults(run=_draw)

    explain = commands.add_parser("explain", help="the chain rule for dE/dw, path by path, with numbers",
                                  description="Write dE/dw (or dE/db) as products of local derivatives.")
    _network_options(explain)
    explain.add_argument("--wrt", choices=("w", "b"), default="w", help="the parameter (default: w)")
    explain.set_defaults(run=_explain)

    check = commands.add_parser("check", help="autodiff vs eq. (6) vs central differences",
                                description="Compare dE/dw three ways over a few w and x; exit 1 on a mismatch.")
    check.add_argument("--w", type=_number_list, action="extend", metavar="W[,W...]",
                       help="weights to check (default: -2,-0.5,0.3,2)")
    check.add_argument("--x", type=_number_list, action="extend", metavar="X[,X...]",
                       help="inputs to check, y = x (default: 0,1)")
    check.add_argument("--bias", type=_finite, default=None, metavar="B", help="check a net with bias b too")
    check.set_defaults(run=_check)

    landscape = commands.add_parser("landscape", help="plot the error landscape with the descent path",
                                    description="Train, then plot E(w) (or mean E over (w, b) with --bias) "
                                                "with the path of the steps.")
    _training_options(landscape)
    landscape.add_argument("-o", "--output", type=_output(".png", ".svg", ".pdf"), required=True,
                           metavar="PATH", help="the file to write: .png, .svg or .pdf")
    landscape.set_defaults(run=_landscape)
    _add_explore_command(commands)
    compiled = commands.add_parser("compile", help="print the graph as straight-line Python (compile_graph)",
                                   description="Print the identity network's compiled forward and backward "
                                               "pass: its backward lines are eq. (6), step by step.")
    _network_options(compiled)
    compiled.add_argument("--time", action="store_true",
                          help="also time one forward + backward, interpreted and compiled")
    compiled.set_defaults(run=_compile)
    _classify_parser(commands)
    return parser


def _compile(args):
    """The compile command: the source of E's graph over (w[, b], x, y), and optionally the speed-up."""
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

        def interpreted():
            net.zero_grad()
            half_squared_error(net(args.x), args.x).backward()

        calls = 2000
        slow = min(timeit.repeat(interpreted, number=calls, repeat=5)) / calls
        fast = min(timeit.repeat(lambda: graph(*numbers), number=calls, repeat=5)) / calls
        print(f"# one forward + backward: interpreted {slow * 1e6:.1f} µs, compiled {fast * 1e6:.1f} µs "
              f"({slow / fast:.0f}× faster)")
    return 0


# ----- classify: an MLP on a toy data set (self-contained: its defaults, run and parser) -------

CLASSIFY_DATA = ("moons", "circles", "blobs", "xor", "spiral")
CLASSIFY_HIDDEN, CLASSIFY_LR, CLASSIFY_EPOCHS, CLASSIFY_SAMPLES = "16,16", 0.05, 100, 100


def _classify(args):
    from micrograd_id import data
    from micrograd_id.losses import binary_cross_entropy, cross_entropy
    from micrograd_id.nn import MLP
    from micrograd_id.optim import Adam
    from micrograd_id.plots import plot_decision_boundary, plot_history
    from micrograd_id.train import accuracy, fit

    out = _made_folder(args.out)
    if not os.access(out, os.W_OK):  # say so before training, not after
        raise PermissionError(f"cannot write into {out}: the folder is not writable")
    noise = {} if args.noise is None else {"noise": args.noise}
    X, y = getattr(data, f"make_{args.data}")(args.samples, seed=args.seed, **noise)
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
    failures += _try_write(lambda: history.to_csv(out / "history.csv"), "loss and accuracy of every epoch")
    if history.rows:
        failures += _try_write(lambda: _saved(plot_history(history), out / "curves.png"),
                               "the training curves: loss and accuracy per epoch")
    failures += _try_write(lambda: _saved(plot_decision_boundary(model, X, y), out / "boundary.png"),
                           "the decision boundary with the data on top")
    return 1 if failures else 0


def _saved(figure, path):
    from micrograd_id.plots import save_figure

    return save_figure(figure, path)


def _hidden_sizes(text):
    sizes = [part for part in text.replace(" ", ",").split(",") if part]
    parse = _count(1, 1000)
    if not sizes:
        raise argparse.ArgumentTypeError(f"expected layer sizes such as 16,16, got {text!r}")
    return [parse(size) for size in sizes]


def _classify_parser(commands):
    classify = commands.add_parser(
        "classify", help="train an MLP classifier on a toy data set; write its decision boundary",
        description="Train an MLP with Adam on a 2-D toy data set (binary cross-entropy, or cross-entropy "
                    "for more than two classes); write DIR/boundary.png, DIR/curves.png and DIR/history.csv.")
    classify.add_argument("--data", choices=CLASSIFY_DATA, default="moons", help="the data set (default: moons)")
    classify.add_argument("--samples", type=_count(4, 100_000), default=CLASSIFY_SAMPLES, metavar="N",
                          help=f"number of points (default: {CLASSIFY_SAMPLES})")
    classify.add_argument("--noise", type=_noise, default=None,
                          help="standard deviation of the points' jitter (default: the data set's own)")
    classify.add_argument("--hidden", type=_hidden_sizes, default=_hidden_sizes(CLASSIFY_HIDDEN),
                          metavar="N[,N...]", help=f"hidden layer sizes (default: {CLASSIFY_HIDDEN})")
    classify.add_argument("--lr", type=_learning_rate, default=CLASSIFY_LR,
                          help=f"Adam's learning rate (default: {CLASSIFY_LR:g})")
    classify.add_argument("--epochs", type=_count(0, 100_000), default=CLASSIFY_EPOCHS,
                          help=f"passes over the data (default: {CLASSIFY_EPOCHS})")
    classify.add_argument("--batch-size", type=_count(1, 100_000), default=None, metavar="N",
                          help="samples per step (default: all of them, one step per epoch)")
    classify.add_argument("--seed", type=_count(0, 2**32 - 1), default=0,
                          help="random seed of the data, the initial weights and the shuffling (default: 0)")
    classify.add_argument("--out", type=_folder, default=Path("out"), metavar="DIR",
                          help="folder for the pictures and the history, created if missing (default: out)")
    classify.set_defaults(run=_classify)


def _noise(text):
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"noise is a standard deviation and must be >= 0, got {text!r}")
    return value


def main(argv=None):
    """Run the command line; return the exit status (0 ok, 1 failed while running, 2 bad arguments)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2, message already printed)
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    where = f"{PROG} {args.command}"
    try:
        return args.run(args)
    except BrokenPipeError:  # the reader (e.g. `head`) has all it wants
        return _quiet_broken_pipe()
    except UsageError as problem:
        print(f"{where}: error: {_one_line(problem)} (see {where} --help)", file=sys.stderr)
        return 2
    except (ValueError, TypeError, ArithmeticError, OSError, ImportError, RuntimeError) as problem:
        print(f"{where}: {_one_line(problem)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{where}: interrupted", file=sys.stderr)
        return 130


def _quiet_broken_pipe():
    """Exit status 141 (128 + SIGPIPE), like Unix tools, with no message at interpreter exit either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's final flush of stdout would fail again
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (captured)
        pass
    return 141


def _one_line(problem):
    text = " ".join(str(problem).split()) or type(problem).__name__
    return text


if __name__ == "__main__":
    sys.exit(main())
