"""Smoke: the installed package imports, exposes its public names and runs as a command.

These fail first when packaging breaks (a module left out of the wheel, a
wrong entry point), before any numerical test has a chance to say so.
"""

import importlib.metadata
import subprocess
import sys

import pytest

import micrograd_id
from micrograd_id import Value, detect_anomaly, grad, no_grad
from micrograd_id.identity import hand_gradient


def test_the_public_names_import_from_the_package_root():
    assert {"Value", "no_grad", "grad", "detect_anomaly"} <= set(micrograd_id.__all__)
    assert all(callable(f) for f in (Value, no_grad, grad, detect_anomaly))
    assert micrograd_id.__version__ == importlib.metadata.version("micrograd-id")


LAZY_ROOT = """
import sys

import pytest
import micrograd_id
assert "micrograd_id.engine" not in sys.modules and "numpy" not in sys.modules, "the package loaded the engine"
print(micrograd_id.Value(2.0) * 3, micrograd_id.engine.OPS["+"], micrograd_id.nn.MLP.__name__,
      "Value" in dir(micrograd_id))
for missing in ("nope", "__wrapped__"):
    try:
        getattr(micrograd_id, missing)
    except AttributeError as error:
        print(error)
"""


def test_the_package_loads_its_names_and_modules_on_first_use():
    """`import micrograd_id` is instant; its root names and every module (micrograd_id.nn) still work as attributes."""
    run = subprocess.run([sys.executable, "-c", LAZY_ROOT], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["Value(data=6, grad=0) Op('+') MLP True",
                                       "module 'micrograd_id' has no attribute 'nope'",
                                       "module 'micrograd_id' has no attribute '__wrapped__'"]


def test_identity_net_gradient_matches_eq6():
    w = Value(0.3)
    error = 0.5 * ((w * 1.0).sigmoid() - 1.0) ** 2
    error.backward()
    assert abs(w.grad - hand_gradient(0.3, 1.0)) < 1e-15


def test_the_console_script_points_at_the_cli():
    scripts = importlib.metadata.distribution("micrograd-id").entry_points  # a list on Python 3.9 too
    (entry,) = [e for e in scripts if e.group == "console_scripts" and e.name == "micrograd-id"]
    assert entry.value == "micrograd_id.cli:main"
    assert callable(entry.load())


def test_python_dash_m_runs_the_command():
    run = subprocess.run([sys.executable, "-m", "micrograd_id", "--help"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: micrograd-id")


def test_the_wheel_ships_the_explorer_templates_and_setuptools_prints_no_warning_box(tmp_path):
    """`make demo` on a fresh clone builds the package: no setuptools box, and the explorer's files go along."""
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    # In an isolated build environment, as `pip install` builds it (a new venv's own setuptools may be too old).
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path), str(root)],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert build.returncode == 0, build.stderr[-2000:]
    printed = build.stdout + build.stderr
    for box in ("is absent from the `packages` configuration", "Editable installation"):
        assert box not in printed
    (wheel,) = tmp_path.glob("micrograd_id-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert {f"micrograd_id/templates/explorer.{suffix}" for suffix in ("html", "css", "js")} <= shipped
    assert {"micrograd_id/py.typed", "micrograd_id/engine.py"} <= shipped
    assert not any(name.startswith(("tests/", "docs/", "benchmarks/")) for name in shipped)


def test_type_checkers_see_the_root_names_and_refuse_a_misspelt_one(tmp_path):
    """The package ships py.typed: its lazy root must not turn every attribute into Any for mypy."""
    mypy_api = pytest.importorskip("mypy.api")  # in the dev extra, with which CI runs
    user = tmp_path / "user.py"
    user.write_text("import micrograd_id\n"
                    "reveal_type(micrograd_id.Value(1.0))\n"
                    "micrograd_id.Vlaue\n", encoding="utf-8")
    out, _, status = mypy_api.run([str(user), "--no-incremental", "--cache-dir", str(tmp_path / "cache")])
    assert status == 1, out
    assert 'Revealed type is "micrograd_id.engine.Value"' in out
    assert 'Module has no attribute "Vlaue"' in out
