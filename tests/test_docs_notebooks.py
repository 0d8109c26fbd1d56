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


_EXECUTED = {}


def executed(name):
    """The notebook as stored, run again from the top in a fresh kernel (once per test session)."""
    if name not in _EXECUTED:
        _EXECUTED[name] = load_maker().execute(nbformat.read(FOLDER / name, as_version=4))
    return _EXECUTED[name]


VARIABLE = [(re.compile(r"0x[0-9a-fA-F]+"), "0x…"),  # memory addresses in reprs
            (re.compile(r"\d+(\.\d+)?\s*(s|ms|it/s|s/it)\b"), "… s")]  # timings


def shown(book):
    """Per code cell: its text outputs (normalised) and how many pictures it shows."""
    def text(output):
        if output.output_type == "stream":
            found = output.get("text", "")
        else:
            found = output.get("data", {}).get("text/plain", "")
        for pattern, replacement in VARIABLE:
            found = pattern.sub(replacement, found)
        return found

    return [([text(o) for o in cell.outputs if not (o.output_type == "stream" and o.get("name") == "stderr")],
             sum(key.startswith("image/") for o in cell.outputs for key in o.get("data", {})))
            for cell in book.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("name", ["identity_network.ipynb", "two_moons.ipynb"])
def test_the_stored_outputs_are_current(name):
    """GitHub and the docs site show the stored outputs: running the notebook again gives the same ones."""
    stored = nbformat.read(FOLDER / name, as_version=4)
    assert all(cell.outputs for cell in stored.cells if cell.cell_type == "code"), f"{name} is stored without outputs"
    fresh = executed(name)
    for number, (old, new) in enumerate(zip(shown(stored), shown(fresh))):
        assert old == new, f"{name}, code cell {number}: the stored output is stale; run `make docs`"


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


def test_the_normalised_text_keeps_what_matters():
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("execute_result", {"text/plain": "<Value at 0x7f3a2b> w=0.3 in 1.25 s"}),
        nbformat.v4.new_output("display_data", {"image/png": "iVBOR", "text/plain": "<Figure>"})])])
    assert shown(book) == [(["<Value at 0x…> w=0.3 in … s", "<Figure>"], 1)]


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
