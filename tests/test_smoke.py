"""Smoke: the installed package imports, exposes its public names and runs as a command.

These fail first when packaging breaks (a module left out of the wheel, a
wrong entry point), before any numerical test has a chance to say so.
"""

import importlib.metadata
import subprocess
import sys

import micrograd_id
from micrograd_id import Value, detect_anomaly, grad, no_grad
from micrograd_id.identity import hand_gradient


def test_the_public_names_import_from_the_package_root():
    assert {"Value", "no_grad", "grad", "detect_anomaly"} <= set(micrograd_id.__all__)
    assert all(callable(f) for f in (Value, no_grad, grad, detect_anomaly))
    assert micrograd_id.__version__ == importlib.metadata.version("micrograd-id")


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


def test_the_editable_install_is_a_plain_pth_without_a_warning_box():
    """`make demo` on a fresh clone: setuptools treats the flat layout as simple only with package-dir declared."""
    import sys
    from pathlib import Path

    if sys.version_info < (3, 11):
        import pytest
        pytest.skip("tomllib is Python 3.11+")
    import tomllib

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"": "."}
    # every package of the source tree is listed, or a wheel would leave it out
    packages = {".".join(init.parent.relative_to(root).parts) for init in (root / "micrograd_id").rglob("__init__.py")}
    assert sorted(config["packages"]) == sorted(packages)
