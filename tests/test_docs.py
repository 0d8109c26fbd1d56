"""The docs stay true: generated numbers are current, every public name is documented, links resolve."""

import importlib
import re
from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MODULES = ["micrograd_id", "micrograd_id.engine", "micrograd_id.nn", "micrograd_id.losses", "micrograd_id.optim",
           "micrograd_id.train", "micrograd_id.identity", "micrograd_id.gradcheck", "micrograd_id.viz",
           "micrograd_id.explain", "micrograd_id.explore", "micrograd_id.plots", "micrograd_id.data", "micrograd_id.cli",
           "micrograd_id.compiled"]


def public_names(module):
    """__all__, or else the functions and classes the module itself defines without a leading _."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__]


def test_generated_numbers_in_the_docs_are_current():
    pytest.importorskip("matplotlib")  # the demo section includes the landscape step
    make_figures = load_script(DOCS / "make_figures.py")
    stale = [path.name for path, old, new in make_figures.pages() if old != new]
    assert not stale, f"{stale}: generated sections are out of date; run `make docs`"


def test_the_api_reference_renders_every_module_from_its_docstrings():
    """docs/api.md has a mkdocstrings block (`::: micrograd_id.x`) for every public module of the package."""
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    rendered = set(re.findall(r"^::: (micrograd_id\.\w+)$", api, re.M))
    package = {f"micrograd_id.{path.stem}" for path in (ROOT / "micrograd_id").glob("*.py")
               if not path.stem.startswith("_")}
    package |= {f"micrograd_id.{path.parent.name}" for path in (ROOT / "micrograd_id").glob("*/__init__.py")}
    assert package - rendered == set(), "docs/api.md has no `::: module` block for these"


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_has_a_docstring_for_the_reference(module_name):
    """mkdocstrings renders what the docstring says: a public function or class without one shows nothing."""
    module = importlib.import_module(module_name)
    bare = [name for name in public_names(module)
            if callable(getattr(module, name)) and not (getattr(module, name).__doc__ or "").strip()]
    assert not bare, f"{module_name}: no docstring for {bare}"


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
    for name in ("graph.png", "graph_highlight.png", "landscape.png", "landscape_bias.png", "explorer.png",
                 "moons_boundary.png", "moons_curves.png"):
        assert (DOCS / "images" / name).read_bytes().startswith(b"\x89PNG"), name
    assert (DOCS / "images" / "descent.gif").read_bytes().startswith(b"GIF89a")
    assert "Next step" in (DOCS / "backprop.html").read_text(encoding="utf-8")


README_WIDTH = 880   # px: GitHub shows a README's images at most this wide


@pytest.mark.parametrize("name", ["graph.png", "graph_highlight.png"])
def test_graph_pictures_stay_legible_at_readme_width(name):
    """Node text (draw_dot's font size in points, drawn at 96 dpi) is >= 11 px once fit to 880 px."""
    from micrograd_id import Value
    from micrograd_id.viz import draw_dot

    points = float(re.search(r"node \[fontname=\S+ fontsize=([\d.]+)", draw_dot(Value(1.0)).source).group(1))
    width = int.from_bytes((DOCS / "images" / name).read_bytes()[16:20], "big")  # the PNG's IHDR
    shown = points * 96 / 72 * min(1.0, README_WIDTH / width)
    assert shown >= 11, f"{name} is {width} px wide: its text would be {shown:.1f} px at {README_WIDTH} px"


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


def test_the_tutorials_command_line_explain_lines_print_the_sections_they_name(capsys):
    """§10 says `micrograd-id explain ...  # §3` (or §8): the command prints that section's text."""
    from micrograd_id import cli

    text = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    block = text[text.index("## 10. "):]
    claims = re.findall(r"^micrograd-id (explain [^#\n]+?)\s+# §(\d+)", block, re.M)
    assert {section for _, section in claims} == {"3", "8"}
    for command, section in claims:
        name = {"3": "explain", "8": "bias-explain"}[section]
        body = re.search(rf"<!-- BEGIN {name} -->\n```text\n(?:>>> [^\n]*\n)+(.*?)(?:…\n)?```", text, re.S).group(1)
        assert cli.main(command.split()) == 0
        assert body.strip() in capsys.readouterr().out, f"`micrograd-id {command}` does not print §{section}"


@pytest.mark.parametrize("page", ["README.md", "docs/tutorial.md", "docs/api.md", "docs/higher_order.md",
                                  "docs/benchmarks.md"])
def test_the_docs_call_it_the_identity_network_not_the_seeds(page):
    assert "seed's" not in (ROOT / page).read_text(encoding="utf-8").lower()


def test_the_command_line_help_never_says_seeds(capsys):
    from micrograd_id import cli

    for command in ([], ["demo"], ["train"], ["draw"], ["explain"], ["check"], ["landscape"]):
        assert cli.main([*command, "--help"]) == 0
        assert "seed" not in capsys.readouterr().out.lower()


def test_the_readme_writes_eq6_where_it_first_uses_it():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first = text.index("eq. (6)")
    assert "∂E/∂w = (ŷ − y) · x · (1 − A(w·x)) · A(w·x)" in text[:first + 400]


@pytest.mark.parametrize("page", ["README.md", "docs/api.md"])
def test_the_check_gradients_example_shown_is_the_example_file(page):
    """The code on the page runs the same test as docs/examples/test_my_derivation.py."""
    text = (ROOT / page).read_text(encoding="utf-8")
    block = re.search(r"```python\n(import math\nfrom micrograd_id.gradcheck import check_gradients\n.*?)```",
                      text, re.S).group(1)
    namespace = {}
    exec(compile(block, page, "exec"), namespace)
    namespace["test_my_derivation"]()
    example = (DOCS / "examples" / "test_my_derivation.py").read_text(encoding="utf-8")
    for line in ("    a = 1 / (1 + math.exp(-w * x))",
                 "    return [(a - x) * x * (1 - a) * a, (a - x) * (w * (1 - a) * a - 1)]",
                 "    check_gradients(E, [0.3, 1.0], hand=my_dE)"):
        assert line in block and line in example
