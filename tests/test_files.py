"""_files: every file the library writes appears whole or not at all, follows links, keeps permissions,
refuses what is not a file; CSV cannot run as a spreadsheet formula, JSON is strict."""

import contextlib
import csv
import json
import math
import os
import shutil
import stat

import pytest
from conftest import identity_error
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_id import Value, identity, train, viz
from micrograd_id._files import (
    check_writable,
    from_spreadsheet_cell,
    from_strict_json,
    spreadsheet_cell,
    strict_json,
    write_atomic,
)
from micrograd_id.train import History


def files_in(folder):
    return sorted(p.name for p in folder.iterdir())


def test_write_atomic_writes_text_and_bytes_and_leaves_no_temporary_file(tmp_path):
    write_atomic(tmp_path / "a.txt", "héllo\n")
    write_atomic(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    assert files_in(tmp_path) == ["a.txt", "b.bin"]


def _fail_rename(monkeypatch):
    def failing_replace(src, dst, **kwargs):
        raise OSError(28, "No space left on device (simulated)")
    monkeypatch.setattr(os, "replace", failing_replace)


class _HalfWritingFile:
    """A file object that writes half of what it is given, then fails like a full disk."""

    def __init__(self, real):
        self.real = real

    def write(self, data):
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        raise OSError(28, "No space left on device (simulated)")

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


def _fail_mid_write(monkeypatch):
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: _HalfWritingFile(real_fdopen(fd, *a, **k)))


def _interrupt_mid_write(monkeypatch):
    def interrupted_replace(src, dst, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", interrupted_replace)


FAILURES = {"rename fails": (_fail_rename, OSError),
            "write fails half-way": (_fail_mid_write, OSError),
            "Ctrl-C before the rename": (_interrupt_mid_write, KeyboardInterrupt)}


@pytest.mark.parametrize("failure", FAILURES)
def test_write_atomic_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, failure):
    target = tmp_path / "out.txt"
    target.write_text("previous contents")
    inject, error = FAILURES[failure]
    inject(monkeypatch)
    with pytest.raises(error):
        write_atomic(target, "new contents that must not appear " * 100)
    monkeypatch.undo()
    assert target.read_text() == "previous contents"
    assert files_in(tmp_path) == ["out.txt"]


@pytest.mark.parametrize("failure", ["rename fails", "write fails half-way"])
def test_write_atomic_failure_names_the_users_path_not_the_temporary_file(tmp_path, monkeypatch, failure):
    FAILURES[failure][0](monkeypatch)
    with pytest.raises(OSError) as caught:
        write_atomic(tmp_path / "out.txt", "x" * 1000)
    assert str(caught.value).startswith(f"cannot write {tmp_path / 'out.txt'}: ") and ".tmp" not in str(caught.value)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, where no file can be created")
def test_write_atomic_and_check_writable_into_proc_name_the_path_and_the_reason():
    from micrograd_id._files import check_writable

    for attempt in (lambda: write_atomic("/proc/g.png", b"png"), lambda: check_writable("/proc/g.png")):
        with pytest.raises(OSError) as caught:
            attempt()
        assert str(caught.value) == "cannot write /proc/g.png: No such file or directory"


def test_check_writable_leaves_nothing_behind(tmp_path):
    from micrograd_id._files import check_writable

    assert check_writable(tmp_path / "later.csv") == tmp_path / "later.csv"
    assert files_in(tmp_path) == []


def test_write_atomic_into_a_missing_folder_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomic(tmp_path / "missing" / "out.txt", "x")


# Every writer of the library, as name: (factory, suffix). factory(suffix) returns
# write(path) for that kind of file.
def _history_writer(suffix):
    history = train.train(identity.IdentityNet(w=0.3), xs=[0, 1], lr=0.5, steps=5)
    return history.to_csv if suffix == ".csv" else history.to_json


def _state_dict_writer(suffix):
    return identity.IdentityNet(w=0.3, bias=0.1).save


def _render_writer(suffix):
    if suffix != ".dot" and shutil.which("dot") is None:
        pytest.skip("the Graphviz `dot` program is not installed")
    error = identity_error(Value(0.3, label="w"), 1.0)
    error.backward()
    return lambda path: viz.render(error, path)


def _explorer_writer(suffix):
    if shutil.which("dot") is None:
        pytest.skip("the Graphviz `dot` program is not installed")
    from micrograd_id.explore import explore

    error = identity_error(Value(0.3, label="w"), 1.0)
    error.backward()
    return explore(error).save


