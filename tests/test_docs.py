"""The docs stay true: generated numbers are current, every public name is documented, links resolve."""

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MODULES = ["micrograd_id", "micrograd_id.engine", "micrograd_id.nn", "micrograd_id.optim", "micrograd_id.train",
           "micrograd_id.identity", "micrograd_id.gradcheck", "micrograd_id.viz", "micrograd_id.explain",
           "micrograd_id.landscape", "micrograd_id.cli", "micrograd_id.compiled"]


def public_names(module):
    """__all__, or else the functions and classes the module itself defines without a leading _."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__]


def test_generated_numbers_in_the_docs_are_current():
    pytest.importorskip("matplotlib")  # the demo section includes the landscape step
    spec = importlib.util.spec_from_file_location("make_figures", DOCS / "make_figures.py")
    make_figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_figures)
    stale = [path.name for path, old, new in make_figures.pages() if old != new]
    assert not stale, f"{stale}: generated sections are out of date; run `make docs`"


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_is_in_the_api_reference(module_name):
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    module = importlib.import_module(module_name)
    missing = [name for name in public_names(module) if f"`{name}" not in api]
    assert not missing, f"docs/api.md does not document {module_name}: {missing}"


@pytest.mark.parametrize("page", ["README.md", "docs/tutorial.md", "docs/api.md"])
def test_local_links_and_images_resolve(page):
    path = ROOT / page
    text = path.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    assert targets
    for target in targets:
        if "://" in target:
            continue
        assert (path.parent / target).exists(), f"{page} links to {target}, which does not exist"


def test_readme_keeps_exactly_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Two commands\n.*?```sh\n(.*?)```", text, re.S).group(1)
    assert [line.split()[:2] for line in block.strip().splitlines()] == [["make", "demo"], ["make", "test"]]


def test_tutorial_images_were_generated():
    for name in ("graph.png", "graph_highlight.png", "landscape.png", "landscape_bias.png"):
        assert (DOCS / "images" / name).read_bytes().startswith(b"\x89PNG"), name


def tutorial_table(name):
    """The rows of the Markdown table between the tutorial's markers for `name`, as dicts."""
    text = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    body = re.search(rf"<!-- BEGIN {name} -->\n(.*?)<!-- END {name} -->", text, re.S).group(1)
    lines = [line.strip("|").split("|") for line in body.strip().splitlines()]
    header = [cell.strip() for cell in lines[0]]
    return [dict(zip(header, (float(c.replace(",", "")) for c in cells))) for cells in lines[2:]]


@pytest.mark.parametrize("name, x, w_column", [("x0", 0.0, "w"), ("x1", 1.0, "w"), ("sign", 1.0, "w"),
                                               ("descent", None, "w (before the step)")])
def test_tutorial_tables_agree_with_the_closed_forms(name, x, w_column):
    """An independent check of the generated tables: E and ∂E/∂w against eq. (6) in numpy."""
    from micrograd_id.identity import error, hand_gradient

    rows = tutorial_table(name)
    assert rows
    for row in rows:
        w, x_row = row[w_column], row.get("x", x)
        assert row["∂E/∂w"] == pytest.approx(hand_gradient(w, x_row), rel=1e-5, abs=1e-12)
        if "E" in row:
            assert row["E"] == pytest.approx(error(w, x_row), rel=1e-5)


def test_tutorial_bias_table_fits_both_inputs_in_the_end():
    from micrograd_id.identity import error

    rows = tutorial_table("bias")
    for row in rows:
        for x in (0.0, 1.0):
            assert row[f"E at x = {x:g}"] == pytest.approx(error(row["w"], x, b=row["b"]), rel=5e-3)  # E shown to 3 digits
    assert rows[-1]["E at x = 0"] < 1e-3 and rows[-1]["E at x = 1"] < 1e-3
