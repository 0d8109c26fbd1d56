"""Regenerate the tutorial's pictures and every number in docs/tutorial.md and README.md.

The pictures go to docs/images/; the numbers sit in the pages between
``<!-- BEGIN name -->`` and ``<!-- END name -->`` markers and are rebuilt
from the library's own output, so the prose never quotes a number by hand.

    .venv/bin/python docs/make_figures.py           # pictures and text (`make docs`)
    .venv/bin/python docs/make_figures.py --text    # only the text sections
    .venv/bin/python docs/make_figures.py --check   # exit 1 if a text section is stale
"""

import argparse
import contextlib
import io
import re
import sys
import tempfile
from pathlib import Path

from micrograd_id import cli, grad, jvp
from micrograd_id._files import write_atomic
from micrograd_id.engine import topological_order
from micrograd_id.explain import explain
from micrograd_id.gradcheck import compare_gradients
from micrograd_id.identity import error, forward
from micrograd_id.nn import MLP, IdentityNet, half_squared_error
from micrograd_id.train import train

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
IMAGES = DOCS / "images"
TUTORIAL = DOCS / "tutorial.md"
README = ROOT / "README.md"

W0, LR, STEPS = cli.DEMO_W0, cli.DEMO_LR, cli.DEMO_STEPS  # the same run as `micrograd-id demo`
BIAS_STEPS = cli.DEMO_BIAS_STEPS


def seed_error(w=W0, x=1.0, bias=None):
    net = IdentityNet(w=w, bias=bias)
    E = half_squared_error(net(x), x)
    E.backward()
    return net, E


def code(text):
    return "```text\n" + text.rstrip("\n") + "\n```"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def g(x, digits=6):
    return f"{x:.{digits}g}"


# ----- the text sections ------------------------------------------------------------------

def section_nodes():
    """Every labelled node of the seed's graph at w = 0.3, x = 1: data and gradient."""
    _, E = seed_error()
    rows = [[f"`{v.label}`", g(v.data), g(v.grad)] for v in topological_order(E) if v.label]
    return table(["node", "data (forward)", "grad = ∂E/∂node (backward)"], rows)


def section_explain():
    net, E = seed_error()
    return code(f">>> print(explain(E, wrt=net.w))\n{explain(E, net.w)}")


def section_explain_mlp():
    model = MLP(2, [4, 4, 1], seed=1, activation="tanh")
    loss = half_squared_error(model([1.0, -2.0]), 1.0)
    loss.backward()
    w = model.parameters()[0]
    return code(f">>> print(explain(loss, wrt=model.parameters()[0], max_paths=2))\n"
                f"{explain(loss, w, max_paths=2)}")


def section_compare():
    table_ = compare_gradients(w=[-2.0, W0, 2.0], x=[0.0, 1.0])
    return code(f">>> print(compare_gradients(w=[-2, 0.3, 2], x=[0, 1]))\n{table_}")


def section_sign():
    """At x = 1 the gradient is negative for every w: the factors of eq. (6), with signs."""
    rows = []
    for w in (-4.0, -1.0, W0, 2.0, 6.0):
        a = forward(w, 1.0)
        net, _ = seed_error(w, 1.0)
        rows.append([g(w), g(a), g(a - 1.0), g(a * (1 - a)), g(net.w.grad)])
    return table(["w", "ŷ = A(w)", "ŷ − y", "A(1 − A)", "∂E/∂w"], rows)


def section_taylor():
    """One step from w = 0.3 (x = 1): first-order prediction −lr·g² against the real change."""
    net, E = seed_error()
    grad = net.w.grad
    rows = []
    for lr in (0.01, 0.1, 1.0, 2.0, 10.0, 50.0):
        step = -lr * grad
        predicted = grad * step
        actual = error(W0 + step, 1.0) - E.data
        rows.append([g(lr), g(step), g(predicted), g(actual), f"{actual / predicted:.3f}"])
    return table(["lr", "Δw = −lr·∂E/∂w", "predicted ΔE = ∂E/∂w·Δw", "actual ΔE", "actual / predicted"], rows)


def section_demo_run():
    """Sections 1 and 2 of `micrograd-id demo` as it prints them (pictures go to a scratch folder)."""
    with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(io.StringIO()) as out, \
            contextlib.redirect_stderr(io.StringIO()):
        status = cli.main(["demo", "--out", scratch])
    if status != 0:
        raise RuntimeError(f"micrograd-id demo exited with {status}")
    text = out.getvalue()
    return code("$ make demo\n" + text[:text.index("\n3. Pictures")].rstrip())


def section_descent():
    history = train(IdentityNet(W0), xs=[0.0, 1.0], lr=LR, steps=8)
    rows = [[str(r["step"]), g(r["x"]), g(r["w"]), g(r["E"]), g(r["dE/dw"])] for r in history.rows]
    return table(["step", "x", "w (before the step)", "E", "∂E/∂w"], rows)


def section_x0():
    rows = []
    for w in (-10.0, -1.0, 0.0, W0, 5.0, 100.0):
        net, E = seed_error(w, 0.0)
        rows.append([g(w), g(net(0.0).data), g(E.data), g(net.w.grad)])
    return table(["w", "ŷ = A(w·0)", "E", "∂E/∂w"], rows)