def _figure_writer(suffix):
    pytest.importorskip("matplotlib")
    from micrograd_id.plots import plot_history, save_figure

    figure = plot_history(train.train(identity.IdentityNet(w=0.3), xs=[0, 1], lr=0.5, steps=5))
    return lambda path: save_figure(figure, path)


WRITERS = {"history.csv": (_history_writer, ".csv"), "history.json": (_history_writer, ".json"),
           "state_dict.json": (_state_dict_writer, ".json"), "graph.dot": (_render_writer, ".dot"),
           "graph.svg": (_render_writer, ".svg"), "graph.png": (_render_writer, ".png"),
           "graph.pdf": (_render_writer, ".pdf"), "explorer.html": (_explorer_writer, ".html"),
           "figure.png": (_figure_writer, ".png")}


@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_leaves_the_old_file_intact_when_the_rename_fails(tmp_path, monkeypatch, name):
    factory, suffix = WRITERS[name]
    write = factory(suffix)
    target = tmp_path / ("out" + suffix)
    target.write_bytes(b"previous contents")
    _fail_rename(monkeypatch)
    with pytest.raises(OSError):
        write(target)
    monkeypatch.undo()
    assert target.read_bytes() == b"previous contents"
    assert files_in(tmp_path) == [target.name]


def _csv_rows(data):
    lines = data.decode("utf-8").splitlines()
    return lines[0].startswith("step,") and len(lines) == 6  # a header and the 5 steps


# name: a check that the file holds a whole document of its kind, start and end
WHOLE = {"history.csv": _csv_rows,
         "history.json": lambda data: len(json.loads(data)) == 5,
         "state_dict.json": lambda data: sorted(json.loads(data)) == ["b", "w"],
         "graph.dot": lambda data: data.startswith(b"digraph") and data.rstrip().endswith(b"}"),
         "graph.svg": lambda data: data.startswith(b"<?xml") and data.rstrip().endswith(b"</svg>"),
         "graph.png": lambda data: data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82"),
         "graph.pdf": lambda data: data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"),
         "explorer.html": lambda data: data.lstrip().lower().startswith(b"<!doctype html")
         and data.rstrip().endswith(b"</html>"),
         "figure.png": lambda data: data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")}


@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_writes_a_whole_file_and_no_temporary(tmp_path, name):
    factory, suffix = WRITERS[name]
    target = tmp_path / ("out" + suffix)
    factory(suffix)(target)
    assert WHOLE[name](target.read_bytes())
    assert files_in(tmp_path) == [target.name]


# ----- what a careful `>` does: links followed, permissions kept, only regular files replaced --

@contextlib.contextmanager
def umask(mask):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o077, 0o022, 0o002], ids=oct)
def test_a_new_file_gets_the_permissions_the_umask_allows(tmp_path, mask):
    with umask(mask):
        write_atomic(tmp_path / "new.txt", "x")
    assert mode(tmp_path / "new.txt") == 0o666 & ~mask


@pytest.mark.parametrize("permissions", [0o600, 0o444, 0o640, 0o755], ids=oct)
def test_an_existing_file_keeps_its_permissions(tmp_path, permissions):
    target = tmp_path / "old.txt"
    target.write_text("before")
    target.chmod(permissions)
    with umask(0o022):
        write_atomic(target, "after")
    assert target.read_text() == "after" and mode(target) == permissions


def test_a_symbolic_link_is_followed_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "data.csv"
    real.write_text("before")
    real.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert write_atomic(link, "after") == link
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "after" and mode(real) == 0o600
    assert files_in(tmp_path) == ["link.csv", "real"] and files_in(tmp_path / "real") == ["data.csv"]


def test_a_link_to_a_file_not_there_yet_makes_the_file(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "later.json")
    write_atomic(link, "{}")
    assert link.is_symlink() and (tmp_path / "later.json").read_text() == "{}"


