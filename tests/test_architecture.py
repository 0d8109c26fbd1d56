"""The package keeps the layers of docs/architecture.md: its imports are read (ast) and held to the page.

The layer table is parsed from the page itself, so a module added to the
package without a place on the page fails here, and so does every arrow the
page says must never exist.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "micrograd_id"
PAGE = ROOT / "docs" / "architecture.md"

ENGINE_LAYER = ("ops", "engine", "notation")
KNOW_NO_NETWORK = ("viz", "explain", "explore", "compiled", "nn", "losses", "optim", "data", "train", "gradcheck")
VIEWS_AND_COMPILER = ("viz", "explain", "explore", "compiled")
DRAWING_LIBRARIES = ("graphviz", "matplotlib", "IPython", "PIL")
MLP_LABEL_PATTERN = re.compile(r"L\(\\d\+?\)\\?\.N|L\{[^}]*\}\.N\{?")  # a regex or an f-string of L{i}.N{j}


def layers():
    """{module: layer} from the page's table (module names in backticks, the package's root as micrograd_id)."""
    table = {}
    for number, modules in re.findall(r"^\|\s*(\d+)\s*\|([^|]*)\|", PAGE.read_text(encoding="utf-8"), re.M):
        for name in re.findall(r"`([^`]+)`", modules):
            table[name] = int(number)
    return table


def modules():
    """{module name: [(its package's dotted parts, parsed source)]}; a subpackage's files count as its name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = "micrograd_id" if parts == ("__init__",) else parts[0]
        package = ("micrograd_id", *parts[:-1])  # what a relative import starts from
        found.setdefault(name, []).append((package, ast.parse(path.read_text(encoding="utf-8"), str(path))))
    return found


MODULES = modules()


def trees(name):
    return [tree for _, tree in MODULES[name]]


def imported(dotted, names):
    """(the package's module that a `from dotted import names` reaches, the names imported from it)."""
    parts = dotted.split(".")
    if len(parts) > 1:
        return parts[1], names
    modules = [n for n in names if n in MODULES]  # from micrograd_id import engine
    return (modules[0], []) if modules and len(modules) == len(names) else ("micrograd_id", names)


def imports(name):
    """[(imported module's top-level name, imported names, line)] for each import of another package module."""
    found = []
    for package, tree in MODULES[name]:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative: from the file's own package upwards
                    base = package[:len(package) - (node.level - 1)]
                    dotted = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    dotted = node.module or ""
                if dotted.split(".")[0] == "micrograd_id":
                    target, names = imported(dotted, [alias.name for alias in node.names])
                    found.append((target, names, node.lineno))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == "micrograd_id":
                        found.append((parts[1] if len(parts) > 1 else "micrograd_id", [], node.lineno))
    return [(target, names, line) for target, names, line in found if target != name]


def module_aliases(name):
    """The local names under which a module holds other modules of the package (import x as _x, from . import y)."""
    aliases = {}
    for tree in trees(name):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "micrograd_id":
                for alias in node.names:
                    if alias.name in MODULES:
                        aliases[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("micrograd_id.") and alias.asname:
                        aliases[alias.asname] = alias.name.split(".")[1]
    return aliases


def private(name):
    return name.startswith("_") and not name.startswith("__")


def test_the_page_places_every_module_of_the_package():
    table = layers()
    assert set(table.values()) == set(range(7)), table
    unplaced = sorted(set(MODULES) - set(table))
    assert not unplaced, f"docs/architecture.md's table has no layer for {unplaced}: add them where they belong"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_points_upwards(module):
    table = layers()
    upward = [f"line {line}: {target} (layer {table[target]})" for target, _, line in imports(module)
              if target in table and table[target] > table[module]]
    assert not upward, f"{module} (layer {table[module]}) imports from a higher layer: {upward}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_another_modules_private_names(module):
    used = [f"line {line}: {target}.{n}" for target, names, line in imports(module) for n in names if private(n)]
    aliases = module_aliases(module)
    for tree in trees(module):
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and private(node.attr)):
                used.append(f"line {node.lineno}: {aliases[node.value.id]}.{node.attr}")
    assert not used, f"{module} uses private names of other modules: {used}"


@pytest.mark.parametrize("module", [m for m in ENGINE_LAYER if m in MODULES])
def test_the_engine_draws_nothing(module):
    drawn = []
    for tree in trees(module):
        skip = docstrings(tree)  # a docstring may speak of templates
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            drawn += [n for n in names if n.split(".")[0] in DRAWING_LIBRARIES]
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "templates" in node.value \
                    and id(node) not in skip:
                drawn.append(repr(node.value))
    assert not drawn, f"{module} draws: it imports or reads {drawn}"


def docstrings(tree):
    """The ids of every docstring node (module, class and function), which may describe anything."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


@pytest.mark.parametrize("module", KNOW_NO_NETWORK)
def test_views_compiler_and_training_know_no_particular_network(module):
    known = [f"line {line}: imports identity" for target, _, line in imports(module) if target == "identity"]
    if module in VIEWS_AND_COMPILER:
        for tree in trees(module):
            skip = docstrings(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                    text = node.value
                elif isinstance(node, ast.JoinedStr):
                    text = ast.unparse(node)
                else:
                    continue
                if MLP_LABEL_PATTERN.search(text):
                    known.append(f"line {node.lineno}: the MLP's label pattern {text!r}")
    assert not known, f"{module} knows a particular network: {known}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_importing_a_module_registers_nothing_with_another(module):
    """No module-level call (or decorator) of another module's function whose result is thrown away."""
    others = set(module_aliases(module))
    for target, names, _ in imports(module):
        if target != module:
            others.update(names)

    def calls_another(expression):
        function = expression.func if isinstance(expression, ast.Call) else expression
        while isinstance(function, ast.Attribute):
            function = function.value
        return isinstance(function, ast.Name) and function.id in others

    found = []
    for tree in trees(module):
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and calls_another(node.value):
                found.append(f"line {node.lineno}: {ast.unparse(node.value)[:60]}")
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found += [f"line {node.lineno}: @{ast.unparse(d)}" for d in node.decorator_list if calls_another(d)]
    assert not found, f"{module} changes another module when imported: {found}"


def test_the_rules_catch_what_they_claim():
    """The readers above see a private import, an upward import and a registration in made-up source."""
    source = ("from micrograd_id.explain import _names\nimport micrograd_id.viz as v\nv._draw()\n"
              "from micrograd_id.explain import register_derivation\nregister_derivation(print)\n"
              "from . import nn\nfrom .viz import _svg\n")
    MODULES["_probe"] = [(("micrograd_id",), ast.parse(source))]
    try:
        assert [(t, n) for t, n, _ in imports("_probe")] == [("explain", ["_names"]), ("viz", []),
                                                            ("explain", ["register_derivation"]), ("nn", []),
                                                            ("viz", ["_svg"])]
        assert module_aliases("_probe") == {"v": "viz"}
        with pytest.raises(AssertionError, match=r"explain\._names.*viz\._svg.*viz\._draw"):
            test_no_module_imports_another_modules_private_names("_probe")
        with pytest.raises(AssertionError, match="register_derivation"):
            test_importing_a_module_registers_nothing_with_another("_probe")
    finally:
        del MODULES["_probe"]
    assert MLP_LABEL_PATTERN.search(r"L(\d+)\.N(\d+)") and MLP_LABEL_PATTERN.search('f"L{layer}.N{neuron}"')
