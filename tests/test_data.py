"""The toy data sets: shapes and dtypes, every class present, the same points for the same seed."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_id.data import make_blobs, make_circles, make_moons, make_spiral, make_xor

MAKERS = [make_moons, make_circles, make_blobs, make_xor, make_spiral]


@pytest.mark.parametrize("make", MAKERS)
@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 300), seed=st.integers(0, 2**32), noise=st.floats(0.0, 0.5))
def test_shapes_dtypes_and_determinism(make, n, seed, noise):
    X, y = make(n, noise=noise, seed=seed)
    assert X.shape == (n, 2) and X.dtype == np.float64 and np.all(np.isfinite(X))
    assert y.shape == (n,) and y.dtype.kind == "i" and y.min() >= 0
    again_X, again_y = make(n, noise=noise, seed=seed)
    assert np.array_equal(X, again_X) and np.array_equal(y, again_y)


CLASSES = [(make_moons, 2), (make_circles, 2), (make_blobs, 3), (make_xor, 2), (make_spiral, 2)]


@pytest.mark.parametrize("make, classes", CLASSES)
def test_classes_are_balanced(make, classes):
    _, y = make(101)
    counts = np.bincount(y)
    assert len(counts) == classes and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("make, classes", CLASSES)
@settings(max_examples=50, deadline=None)
@given(n=st.integers(3, 12), seed=st.integers(0, 2**32))
def test_every_class_is_present_however_few_the_points(make, classes, n, seed):
    _, y = make(max(n, classes), seed=seed)
    assert set(y) == set(range(classes))


def test_xor_of_four_points_holds_both_classes():
    assert sorted(make_xor(4, seed=3)[1]) == [0, 0, 1, 1]


def test_other_seeds_give_other_points_and_noise_zero_gives_the_clean_shapes():
    assert not np.array_equal(make_moons(50, seed=0)[0], make_moons(50, seed=1)[0])
    X, y = make_circles(40, noise=0.0, factor=0.3)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(radius[y == 0], 1.0) and np.allclose(radius[y == 1], 0.3)
    X, y = make_moons(40, noise=0.0)
    assert np.allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0) and np.all(X[y == 0, 1] >= -1e-12)


def test_xor_labels_follow_the_quadrants_and_spiral_takes_more_arms():
    X, y = make_xor(200, noise=0.0)
    assert np.array_equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(int))
    assert set(make_spiral(90, classes=3)[1]) == {0, 1, 2}
    assert set(make_blobs(20, classes=5)[1]) == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("call, message", [
    (lambda: make_moons(1), "n must be a whole number >= 2, got 1"),
    (lambda: make_moons(10.0), "got 10.0"),
    (lambda: make_moons(True), "got True"),
    (lambda: make_moons(10, noise=-0.1), "noise .* >= 0, got -0.1"),
    (lambda: make_moons(10, noise=float("nan")), "noise must be finite"),
    (lambda: make_moons(10, noise="0.1"), "noise must be a real number"),
    (lambda: make_moons(10, seed=-1), "seed must be a whole number >= 0"),
    (lambda: make_circles(10, factor=1.5), "factor .* in \\(0, 1\\), got 1.5"),
    (lambda: make_blobs(10, classes=0), "classes must be a whole number >= 1, got 0"),
    (lambda: make_blobs(2, classes=3), "n must be a whole number >= 3, got 2"),
    (lambda: make_spiral(10, classes=1), "classes must be a whole number >= 2"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
