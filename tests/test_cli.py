"""The `micrograd-id` command: every subcommand runs; bad arguments exit 2 with one line."""

import argparse
import collections
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from contextlib import contextmanager, redirect_stderr, redirect_stdout

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from micrograd_id import cli
from micrograd_id.cli import arguments, network
from micrograd_id.identity import hand_gradient
from micrograd_id.train import History

HAVE_DOT = shutil.which("dot") is not None
try:
    import matplotlib  # noqa: F401
    HAVE_MPL = True
except ImportError:
    HAVE_MPL = False


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_demo_prints_the_tables_and_writes_both_pictures(tmp_path, capsys):
    status, out, err = run(capsys, "demo", "--out", str(tmp_path / "out"))
    assert status == 0, err
    assert "autodiff" in out and "eq. (6)" in out and "central diff" in out
    # the gradient table holds autodiff = eq. (6) for the default point w = 0.3, x = 1
    assert f"{hand_gradient(0.3, 1.0):.12f}" in out
    assert re.search(r"step\s+x\s+w\s+E\s+dE/dw", out)
    assert "dE/dw = 0 and E = 0.125" in out
    written = sorted(os.listdir(tmp_path / "out"))
    assert ("landscape.png" in written) == HAVE_MPL
    assert ("graph.png" in written) == HAVE_DOT
    assert ("backprop.html" in written) == HAVE_DOT  # the explorer page, to step through backprop
    for name in written:
        assert name in out  # the demo says where each file went


def png_size(path):
    """(width, height) from a PNG's header."""
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")
def test_demo_graph_is_drawn_top_to_bottom_like_the_readme(tmp_path, capsys):
    status, _, err = run(capsys, "demo", "--out", str(tmp_path))
    assert status == 0, err
    width, height = png_size(tmp_path / "graph.png")
    assert height > width


