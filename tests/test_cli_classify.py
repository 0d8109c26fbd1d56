"""`micrograd-id classify`: trains, writes the boundary, the curves and the history; errors in one line."""

import os

import pytest

from micrograd_id import cli
from micrograd_id.train import History

pytest.importorskip("matplotlib")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = ["--samples", "16", "--epochs", "3", "--hidden", "4"]


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_classify_writes_the_boundary_the_curves_and_the_history(tmp_path, capsys):
    status, out, err = run(capsys, "classify", "--out", str(tmp_path / "new"), *SMALL)
    assert status == 0, err
    assert "moons: 16 points, 2 classes; MLP 2-4-1, binary_cross_entropy, Adam lr = 0.05, 3 epochs" in out
    for name in ("boundary.png", "curves.png"):
        assert (tmp_path / "new" / name).read_bytes().startswith(PNG_MAGIC)
    assert History.from_csv(tmp_path / "new" / "history.csv").column("epoch") == [1, 2, 3]


def test_more_than_two_classes_use_cross_entropy(tmp_path, capsys):
    status, out, _ = run(capsys, "classify", "--data", "blobs", "--out", str(tmp_path), *SMALL, "--batch-size", "4")
    assert status == 0 and "MLP 2-4-3, cross_entropy" in out and "batches of 4" in out


@pytest.mark.parametrize("argv, words", [
    (["--data", "iris"], "invalid choice: 'iris'"),
    (["--noise", "-0.5"], "must be >= 0, got '-0.5'"),
    (["--hidden", "16,0"], "from 1 to 1,000, got '0'"),
    (["--lr", "0"], "learning rate must be > 0"),
    (["--epochs", "2.5"], "expected a whole number, got '2.5'"),
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv, words):
    status, out, err = run(capsys, "classify", *argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err


def test_an_unwritable_folder_fails_before_training(tmp_path, capsys, monkeypatch):
    real_access = os.access
    # root may write into a read-only folder, so the folder says "not writable" through os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if mode == os.W_OK and os.fspath(path) ==
                        str(tmp_path) else real_access(path, mode, **kw))
    tmp_path.chmod(0o500)
    try:
        status, out, err = run(capsys, "classify", "--out", str(tmp_path), *SMALL)
    finally:
        tmp_path.chmod(0o700)
    assert status == 1 and "epoch" not in out
    assert err.strip() == f"micrograd-id classify: cannot write into {tmp_path}: the folder is not writable"


def test_an_impossible_folder_is_named(capsys):
    status, out, err = run(capsys, "classify", "--out", "/proc/no/such", *SMALL)
    assert status == 1 and out == ""
    assert err.strip().startswith("micrograd-id classify: cannot create the folder /proc/no/such")


def test_xor_with_four_points_trains_on_both_classes(tmp_path, capsys):
    status, out, err = run(capsys, "classify", "--data", "xor", "--samples", "4", "--epochs", "2", "--hidden", "4",
                           "--out", str(tmp_path))
    assert status == 0, err
    assert out.startswith("xor: 4 points, 2 classes; MLP 2-4-1")


@pytest.mark.parametrize("argv, words", [
    (["--samples", "100000"], "--samples 100000 in one batch would record a graph of about 15 GB in each step; "
                              "give --batch-size 13,755 or less"),
    (["--samples", "100000", "--batch-size", "50000"], "--batch-size 50000 would record a graph of about 7 GB"),
    (["--hidden", ",".join(["1000"] * 7)], "--hidden 1000,1000,1000,1000,1000,1000,1000 would record a graph of "
                                          "about 2 GB for each sample; give smaller layers"),
])
def test_a_graph_too_large_for_memory_is_refused_before_any_work(tmp_path, capsys, monkeypatch, argv, words):
    import micrograd_id.data

    monkeypatch.setattr(micrograd_id.data, "make_moons", lambda *a, **k: pytest.fail("made the data set"))
    status, out, err = run(capsys, "classify", *argv, "--out", str(tmp_path / "out"))
    assert status == 2 and out == "" and not (tmp_path / "out").exists()
    assert len(err.splitlines()) == 1 and words in err


def test_small_batches_of_many_samples_pass_the_memory_check(tmp_path, capsys, monkeypatch):
    import micrograd_id.train

    def reached(*args, **kwargs):
        raise RuntimeError("training started")
    monkeypatch.setattr(micrograd_id.train, "fit", reached)
    status, out, err = run(capsys, "classify", "--samples", "100000", "--batch-size", "1000", "--out", str(tmp_path))
    assert status == 1 and err == "micrograd-id classify: training started\n"
