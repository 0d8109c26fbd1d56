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


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_an_unwritable_folder_fails_before_training(tmp_path, capsys):
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
