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
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # docs/_sections.py, also when loaded by path

from _sections import fill, markdown_table, update  # noqa: E402

from micrograd_id import cli, grad, jvp  # noqa: E402
from micrograd_id.cli import arguments  # noqa: E402
from micrograd_id._files import write_atomic  # noqa: E402
from micrograd_id.engine import topological_order
from micrograd_id.explain import explain
from micrograd_id.identity import IdentityNet, compare_gradients, derivation, error, forward
from micrograd_id.losses import half_squared_error
from micrograd_id.nn import MLP
from micrograd_id.train import train

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
IMAGES = DOCS / "images"
TUTORIAL = DOCS / "tutorial.md"
README = ROOT / "README.md"
API = DOCS / "api.md"

W0, LR, STEPS = arguments.DEMO_W0, arguments.DEMO_LR, arguments.DEMO_STEPS  # the same run as `micrograd-id demo`
BIAS_STEPS = arguments.DEMO_BIAS_STEPS


def identity_error(w=W0, x=1.0, bias=None):
    net = IdentityNet(w=w, bias=bias)
    E = half_squared_error(net(x), x)
    E.backward()
    return net, E


def code(text):
    return "```text\n" + text.rstrip("\n") + "\n```"


table = markdown_table


def g(x, digits=6):
    return f"{x:.{digits}g}"


# ----- the text sections ------------------------------------------------------------------

def section_nodes():
    """Every labelled node of the identity network's graph at w = 0.3, x = 1: data and gradient."""
    _, E = identity_error()
    rows = [[f"`{v.label}`", g(v.data), g(v.grad)] for v in topological_order(E) if v.label]
    return table(["node", "data (forward)", "grad = ∂E/∂node (backward)"], rows)


def section_explain():
    net, E = identity_error()
    return code(">>> from micrograd_id.explain import explain\n"
                ">>> from micrograd_id.identity import derivation\n"
                ">>> print(explain(E, wrt=net.w, derivation=derivation))\n"
                f"{explain(E, net.w, derivation=derivation)}")


def section_explain_mlp():
    model = MLP(2, [4, 4, 1], seed=1, activation="tanh")
    loss = half_squared_error(model([1.0, -2.0]), 1.0)
    loss.backward()
    w = model.parameters()[0]
    return code(f">>> print(explain(loss, wrt=model.parameters()[0], max_paths=2))\n"
                f"{explain(loss, w, max_paths=2)}")


def section_compare():
    table_ = compare_gradients(w=[-2.0, W0, 2.0], x=[0.0, 1.0])
    return code(f">>> from micrograd_id.identity import compare_gradients\n"
                f">>> print(compare_gradients(w=[-2, 0.3, 2], x=[0, 1]))\n{table_}")


def section_sign():
    """At x = 1 the gradient is negative for every w: the factors of eq. (6), with signs."""
    rows = []
    for w in (-4.0, -1.0, W0, 2.0, 6.0):
        a = forward(w, 1.0)
        net, _ = identity_error(w, 1.0)
        rows.append([g(w), g(a), g(a - 1.0), g(a * (1 - a)), g(net.w.grad)])
    return table(["w", "ŷ = A(w)", "ŷ − y", "A(1 − A)", "∂E/∂w"], rows)


def section_taylor():
    """One step from w = 0.3 (x = 1): first-order prediction −lr·g² against the real change."""
    net, E = identity_error()
    grad = net.w.grad
    rows = []
    for lr in (0.01, 0.1, 1.0, 2.0, 10.0, 50.0):
        step = -lr * grad
        predicted = grad * step
        actual = error(W0 + step, 1.0) - E.data
        rows.append([g(lr), g(step), g(predicted), g(actual), f"{actual / predicted:.3f}"])
    return table(["lr", "Δw = −lr·∂E/∂w", "predicted ΔE = ∂E/∂w·Δw", "actual ΔE", "actual / predicted"], rows)


EXAMPLE = DOCS / "examples" / "test_my_derivation.py"
EXAMPLE_SLIP = ("(w * (1 - a) * a - 1)", "(w * (1 - a) * a)")  # the `- 1` dropped from ∂E/∂x


def section_check_failure():
    """What pytest shows when the example test file holds a wrong formula."""
    source = EXAMPLE.read_text(encoding="utf-8")
    assert EXAMPLE_SLIP[0] in source, f"{EXAMPLE.name} no longer holds {EXAMPLE_SLIP[0]}"
    namespace = {}
    exec(compile(source.replace(*EXAMPLE_SLIP), str(EXAMPLE), "exec"), namespace)
    try:
        namespace["test_my_derivation"]()
    except AssertionError as failure:
        return code(f"E   AssertionError: {failure}".replace("\n", "\nE   "))
    raise AssertionError(f"{EXAMPLE.name} passed with a wrong formula")


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
        net, E = identity_error(w, 0.0)
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
    net, E = identity_error(W0, 0.0)
    text = explain(E, net.w)
    paths = text[text.index("path 1 of 1"):text.index("Reverse mode")].rstrip()
    why = text[text.index("Why "):text.index("No path goes")].rstrip()
    return code(">>> net = IdentityNet(w=0.3); E = half_squared_error(net(0.0), 0.0); E.backward()   # x = 0\n"
                f">>> print(explain(E, wrt=net.w))\n…\n{paths}\n…\n{why}\n…")


