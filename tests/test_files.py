"""_files: every file the library writes appears whole or not at all; check_writable leaves nothing behind."""

import json
import os
import shutil

import pytest
from conftest import identity_error

from micrograd_id import Value, identity, train, viz
from micrograd_id._files import write_atomic


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


WRITERS = {"history.csv": (_history_writer, ".csv"), "history.json": (_history_writer, ".json"),
           "state_dict.json": (_state_dict_writer, ".json"), "graph.dot": (_render_writer, ".dot"),
           "graph.svg": (_render_writer, ".svg"), "graph.png": (_render_writer, ".png"),
           "graph.pdf": (_render_writer, ".pdf")}


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
         "graph.pdf": lambda data: data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")}


@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_writes_a_whole_file_and_no_temporary(tmp_path, name):
    factory, suffix = WRITERS[name]
    target = tmp_path / ("out" + suffix)
    factory(suffix)(target)
    assert WHOLE[name](target.read_bytes())
    assert files_in(tmp_path) == [target.name]
