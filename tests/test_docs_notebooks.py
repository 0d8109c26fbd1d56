"""The notebooks in docs/notebooks run top to bottom in a real kernel, and show what they promise."""

import re
from pathlib import Path

import pytest
from conftest import load_script

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

FOLDER = Path(__file__).resolve().parent.parent / "docs" / "notebooks"


def load_maker():
    return load_script(FOLDER / "make_notebooks.py")


def executed(name):
    book = nbformat.read(FOLDER / name, as_version=4)
    nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(FOLDER)}}).execute()
    return book


def outputs_of(book):
    """[(cell source, {mime type: data})] for every code cell's displayed results."""
    found = []
    for cell in book.cells:
        if cell.cell_type == "code":
            data = {}
            for output in cell.outputs:
                assert output.output_type != "error", f"{cell.source!r} raised {output.get('ename')}"
                data.update(output.get("data", {}))
            found.append((cell.source, data))
    return found


def test_the_notebooks_are_written_from_their_script():
    assert load_maker().main(check=True) == [], "run `make docs` (docs/notebooks/make_notebooks.py)"


def test_the_identity_network_notebook_runs_and_shows_graph_chain_rule_and_explorer():
    pytest.importorskip("matplotlib")
    shown = dict(outputs_of(executed("identity_network.ipynb")))
    by_start = {source.splitlines()[-1]: data for source, data in shown.items()}
    both = by_start["hand_gradient(0.3, 1.0), net.w.grad   # eq. (6) and autodiff: the same number"]["text/plain"]
    eq6, autodiff = (float(n) for n in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", both))  # a tuple shows full repr
    assert eq6 == autodiff and f"{eq6:.12g}" == "-0.104031063868", both
    graph = next(data for source, data in shown.items() if "draw_dot" in source)
    assert "image/svg+xml" in graph and "local" not in graph.get("text/plain", "")
    chain = next(data for source, data in shown.items() if "explain(E" in source)
    assert "path 1 of 1" in chain.get("text/plain", "") and "\\n" not in chain["text/plain"]
    landscape = next(data for source, data in shown.items() if "plot_landscape" in source)
    assert "image/png" in landscape
    page = next(data for source, data in shown.items() if "explore(E" in source)
    assert "Next step" in page["text/html"]


def test_the_two_moons_notebook_trains_a_classifier_and_draws_it():
    pytest.importorskip("matplotlib")
    shown = outputs_of(executed("two_moons.ipynb"))
    pictures = [data for source, data in shown if "plot_" in source and "import" not in source.splitlines()[-1]]
    assert pictures and all("image/png" in data for data in pictures)
    last_row = next(data for source, data in shown if source == "history.rows[-1]")["text/plain"]
    assert "'accuracy'" in last_row
