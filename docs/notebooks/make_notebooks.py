"""Write the notebooks in this folder from the cells below, executed (``make docs`` runs it).

The notebooks are kept as code here so that a change to the library's API
shows up in a diff of this file. Each is run top to bottom with nbclient and
stored with its outputs, so that GitHub and the docs site show the pictures;
the test suite runs them again and checks that the stored outputs are current.

    .venv/bin/python docs/notebooks/make_notebooks.py           # write and execute (`make docs`)
    .venv/bin/python docs/notebooks/make_notebooks.py --check   # exit 1 if a notebook's cells differ from here
"""

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

IDENTITY = [
    ("markdown", """# The identity network, end to end

One weight `w`, one input `x ∈ {0, 1}`, and the target `y = x`:

* the output is `ŷ = sigmoid(w·x)`,
* the error is `E = ½(ŷ − y)²`,
* and by hand (eq. 6) `∂E/∂w = (ŷ − y) · x · (1 − ŷ) · ŷ`.

This notebook builds the network from `Value` ops, lets reverse mode compute
`∂E/∂w`, checks it against eq. (6) and a central difference, draws the graph,
spells out the chain rule, and trains `w` by gradient descent."""),
    ("code", """from micrograd_id.identity import IdentityNet, hand_gradient, compare_gradients
from micrograd_id.losses import half_squared_error

net = IdentityNet(w=0.3)
E = half_squared_error(net(1.0), 1.0)   # y = x = 1
E.backward()
net.w"""),
    ("code", """hand_gradient(0.3, 1.0), net.w.grad   # eq. (6) and autodiff: the same number"""),
    ("code", """compare_gradients(w=[-2.0, 0.3, 2.0], x=[0.0, 1.0])   # autodiff, eq. (6), central differences"""),
    ("markdown", """## The graph, with every node's value and gradient

Each arrow into an operation carries its local derivative: multiplying them
along the path from `E` down to `w` is the chain rule."""),
    ("code", """from micrograd_id.viz import draw_dot

draw_dot(E, local_derivatives=True, rankdir="TB")"""),
    ("code", """from micrograd_id.explain import explain

explain(E, wrt=net.w)"""),
    ("markdown", """## Training: w ← w − lr · ∂E/∂w

At `x = 0` the output is 0.5 whatever `w` is, so the gradient is 0 and the
step does nothing; at `x = 1` the error only tends to 0 as `w` grows."""),
    ("code", """from micrograd_id.train import train

history = train(IdentityNet(w=0.3), xs=[0.0, 1.0], lr=2.0, steps=60)
history"""),
    ("code", """from micrograd_id.plots import plot_landscape

plot_landscape(history)"""),
    ("markdown", """## Step through backprop yourself

The explorer replays the forward pass node by node, the backward pass one op
at a time, and the training steps on the error curve (← and → step)."""),
    ("code", """from micrograd_id.explore import explore

explore(E, history)"""),
]

MOONS = [
    ("markdown", """# Beyond one weight: a classifier on two moons

A 2-16-16-1 MLP, built from the same `Value` ops as the identity network,
learns to separate two interleaved half-moons with Adam and a binary
cross-entropy loss."""),
    ("code", """from micrograd_id.data import make_moons
from micrograd_id.losses import binary_cross_entropy
from micrograd_id.nn import MLP
from micrograd_id.optim import Adam
from micrograd_id.train import fit

X, y = make_moons(100, noise=0.1, seed=0)
model = MLP(2, [16, 16, 1], seed=0)
history = fit(model, X, y, loss=binary_cross_entropy, optimizer=Adam(model.parameters(), lr=0.05),
              epochs=40, progress=False)
history"""),
    ("code", """history.rows[-1]"""),
    ("code", """from micrograd_id.plots import plot_decision_boundary, plot_history

plot_history(history)"""),
    ("code", """plot_decision_boundary(model, X, y)"""),
]

NOTEBOOKS = {"identity_network.ipynb": IDENTITY, "two_moons.ipynb": MOONS}


def notebook(cells):
    """The notebook of these cells, not yet executed."""
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    book.cells = [make[kind](source) for kind, source in cells]
    for number, cell in enumerate(book.cells):
        cell.id = f"cell-{number}"  # fixed ids, so writing again changes only what the library prints
    return book


def execute(book):
    """book run top to bottom in a fresh kernel, in this folder (no timings recorded: they change every run)."""
    import nbclient

    nbclient.NotebookClient(book, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(HERE)}}).execute()
    return book


def cells_of(book):
    """[(cell type, source)]: what the script decides, apart from the outputs."""
    return [(cell.cell_type, cell.source) for cell in book.cells]


def main(check=False):
    """Write every notebook, executed; with check, only list those whose stored cells differ from the script's."""
    stale = []
    for name, cells in NOTEBOOKS.items():
        path, book = HERE / name, notebook(cells)
        if check:
            if not path.exists() or cells_of(nbformat.read(path, as_version=4)) != cells_of(book):
                stale.append(name)
            continue
        text = nbformat.writes(execute(book)) + "\n"
        tmp = path.with_suffix(".ipynb.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # whole or not at all
        print(f"wrote {path.relative_to(HERE.parent.parent)} (executed)")
    return stale


if __name__ == "__main__":
    sys.exit(1 if main(check="--check" in sys.argv) else 0)