@pytest.mark.parametrize("installed", ["in a virtual environment", "nowhere (run from source)"])
def test_the_demos_next_command_runs_in_a_new_shell(tmp_path, capsys, monkeypatch, installed):
    """Run from a virtual environment (as `make demo` does), the demo names the environment's command."""
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    if installed == "in a virtual environment":
        script = venv / "bin" / "micrograd-id"
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m micrograd_id "$@"\n')
        script.chmod(0o755)
        monkeypatch.setattr(sys, "base_prefix", "/usr")
        expected = [".venv/bin/micrograd-id", "      (the virtual environment's command; after "
                                              "`source .venv/bin/activate`, plain `micrograd-id` works too)"]
    else:
        monkeypatch.setattr(sys, "base_prefix", str(venv))
        monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
        expected = [f"{sys.executable} -m micrograd_id"]
    monkeypatch.setattr(sys, "prefix", str(venv))
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "demo", "--out", "out")
    assert status == 0, err
    lines = out.splitlines()[-len(expected):]
    assert lines[0] == f"Next: {expected[0]} explain --w 0.3 --x 1   (the chain rule behind dE/dw, with these numbers)"
    assert lines[1:] == expected[1:]
    if os.name != "nt":
        command = lines[0].removeprefix("Next: ").split("   (")[0]
        fresh = {"PATH": "/usr/bin:/bin", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        done = subprocess.run(["/bin/sh", "-c", command], cwd=tmp_path, env=fresh, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert "is that product" in done.stdout


def test_help_says_demo_writes_two_pictures_and_a_page(capsys):
    status, out, _ = run(capsys, "--help")
    words = r"demo train the identity network, compare gradients, write two pictures and a page"
    assert status == 0 and re.search(words.replace(" ", r"\s+"), out)  # however argparse wraps the line
    status, out, _ = run(capsys, "demo", "--help")
    assert status == 0 and "graph.png" in out and "landscape.png" in out and "backprop.html" in out


def test_demo_without_dot_writes_the_dot_source_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    status, out, err = run(capsys, "demo", "--out", str(tmp_path / "o"))
    assert status == 0
    assert "not installed" in err and "graph.dot" in out
    assert f"{tmp_path / 'o' / 'backprop.html'} not written" in err
    assert (tmp_path / "o" / "graph.dot").read_text().startswith("digraph")


def test_python_dash_m_runs_the_same_main(tmp_path):
    done = subprocess.run([sys.executable, "-m", "micrograd_id", "check", "--w", "0.3", "--x", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 row agrees" in done.stdout


def test_train_prints_the_steps_and_writes_the_history(tmp_path, capsys):
    path = tmp_path / "h.csv"
    status, out, err = run(capsys, "train", "--w", "0.3", "--lr", "2", "--steps", "6", "--x", "0",
                           "--x", "1", "--history", str(path))
    assert status == 0, err
    history = History.from_csv(path)
    assert len(history) == 6 and history.rows[1]["x"] == 1.0
    assert history.rows[3]["w"] == pytest.approx(history.rows[1]["w"] - 2 * history.rows[1]["dE/dw"])
    assert "written to" in out and str(path) in out


def test_train_with_bias_json_and_list_of_x(tmp_path, capsys):
    path = tmp_path / "h.json"
    status, out, err = run(capsys, "train", "--bias", "0", "--x", "0,1", "--steps", "4", "--history", str(path))
    assert status == 0, err
    rows = json.loads(path.read_text())
    assert {"b", "dE/db"} <= set(rows[0])
    assert "dE/db" in out.splitlines()[1]


def test_train_show_limits_the_table(capsys):
    status, out, _ = run(capsys, "train", "--steps", "50", "--show", "3")
    assert status == 0
    table = [line for line in out.splitlines() if re.match(r"\s+\d+\s", line)]
    assert [int(line.split()[0]) for line in table] == [0, 1, 2, 49]


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")
def test_draw_writes_the_graph_with_a_highlight(tmp_path, capsys):
    status, out, err = run(capsys, "draw", "--w", "0.3", "--x", "1", "-o", str(tmp_path / "g.svg"),
                           "--highlight", "w")
    assert status == 0, err
    assert "<svg" in (tmp_path / "g.svg").read_text()


def test_draw_dot_source_needs_no_program(tmp_path, capsys):
    status, _, err = run(capsys, "draw", "--bias", "0.5", "-o", str(tmp_path / "g.dot"))
    assert status == 0, err
    assert "digraph" in (tmp_path / "g.dot").read_text()


def test_explain_prints_the_chain_rule_equal_to_eq6(capsys):
    status, out, err = run(capsys, "explain", "--w", "0.3", "--x", "1")
    assert status == 0, err
    assert "∂E/∂y_hat · ∂y_hat/∂z · ∂z/∂w" in out
    total = float(re.search(r"is that product: (\S+)", out).group(1))
    assert total == hand_gradient(0.3, 1.0)


def test_explain_bias(capsys):
    status, out, _ = run(capsys, "explain", "--x", "0", "--bias", "0", "--wrt", "b")
    assert status == 0 and "∂z/∂b" in out


def test_check_passes_and_reports_the_errors(capsys):
    status, out, _ = run(capsys, "check")
    assert status == 0
    assert "all 8 rows agree" in out
    status, out, _ = run(capsys, "check", "--w", "1", "--x", "0,0.5,1", "--bias", "-1")
    assert status == 0 and "all 6 rows agree" in out


@pytest.mark.skipif(not HAVE_MPL, reason="matplotlib is not installed")
@pytest.mark.parametrize("extra", [[], ["--bias", "0"]])
def test_landscape_writes_a_png(tmp_path, capsys, extra):
    status, out, err = run(capsys, "landscape", "-o", str(tmp_path / "l.png"), "--steps", "20", *extra)
    assert status == 0, err
    assert (tmp_path / "l.png").read_bytes().startswith(b"\x89PNG")
    assert ("contour" in out) == bool(extra)


@pytest.mark.parametrize("argv, fragment", [
    ([], "required: COMMAND"),
    (["fly"], "invalid choice"),
    (["train", "--lr", "0"], "--lr"),
    (["train", "--lr", "-1"], "--lr"),
    (["train", "--lr", "nan"], "--lr"),
    (["train", "--w", "inf"], "--w"),
    (["train", "--w", "1e400"], "--w"),
    (["train", "--steps", "-1"], "--steps"),
    (["train", "--steps", "1e3"], "--steps"),
    (["train", "--steps", "100000000"], "--steps"),
    (["train", "--x", ""], "--x"),
    (["train", "--x", "0,a"], "--x"),
    (["train", "--momentum", "1"], "--momentum"),
    (["train", "--history", "h.txt"], ".csv or .json"),
    (["train", "--history", "no/such/folder/h.csv"], "does not exist"),
    (["draw"], "-o/--output"),
    (["draw", "-o", "g.gif"], ".png"),
    (["draw", "-o", "g"], ".png"),
    (["draw", "-o", "g.png", "--highlight", "nope"], "no node labelled 'nope'"),
    (["draw", "-o", "g.png", "--highlight", ""], "no node labelled ''"),
    (["draw", "--w", "abc", "-o", "g.png"], "--w"),
    (["explain", "--wrt", "b"], "--bias"),
    (["explain", "--wrt", "q"], "--wrt"),
    (["landscape", "-o", "l.dot"], ".png"),
    (["check", "--x", "nan"], "--x"),
    (["demo", "--out", ""], "--out"),
    (["train", "--lr", "1\n2"], "--lr"),
    (["draw", "-o", "g.png", "--highlight", "a\nb"], "no node labelled"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, monkeypatch, argv, fragment):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err and "Traceback" not in err
    assert os.listdir(tmp_path) == []  # nothing written


def test_demo_out_that_is_a_file_is_an_argument_error(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    status, _, err = run(capsys, "demo", "--out", str(tmp_path / "f"))
    assert status == 2 and "not a folder" in err


def test_failures_while_running_exit_1_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status, _, err = run(capsys, "draw", "-o", str(tmp_path / "g.png"))
    assert status == 1
    assert len(err.strip().splitlines()) == 1 and "not installed" in err
    assert not (tmp_path / "g.png").exists()


def test_explore_without_dot_names_the_page_it_could_not_write(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status, out, err = run(capsys, "explore", "-o", str(tmp_path / "f.html"), "--steps", "2")
    assert status == 1 and out == ""
    assert err.startswith(f"micrograd-id explore: {tmp_path / 'f.html'} not written: ") and "not installed" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "f.html").exists()


@pytest.mark.parametrize("command", [None, "demo", "train", "draw", "explain", "check", "landscape", "explore"])
def test_help_on_each_command(capsys, command):
    status, out, _ = run(capsys, *([command] if command else []), "--help")
    assert status == 0
    assert "usage: micrograd-id" in out


def test_every_command_is_documented_in_the_parser():
    parser = cli.build_parser()
    assert parser.prog == "micrograd-id"
    names = next(a for a in parser._actions if hasattr(a, "add_parser")).choices
    assert set(names) == {"demo", "train", "draw", "explain", "check", "landscape", "explore", "compile", "classify"}


# ----- one CLI: the same names, defaults and manners in every command --------------------

PROC = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, where no file can be created")


def test_the_starting_weight_is_called_w_in_every_command():
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if hasattr(a, "add_parser")).choices
    flags = {name: {s for a in sub._actions for s in a.option_strings} for name, sub in commands.items()}
    assert all("--w0" not in options for options in flags.values())
    assert all("--w" in flags[name] for name in ("train", "landscape", "draw", "explain", "check"))


def test_train_with_no_options_reproduces_the_demo_run(capsys):
    from micrograd_id.identity import IdentityNet
    from micrograd_id.train import train

    status, out, _ = run(capsys, "train")
    net = IdentityNet(w=arguments.DEMO_W0)
    train(net, xs=[0.0, 1.0], lr=arguments.DEMO_LR, steps=arguments.DEMO_STEPS, progress=False)
    assert status == 0 and (arguments.DEMO_LR, arguments.DEMO_STEPS) == (2.0, 60)
    assert "lr = 2, 60 steps" in out
    assert f"after 60 steps: w = {net.w.data:.6g};" in out  # readable, not a dict
    assert "{" not in out


def test_version(capsys):
    from micrograd_id import __version__

    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.strip() == f"micrograd-id {__version__}"


def test_piping_into_head_ends_quietly():
    done = subprocess.run(f"'{sys.executable}' -m micrograd_id train --steps 10000 --show 10000 | head -1",
                          shell=True, capture_output=True, text=True, timeout=120,
                          executable="/bin/bash" if os.path.exists("/bin/bash") else None)
    assert done.stdout.startswith("IdentityNet(")
    assert done.stderr == ""  # no "[Errno 32] Broken pipe", no "Exception ignored"


# What the console script does (import main, call it), with Ctrl-C pressed while `module` loads.
CTRL_C_WHILE_LOADING = """
import sys

class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == sys.argv[1]:
            raise KeyboardInterrupt

sys.meta_path.insert(0, CtrlC())
from micrograd_id.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("module", ["micrograd_id.engine", "micrograd_id.ops", "numpy", "micrograd_id.identity",
                                    "micrograd_id.cli.network"])
def test_ctrl_c_while_the_libraries_load_is_one_line_and_status_130(module):
    done = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_LOADING, module, "check"],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "micrograd-id: interrupted\n")


def test_the_console_script_loads_nothing_new_before_main_runs():
    """Before main() can catch a Ctrl-C, the console script loads the package and cli, and no other module."""
    before_and_after = ("import sys\nbefore = set(sys.modules)\nfrom micrograd_id.cli import main\n"
                        "print(*sorted(set(sys.modules) - before))")
    loaded = subprocess.run([sys.executable, "-c", before_and_after],
                            capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert loaded == ["micrograd_id", "micrograd_id.cli"]


def test_a_broken_pipe_while_running_returns_141(capsys, monkeypatch):
    def closed_reader(args):
        raise BrokenPipeError(32, "Broken pipe")
    monkeypatch.setattr(network, "check_command", closed_reader)
    status, _, err = run(capsys, "check")
    assert status == 141 and err == ""


def test_one_row_is_a_row():
    from micrograd_id.identity import compare_gradients

    assert repr(compare_gradients()).startswith("GradientTable(1 row,")
    assert repr(compare_gradients(x=[0, 1])).startswith("GradientTable(2 rows,")


def test_check_says_one_row_agrees(capsys):
    status, out, _ = run(capsys, "check", "--w", "0.3", "--x", "1")
    assert status == 0 and "1 row agrees" in out and "1 rows" not in out


@pytest.mark.parametrize("argv", [["check", "--w", "20", "--x", "1"], ["train", "--x", "1", "--lr", "100", "--steps", "3"]])
def test_vanishing_gradients_show_as_numbers_not_zeros(capsys, argv):
    status, out, _ = run(capsys, *argv)
    assert status == 0
    assert "0.000000" not in out
    assert re.search(r"-\d\.\d+e-\d\d", out)  # e.g. -4.24835453398e-18 or -5.05092e-10


@pytest.mark.parametrize("x, floor", [("2", "0.5"), ("-1", "0.5")])
def test_a_target_the_sigmoid_cannot_reach_is_a_warning(capsys, x, floor):
    status, out, err = run(capsys, "train", "--x", x, "--steps", "2")
    assert status == 0
    assert f"warning: the target y = {x} is outside the sigmoid's range (0, 1)" in err
    assert f"stays above {floor}" in err and len(err.strip().splitlines()) == 1


def test_targets_in_0_1_give_no_warning(capsys):
    status, _, err = run(capsys, "train", "--x", "0,0.5,1", "--steps", "3")
    assert status == 0 and err == ""


@PROC
@pytest.mark.parametrize("argv, path", [
    (["draw", "-o", "/proc/g.dot"], "/proc/g.dot"),
    (["landscape", "-o", "/proc/l.png"], "/proc/l.png"),
    (["train", "--history", "/proc/h.csv"], "/proc/h.csv"),
])
def test_an_unwritable_output_names_the_users_path_and_the_reason(capsys, argv, path):
    status, out, err = run(capsys, *argv)
    assert status == 1
    assert err.strip() == f"micrograd-id {argv[0]}: cannot write {path}: No such file or directory"
    assert ".tmp" not in err


@PROC
def test_train_history_to_an_unwritable_place_fails_before_training(capsys, monkeypatch):
    monkeypatch.setattr(network, "train_identity", lambda args: pytest.fail("trained before checking the history file"))
    status, out, _ = run(capsys, "train", "--history", "/proc/h.csv")
    assert status == 1 and out == ""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
@pytest.mark.parametrize("argv", [["train", "--history"], ["draw", "-o"], ["landscape", "-o"], ["explore", "-o"]])
def test_an_output_that_is_a_named_pipe_is_refused_in_one_line(tmp_path, capsys, monkeypatch, argv):
    suffix = {"train": ".csv", "draw": ".dot", "landscape": ".png", "explore": ".html"}[argv[0]]
    pipe = tmp_path / f"pipe{suffix}"
    os.mkfifo(pipe)
    if argv[0] == "train":
        monkeypatch.setattr(network, "train_identity", lambda args: pytest.fail("trained before checking the file"))
    status, out, err = run(capsys, *argv, str(pipe), "--steps", "2") if argv[0] != "draw" else \
        run(capsys, *argv, str(pipe))
    assert status == 1
    assert err == f"micrograd-id {argv[0]}: cannot write {pipe}: it is a named pipe, not a regular file\n"
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)


@PROC
def test_demo_into_an_unwritable_folder_exits_1(capsys):
    status, out, err = run(capsys, "demo", "--out", "/proc")
    assert status == 1
    assert "cannot write /proc/graph.png" in err and "pictures not written" in err
    assert "2. Gradient descent" in out  # the rest of the demo ran


def test_demo_says_the_table_shows_w_before_each_update(capsys, tmp_path):
    status, out, _ = run(capsys, "demo", "--out", str(tmp_path))
    last = re.search(r"^\s+59\s+1\s+(\S+)", out, re.M).group(1)
    assert f"Each row's w is the weight before that step's update; step 59 takes it from {last} to" in out
    assert re.search(rf"w grew from 0.3 to {float(last):.3g} \(the last step", out)


# ----- any argument list (fuzzed): success, or one line of error -------------------------

def cli_commands():
    """The CLI module and {command: {option: takes a value}}."""
    parser = cli.build_parser()
    # argparse has no public accessor for subcommands and their options.
    (subcommands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    commands = {name: {option: action.nargs != 0 for action in sub._actions for option in action.option_strings
                       if option not in ("-h", "--help")}
                for name, sub in subcommands.choices.items()}
    assert {"demo", "train", "draw", "explain"} <= set(commands), sorted(commands)
    return cli, commands


@contextmanager
def in_fresh_folder():
    """Run in an empty temporary folder, so files the commands write land there."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            yield folder
        finally:
            os.chdir(previous)


# Values for options: plausible ones (small numbers, so no run takes long), edge cases,
# and free text. Plausible values come twice as often, so many runs get past parsing.
PLAUSIBLE_VALUES = st.sampled_from(["0", "1", "-1", "2", "0.5", "-0.5", "1e-3", "0,1", "w", "b", "out",
                                    "graph.png", "graph.svg", "graph.dot", "steps.csv", "steps.json"])


EDGE_VALUES = st.sampled_from(["nan", "inf", "-inf", "1e400", "1e7", "", " ", "abc", "--", "-", "0x10",
                               "1_0", "graph.xyz", "sub/dir/graph.png"])


# Free text: no digits (int() reads any script's digits: a huge --steps would just run
# long), no "/" and no "..", so whatever a command writes stays in its temporary folder.
FREE_TEXT = st.text(alphabet=st.characters(exclude_characters="\x00/", exclude_categories=("Nd", "Cs")),
                    max_size=8).filter(lambda text: text != "..")


ARGUMENT_VALUES = st.one_of(PLAUSIBLE_VALUES, PLAUSIBLE_VALUES, EDGE_VALUES, FREE_TEXT)


# classify trains an MLP for 100 epochs by default (about a minute): the fuzz starts it
# small, and a drawn option given later still takes over (argparse keeps the last).
CHEAP = {"classify": ["--epochs", "2", "--samples", "16", "--hidden", "4"]}


@st.composite
def argument_lists(draw, commands):
    """A command, then some of its own options each with a value, now and then a stray word."""
    name = draw(st.sampled_from(sorted(commands)))
    options = commands[name]
    words = [name] + CHEAP.get(name, [])
    for option in draw(st.lists(st.sampled_from(sorted(options)), max_size=4)):
        words += [option, draw(ARGUMENT_VALUES)] if options[option] else [option]
    if draw(st.integers(0, 9)) == 0:
        words.insert(draw(st.integers(0, len(words))), draw(ARGUMENT_VALUES | st.just("--help")))
    return words


def test_cli_arguments_end_in_success_or_one_line_of_error(fuzz_cases, summary_lines):
    """Exit 0; or 2 (bad arguments) or 1 (failed while running) with one line on stderr, no traceback."""
    cli, commands = cli_commands()
    exits = collections.Counter()  # how the runs ended: exit status -> count

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(argument_lists(commands))
    @example(["train", "--lr", "0.5\n2"])
    @example(["demo", "stray\nword"])
    def run(argv):
        stdout, stderr = io.StringIO(), io.StringIO()
        with in_fresh_folder(), redirect_stdout(stdout), redirect_stderr(stderr):
            try:
                status = cli.main(argv)
            except SystemExit as stop:  # --help
                status = stop.code
        status = status or 0
        fuzz_cases["cli argv"] += 1
        exits[status] += 1
        assert status in (0, 1, 2), (argv, status, stderr.getvalue())
        if status:
            lines = stderr.getvalue().split("\n")
            assert len(lines) == 2 and lines[1] == "", f"{argv}: not one line: {lines}"
            assert lines[0].startswith("micrograd-id") and "Traceback" not in lines[0], lines[0]

    run()
    summary_lines.append("cli exit statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(exits.items())))