def section_x1():
    net = IdentityNet(W0)
    rows, done = [], 0
    for total in (0, 10, 100, 1000, 10_000, 100_000):
        if total > done:
            train(net, xs=[1.0], lr=LR, steps=total - done, progress=False)
            done = total
        net.zero_grad()  # train() leaves the last step's gradient in .grad
        E = half_squared_error(net(1.0), 1.0)
        E.backward()
        rows.append([f"{total:,}", g(net.w.data), g(E.data), g(net.w.grad)])
    return table(["steps on x = 1", "w", "E", "∂E/∂w"], rows)


def section_bias():
    net = IdentityNet(W0, bias=0.0)
    rows, done = [], 0
    for total in (0, 100, BIAS_STEPS, 10_000):
        if total > done:
            train(net, xs=[0.0, 1.0], lr=LR, steps=total - done, progress=False)
            done = total
        w, b = net.w.data, net.b.data
        rows.append([f"{total:,}", g(w), g(b), g(forward(w, 0.0, b)), g(forward(w, 1.0, b)),
                     g(error(w, 0.0, b=b), 3), g(error(w, 1.0, b=b), 3)])
    return table(["steps", "w", "b", "ŷ at x = 0", "ŷ at x = 1", "E at x = 0", "E at x = 1"], rows)


def section_explain_x0():
    net, E = seed_error(W0, 0.0)
    text = explain(E, net.w)
    start = text.index("path 1 of 1")
    return code(f">>> print(explain(E, wrt=net.w))   # x = 0\n…\n{text[start:text.index('Reverse mode')].rstrip()}")


def section_bias_explain():
    net, E = seed_error(W0, 0.0, bias=0.0)
    text = explain(E, net.b)
    return code(f">>> print(explain(E, wrt=net.b))   # x = 0, b = 0\n{text[:text.index('No path goes')].rstrip()}")


def section_forward_mode():
    """Forward mode against reverse mode on an MLP: sweeps and node visits for the whole gradient."""
    model = MLP(2, [4, 4, 1], seed=1, activation="tanh")
    loss = half_squared_error(model([1.0, -2.0]), 1.0)
    params = model.parameters()
    nodes = len(topological_order(loss))
    reverse = grad(loss, params)
    forward_mode = [jvp(loss, params, [float(i == k) for i in range(len(params))]) for k in range(len(params))]
    worst = max(abs(a - b) for a, b in zip(forward_mode, reverse))
    rows = [["forward mode (jvp)", "one per input", g(len(params)), g(len(params) * nodes)],
            ["reverse mode (grad)", "one per output", "1", g(nodes)]]
    return (table(["", "sweeps for the gradient", "sweeps here", "node visits"], rows) +
            f"\n\nThe graph has {nodes} nodes and {len(params)} parameters. The two gradients agree to "
            f"{worst:.1g} (largest difference over the {len(params)} entries).")


TUTORIAL_SECTIONS = {
    "nodes": section_nodes, "explain": section_explain, "compare": section_compare,
    "sign": section_sign, "taylor": section_taylor, "descent": section_descent, "x0": section_x0, "explain-x0": section_explain_x0,
    "x1": section_x1, "bias": section_bias, "bias-explain": section_bias_explain,
    "explain-mlp": section_explain_mlp,
    "forward-mode": section_forward_mode,
}
README_SECTIONS = {"demo-output": section_demo_run}


# ----- markers ------------------------------------------------------------------------------

def fill(path, text, sections):
    """text with each named section's body replaced; an error if a marker pair is missing."""
    for name, body in sections.items():
        pattern = re.compile(rf"(<!-- BEGIN {re.escape(name)} -->\n).*?(<!-- END {re.escape(name)} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{path.name}: missing <!-- BEGIN {name} --> ... <!-- END {name} --> markers")
        text = pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(2), text)
    return text


def pages():
    """[(path, current text, regenerated text)] for the pages with generated sections."""
    result = []
    for path, sections in ((TUTORIAL, TUTORIAL_SECTIONS), (README, README_SECTIONS)):
        text = path.read_text(encoding="utf-8")
        result.append((path, text, fill(path, text, {name: make() for name, make in sections.items()})))
    return result


# ----- pictures -------------------------------------------------------------------------------

def pictures():
    from micrograd_id.landscape import plot_landscape
    from micrograd_id.viz import render

    IMAGES.mkdir(exist_ok=True)
    net, E = seed_error()
    written = [render(E, IMAGES / "graph.png"), render(E, IMAGES / "graph_highlight.png", highlight=net.w)]
    history = train(IdentityNet(W0), xs=[0.0, 1.0], lr=LR, steps=STEPS, progress=False)
    written.append(plot_landscape(IMAGES / "landscape.png", history,
                                  title=f"E(w) of the seed's network and {STEPS} steps of descent (lr = {LR:g})"))
    biased = train(IdentityNet(W0, bias=0.0), xs=[0.0, 1.0], lr=LR, steps=BIAS_STEPS, progress=False)
    written.append(plot_landscape(IMAGES / "landscape_bias.png", biased,
                                  title=f"With a bias: mean E over (w, b) and {BIAS_STEPS:,} steps of descent "
                                        f"(lr = {LR:g})"))
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only compare the text sections; exit 1 if stale")
    mode.add_argument("--text", action="store_true", help="rewrite the text sections, skip the pictures")
    args = parser.parse_args(argv)
    stale = []
    for path, old, new in pages():
        if old == new:
            continue
        stale.append(path)
        if not args.check:
            write_atomic(path, new)
            print(f"updated {path.relative_to(ROOT)}")
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)}: generated sections are out of date; run `make docs`", file=sys.stderr)
        return 1 if stale else 0
    if not args.text:
        for path in pictures():
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