def section_bias_explain():
    net, E = identity_error(W0, 0.0, bias=0.0)
    text = explain(E, net.b)
    return code(">>> net = IdentityNet(w=0.3, bias=0.0); E = half_squared_error(net(0.0), 0.0); E.backward()\n"
                f">>> print(explain(E, wrt=net.b))   # x = 0, b = 0\n{text[:text.index('No path goes')].rstrip()}\n…")


# The snippets §10 shows, run as written: each section executes its snippet and prints what it printed.
COMPILED_SOURCE = """\
from micrograd_id import Value
from micrograd_id.compiled import compile_graph
from micrograd_id.identity import IdentityNet
from micrograd_id.losses import half_squared_error

net = IdentityNet(w=0.3)
x, y = Value(1.0, label="x"), Value(1.0, label="y")  # the compiled graph's inputs: Values, so they have names
E = half_squared_error(net(x), y)
cg = compile_graph(E, inputs=[net.w, x, y], wrt=[net.w])
"""
COMPILED_MLP = """\
from micrograd_id.compiled import compile_graph
from micrograd_id.losses import half_squared_error
from micrograd_id.nn import MLP

model = MLP(2, [4, 4, 1], seed=1, activation="tanh")  # §9's network and sample
loss = half_squared_error(model([1.0, -2.0]), 1.0)
cg = compile_graph(loss, inputs=model.parameters())
"""


def _compiled(snippet):
    """The compiled graph ``cg`` that the snippet makes, run as written."""
    names = {}
    exec(snippet, names)  # noqa: S102 - the tutorial's own snippet
    return names["cg"]


def section_compiled_source():
    source = _compiled(COMPILED_SOURCE).source
    return "```python\n" + COMPILED_SOURCE + "```\n\n```python\n>>> print(cg.source)\n" + source.rstrip() + "\n```"


def section_compiled_mlp():
    """The scalar program of §9's network: its first lines, one neuron a line (… stands for what is left out)."""
    lines = _compiled(COMPILED_MLP).scalar_source.splitlines()
    signature = lines[0].split(", ")
    backward = next(i for i, line in enumerate(lines) if "# backward" in line)
    excerpt = [", ".join(signature[:3]) + ", …, " + signature[-1], "    # forward: …"] + \
        [line.split("  # ")[0].rstrip() + "  # …" for line in lines[3:12]] + ["    …"]
    return "```python\n" + COMPILED_MLP + "```\n\n```python\n>>> print(cg.scalar_source)\n" + \
        "\n".join(excerpt) + f"\n```\n\n{len(lines)} lines: {backward - 3} forward, the rest backward."


def section_compiled_layers():
    """The same graph's layer form: what runs on arrays."""
    source = _compiled(COMPILED_MLP).source
    return "```python\n>>> print(cg.source)\n" + source.rstrip() + f"\n```\n\n{source.count(chr(10))} lines."


def section_compiled_branch():
    from micrograd_id.compiled import compile_graph
    from micrograd_id.engine import Value

    def f(x):
        return x * x if x > 0 else -3 * x

    x = Value(2.0, label="x")
    cg = compile_graph(f(x), [x])
    return code(">>> def f(x):\n...     return x * x if x > 0 else -3 * x   # Python looks at the number\n"
                f">>> x = Value(2.0, label='x')\n>>> cg = compile_graph(f(x), [x])   # recorded at x = 2: x * x\n"
                f">>> cg(-1.0)                         # (value, [gradient]): still x * x\n{cg(-1.0)!r}\n"
                f">>> f(Value(-1.0)).data              # the Python, run again, takes the other branch\n"
                f"{f(Value(-1.0)).data!r}")


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
    "compiled-source": section_compiled_source, "compiled-mlp": section_compiled_mlp,
    "compiled-layers": section_compiled_layers,
    "compiled-branch": section_compiled_branch,
    "nodes": section_nodes, "explain": section_explain, "compare": section_compare,
    "sign": section_sign, "taylor": section_taylor, "descent": section_descent, "x0": section_x0, "explain-x0": section_explain_x0,
    "x1": section_x1, "bias": section_bias, "bias-explain": section_bias_explain,
    "explain-mlp": section_explain_mlp,
    "forward-mode": section_forward_mode,
}
README_SECTIONS = {"demo-output": section_demo_run, "check-gradients-failure": section_check_failure}
API_SECTIONS = {"check-gradients-failure": section_check_failure}
PAGES = ((TUTORIAL, TUTORIAL_SECTIONS), (README, README_SECTIONS), (API, API_SECTIONS))


# ----- the pages ------------------------------------------------------------------------------

def bodies():
    """[(page, {section name: freshly computed body})] for every page this script fills."""
    return [(path, {name: make() for name, make in sections.items()}) for path, sections in PAGES]