def _named_pipe(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    return pipe, pipe, "a named pipe"


def _link_to_dev_null(tmp_path):
    if not os.path.exists("/dev/null") or not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        pytest.skip("no /dev/null device")
    link = tmp_path / "null.csv"  # through a link: a failing test replaces the link, never the device
    link.symlink_to("/dev/null")
    return link, link, "a character device"


def _folder(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    return folder, folder, "a folder"


NOT_FILES = {"named pipe": _named_pipe, "link to /dev/null": _link_to_dev_null, "folder": _folder}


@pytest.mark.parametrize("kind", NOT_FILES)
@pytest.mark.parametrize("attempt", [lambda p: write_atomic(p, "x"), check_writable])
def test_a_target_that_is_not_a_regular_file_is_refused_by_name(tmp_path, kind, attempt):
    path, left_alone, what = NOT_FILES[kind](tmp_path)
    before = os.lstat(left_alone)
    with pytest.raises(OSError, match=rf"^cannot write {path}.*: it is {what}, not a regular file$"):
        attempt(path)
    after = os.lstat(left_alone)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert files_in(tmp_path) == [path.name]


def test_the_error_for_a_link_names_the_link_and_where_it_points(tmp_path):
    path, _, _ = _link_to_dev_null(tmp_path)
    with pytest.raises(OSError, match=rf"^cannot write {path} \(a link to /dev/null\): it is a character device"):
        write_atomic(path, "x")


@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_follows_links_keeps_permissions_and_refuses_pipes(tmp_path, name):
    factory, suffix = WRITERS[name]
    write = factory(suffix)
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / ("out" + suffix)
    real.write_bytes(b"previous contents")
    real.chmod(0o600)
    link = tmp_path / ("link" + suffix)
    link.symlink_to(real)
    write(link)
    assert link.is_symlink() and WHOLE[name](real.read_bytes()) and mode(real) == 0o600
    if hasattr(os, "mkfifo"):
        pipe = tmp_path / ("pipe" + suffix)
        os.mkfifo(pipe)
        with pytest.raises(OSError, match=rf"cannot write {pipe}: it is a named pipe, not a regular file"):
            write(pipe)
        assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    with umask(0o077):
        write(tmp_path / ("new" + suffix))
    assert mode(tmp_path / ("new" + suffix)) == 0o600


# ----- CSV a spreadsheet shows as text; JSON every parser reads --------------------------

FORMULAS = ["=HYPERLINK(\"http://evil\", \"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "=1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_that_would_run_as_a_formula_starts_with_a_quote(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-0.5", "-inf", "+3", "-1e-300", "nan", "0.25", "w", "dE/dw", "[1.0, -2.0]", ""])
def test_numbers_and_plain_text_stay_as_they_are(text):
    assert spreadsheet_cell(text) == text


@given(st.text())
def test_spreadsheet_cells_round_trip_and_never_start_a_formula(text):
    cell = spreadsheet_cell(text)
    assert from_spreadsheet_cell(cell) == text
    if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        float(cell)  # only a number may start so


def test_history_to_csv_neutralises_formulas_in_the_header_and_reads_back(tmp_path):
    rows = [{"step": 0, "=HYPERLINK(\"x\")": 0.5, "@w": -0.25, "dE/d@w": float("-inf"), "'q": 1.0}]
    History(rows).to_csv(tmp_path / "h.csv")
    header, values = (tmp_path / "h.csv").read_text(encoding="utf-8").splitlines()
    assert header == "step,\"'=HYPERLINK(\"\"x\"\")\",'@w,dE/d@w,''q"
    assert values == "0,0.5,-0.25,-inf,1.0"
    assert History.from_csv(tmp_path / "h.csv").rows == rows


def test_history_to_json_is_strict_json_with_non_finite_numbers_named(tmp_path):
    rows = [{"step": 0, "E": float("nan"), "w": float("inf"), "dE/dw": float("-inf"), "x": [0.0, float("nan")]}]
    History(rows).to_json(tmp_path / "h.json")

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    written = json.loads((tmp_path / "h.json").read_text(), parse_constant=refuse)
    assert written == [{"step": 0, "E": "nan", "w": "inf", "dE/dw": "-inf", "x": [0.0, "nan"]}]
    back = History.from_json(tmp_path / "h.json").rows[0]
    assert math.isnan(back["E"]) and back["w"] == math.inf and back["dE/dw"] == -math.inf
    assert back["x"][0] == 0.0 and math.isnan(back["x"][1])


def test_strict_json_round_trips_finite_numbers_exactly():
    data = {"a": [0.1, -2.5e-300, 1e308], "b": {"c": 3}}
    assert json.loads(strict_json(data)) == data and from_strict_json(json.loads(strict_json(data))) == data


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), min_size=1),
                min_size=1, max_size=4, unique=True).filter(lambda names: not {"step", "epoch"} & set(names)),
       st.floats(allow_nan=False))
def test_any_column_names_round_trip_through_csv_and_none_starts_a_formula(tmp_path_factory, names, value):
    path = tmp_path_factory.mktemp("csv") / "h.csv"
    History([{name: value for name in names}]).to_csv(path)
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or _number(cell) for cell in header)
    assert History.from_csv(path).rows == [{name: value for name in names}]


def _number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
