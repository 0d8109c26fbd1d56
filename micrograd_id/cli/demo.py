"""demo: the identity network in one run: gradients three ways, a training table, two pictures and a page."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from micrograd_id._table import plural
from micrograd_id.cli import PROG
from micrograd_id.cli.arguments import DEMO_BIAS_STEPS, DEMO_LR, DEMO_ROWS, DEMO_STEPS, DEMO_W0, folder
from micrograd_id.cli.network import identity_error
from micrograd_id.cli.output import (
    explorer_unless_no_dot,
    indent,
    made_folder,
    plot,
    render_graph_or_source,
    steps_table,
    try_write,
)
from micrograd_id.identity import IdentityNet


def demo_command(args: argparse.Namespace) -> int:
    from micrograd_id.identity import compare_gradients, error
    from micrograd_id.train import train

    out = made_folder(args.out)
    print("The identity network: y_hat = sigmoid(w·x), E = ½(y_hat − y)², y = x, x ∈ {0, 1}\n")

    table = compare_gradients(w=[-2.0, DEMO_W0, 2.0], x=[0.0, 1.0])
    print("1. dE/dw three ways: autodiff (backward), eq. (6) by hand, central difference")
    print(indent(str(table)))
    print(f"   largest difference from autodiff: eq. (6) {table.max_error('eq6'):.1e}, "
          f"central difference {table.max_error('numerical'):.1e}\n")

    net = IdentityNet(w=DEMO_W0)
    history = train(net, xs=[0.0, 1.0], lr=DEMO_LR, steps=DEMO_STEPS, progress=False)
    rows = history.rows
    print(f"2. Gradient descent w ← w − lr·dE/dw from w = {DEMO_W0:g}, lr = {DEMO_LR:g}, "
          f"x alternating 0, 1 ({DEMO_STEPS} steps)")
    print(indent(steps_table(rows, ["step", "x", "w", "E", "dE/dw"], head=DEMO_ROWS)))
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
    w, b = biased.state_dict()["w"], biased.state_dict()["b"]
    print(f"   With a bias, y_hat = sigmoid(w·x + b), {DEMO_BIAS_STEPS} steps fit both inputs: w = {w:.3g}, "
          f"b = {b:.3g}, E = {error(w, 0.0, b=b):.2g} for x = 0 and {error(w, 1.0, b=b):.2g} for x = 1.\n")
    failures = _write_pictures(out, history)
    command, venv = _command_for_a_new_shell()
    print(f"\nNext: {command} explain --w {DEMO_W0:g} --x 1   (the chain rule behind dE/dw, with these numbers)")
    if venv is not None:
        print(f"      (the virtual environment's command; after `{_activate(venv)}`, plain `{PROG}` works too)")
    if failures:
        print(f"{PROG} demo: {plural(failures, 'picture')} not written (see the messages above); "
              f"the rest of the demo ran", file=sys.stderr)
        return 1
    return 0


def _command_for_a_new_shell() -> tuple[str, str | None]:
    """(how to run micrograd-id from a new shell, the virtual environment it lives in or None).

    Run from a virtual environment (as `make demo` does) the command is not
    on a new shell's PATH: name the environment's script, relative to the
    current folder when it lies inside it. Without a script (the package
    run from source), `python -m micrograd_id` with this interpreter.
    """
    scripts = Path(sys.prefix, "Scripts" if os.name == "nt" else "bin")
    script = scripts / (PROG + (".exe" if os.name == "nt" else ""))
    in_venv = sys.prefix != sys.base_prefix
    if not in_venv and shutil.which(PROG):
        return PROG, None
    if in_venv and script.exists():
        return _shell_path(script), _shell_path(Path(sys.prefix))
    return f"{_shell_path(Path(sys.executable))} -m micrograd_id", None


def _shell_path(path: Path) -> str:
    """path as typed in a shell: relative (./-less, e.g. .venv/bin/x) under the current folder, else absolute."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path.absolute())


def _activate(venv: str) -> str:
    return f"{venv}\\Scripts\\activate" if os.name == "nt" else f"source {venv}/bin/activate"


def _write_pictures(out: Path, history: Any) -> int:
    """The graph, the landscape and the explorer page into `out`; how many could not be written."""
    print(f"3. Pictures and a page, in {out}/:")
    failures = 0
    _, E = identity_error(DEMO_W0, 1.0)
    failures += try_write(lambda: render_graph_or_source(E, out / "graph.png", "w", local_derivatives=True,
                                                         rankdir="TB"),
                          f"the graph of E at w = {DEMO_W0:g}, x = 1: each node's value and gradient, "
                          f"each arrow's local derivative; red: the path from w")
    failures += try_write(lambda: plot(out / "landscape.png", history,
                                       title=f"E(w) of the identity network and {DEMO_STEPS} steps of descent "
                                             f"(lr = {DEMO_LR:g})"),
                          "the error landscape E(w) for x = 0, x = 1 and their mean, with the steps above")
    failures += try_write(lambda: explorer_unless_no_dot(out / "backprop.html", E, history),
                          "open in a browser: step through forward and backward, and the steps above")
    return failures


def add_demo(commands: Any) -> None:
    parser = commands.add_parser("demo", help="train the identity network, compare gradients, write two pictures "
                                              "and a page",
                                 description="Train the identity network; print autodiff vs eq. (6) vs central "
                                             "differences and the first steps; write two pictures, graph.png "
                                             "and landscape.png, and a page to open in a browser, backprop.html.")
    parser.add_argument("--out", type=folder, default=Path("out"), metavar="DIR",
                        help="folder for the pictures and the page, created if missing (default: out)")
    parser.set_defaults(run=demo_command)