def pages():
    """[(path, current text, regenerated text)] for the pages with generated sections."""
    result = []
    for path, fresh in bodies():
        text = path.read_text(encoding="utf-8")
        result.append((path, text, fill(path, text, fresh)))
    return result


# ----- pictures -------------------------------------------------------------------------------

def pictures():
    from micrograd_id.plots import plot_landscape
    from micrograd_id.viz import render

    IMAGES.mkdir(exist_ok=True)
    net, E = identity_error()
    # Top to bottom: narrow enough that the text stays legible at a README's width (~880 px).
    graph = {"local_derivatives": True, "rankdir": "TB"}
    written = [render(E, IMAGES / "graph.png", **graph),
               render(E, IMAGES / "graph_highlight.png", highlight=net.w, **graph)]
    history = train(IdentityNet(W0), xs=[0.0, 1.0], lr=LR, steps=STEPS, progress=False)
    written.append(descent_animation(IMAGES / "descent.gif", history))
    written += explorer_page(E, history)
    plot_landscape(history, path=IMAGES / "landscape.png",
                   title=f"E(w) of the identity network and {STEPS} steps of descent (lr = {LR:g})")
    written.append(IMAGES / "landscape.png")
    biased = train(IdentityNet(W0, bias=0.0), xs=[0.0, 1.0], lr=LR, steps=BIAS_STEPS, progress=False)
    plot_landscape(biased, path=IMAGES / "landscape_bias.png",
                   title=f"With a bias: mean E over (w, b) and {BIAS_STEPS:,} steps of descent (lr = {LR:g})")
    written.append(IMAGES / "landscape_bias.png")
    return written + classifier_pictures()


def classifier_pictures():
    """The README's classifier: `micrograd-id classify`'s defaults, two moons, a 2-16-16-1 MLP with Adam."""
    from micrograd_id.data import make_moons
    from micrograd_id.losses import binary_cross_entropy
    from micrograd_id.optim import Adam
    from micrograd_id.plots import plot_decision_boundary, plot_history
    from micrograd_id.train import accuracy, fit

    X, y = make_moons(arguments.CLASSIFY_SAMPLES, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(model, X, y, loss=binary_cross_entropy, optimizer=Adam(model.parameters(), lr=arguments.CLASSIFY_LR),
                  epochs=arguments.CLASSIFY_EPOCHS, progress=False)
    title = (f"A 2-16-16-1 MLP after {arguments.CLASSIFY_EPOCHS} epochs of Adam on {len(y)} moons\n"
             f"training accuracy {accuracy(model, X, y):.0%}; the black line: logit = 0")
    plot_decision_boundary(model, X, y, path=IMAGES / "moons_boundary.png", title=title)
    plot_history(history, path=IMAGES / "moons_curves.png")
    return [IMAGES / "moons_boundary.png", IMAGES / "moons_curves.png"]


def descent_animation(path, history):
    """An animated GIF of the descent: each step on E(w) for its x, the tangent and the step −lr·∂E/∂w."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    ws = np.linspace(-1.0, 3.5, 300)
    frames = []
    for row in history.rows:
        w, x, E, g = row["w"], row["x"], row["E"], row["dE/dw"]
        fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=90)
        for other, colour in ((0.0, "#9ecae1"), (1.0, "#1f77b4")):
            ax.plot(ws, error(ws, other), color=colour if other == x else "#dddddd", lw=2.5 if other == x else 1.5,
                    label=f"E(w) for x = {other:g}")
        near = np.linspace(w - 0.6, w + 0.6, 2)
        ax.plot(near, E + g * (near - w), "--", color="#ff7f0e", lw=2, label="tangent, slope ∂E/∂w")
        step = -LR * g
        if step:
            ax.annotate("", xy=(w + step, E + g * step), xytext=(w, E),
                        arrowprops={"arrowstyle": "-|>", "color": "#d62728", "lw": 2.2})
        ax.plot([w], [E], "o", color="#d62728", ms=8)
        why = "x = 0: ∂E/∂w = 0, w cannot move" if g == 0 else f"step −lr·∂E/∂w = {step:+.3f}"
        ax.set_title(f"step {row['step']}: x = {x:g}, w = {w:.3f}, E = {E:.4f}\n{why}", fontsize=11)
        ax.set(xlabel="w", ylabel="E", xlim=(ws[0], ws[-1]), ylim=(0.0, 0.16))
        ax.legend(loc="upper right", fontsize=9)
        fig.tight_layout()
        fig.canvas.draw()
        frames.append(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB").quantize(64))
        plt.close(fig)
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=450, loop=0)
    return write_atomic(path, buffer.getvalue())


def explorer_page(E, history):
    """docs/backprop.html and docs/backprop_mlp.html, and screenshots of them in use (make_explorer_images.py)."""
    from make_explorer_images import pages

    return pages(E, history)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only compare the text sections; exit 1 if stale")
    mode.add_argument("--text", action="store_true", help="rewrite the text sections, skip the pictures")
    args = parser.parse_args(argv)
    status = max(update(path, fresh, check=args.check) for path, fresh in bodies())
    if args.check:
        return status
    if not args.text:
        for path in pictures():
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
