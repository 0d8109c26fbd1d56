"""Toy 2-D data sets for classifiers, in numpy: moons, circles, blobs, xor, spiral.

Every maker returns ``(X, y)``: X a float array of shape (n, 2), y an int
array of shape (n,) holding class labels 0, 1, ... . The same ``seed`` gives
the same points on every machine (numpy's default_rng); ``noise`` is the
standard deviation of the Gaussian jitter added to each point. The rows come
shuffled, so any slice holds every class. No scikit-learn needed.
"""

from __future__ import annotations

import math

import numpy as np

from micrograd_id._checks import finite_float, whole_number

__all__ = ["make_moons", "make_circles", "make_blobs", "make_xor", "make_spiral"]

# (X, y): X floats of shape (n, 2), y int class labels of shape (n,).
Dataset = tuple[np.ndarray, np.ndarray]


def _noise(noise):
    noise = finite_float(noise, "noise")
    if noise < 0.0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got {noise:g}")
    return noise


def _rng(seed):
    return np.random.default_rng(whole_number(seed, "seed"))


def _sizes(n, classes):
    """How many of the n points each class gets: as equal as possible, the first classes one more."""
    n = whole_number(n, "n", low=classes)
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def _finish(parts: list[np.ndarray], noise: float, rng: np.random.Generator) -> Dataset:
    """Stack the classes' clean points, jitter them by ``noise`` and shuffle the rows."""
    X = np.concatenate(parts).astype(float)
    y = np.concatenate([np.full(len(part), k, dtype=int) for k, part in enumerate(parts)])
    X = X + rng.normal(0.0, noise, size=X.shape) if noise else X
    order = rng.permutation(len(y))
    return X[order], y[order]


def _arc(count, start, stop):
    t = np.linspace(start, stop, count)
    return np.column_stack([np.cos(t), np.sin(t)])


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles: class 0 the upper one, class 1 the lower, shifted right.

    Not separable by a straight line, so a linear model fails and a small MLP
    succeeds: micrograd's demo data.

    Args:
        n: the number of points, split between the classes as equally as n allows.
        noise: the standard deviation of the Gaussian jitter added to every point, >= 0.
        seed: the seed of numpy's random generator.

    Returns:
        (X, y): X a float array of shape (n, 2), y an int array of shape (n,) with
        the class labels 0 and 1, rows shuffled; the same seed gives the same points.

    Raises:
        ValueError: n too small for the classes, noise < 0, a count or seed that is not a whole number
            (floats such as 3.0 too), or a number not finite.
        TypeError: an argument that is not a number at all.
    """
    noise, rng = _noise(noise), _rng(seed)
    upper, lower = _sizes(n, 2)
    return _finish([_arc(upper, 0.0, math.pi), np.array([1.0, 0.5]) - _arc(lower, 0.0, math.pi)], noise, rng)


def make_circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """A ring (class 0) around a smaller ring of radius ``factor`` (class 1).

    Args:
        n: the number of points, split between the classes as equally as n allows.
        noise: the standard deviation of the Gaussian jitter added to every point, >= 0.
        factor: the inner ring's radius (the outer one's is 1), in (0, 1).
        seed: the seed of numpy's random generator.

    Returns:
        (X, y): X a float array of shape (n, 2), y an int array of shape (n,) with
        the class labels 0 and 1, rows shuffled; the same seed gives the same points.

    Raises:
        ValueError: n too small for the classes, noise < 0, factor outside (0, 1), a count or seed
            that is not a whole number (floats such as 3.0 too), or a number not finite.
        TypeError: an argument that is not a number at all.
    """
    noise, rng = _noise(noise), _rng(seed)
    factor = finite_float(factor, "factor")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor is the inner ring's radius and must be in (0, 1), got {factor:g}")
    outer, inner = _sizes(n, 2)
    # endpoint excluded, so a ring never holds the same point twice
    rings = [_arc(outer + 1, 0.0, 2 * math.pi)[:-1], factor * _arc(inner + 1, 0.0, 2 * math.pi)[:-1]]
    return _finish(rings, noise, rng)


def make_blobs(n: int = 100, noise: float = 0.5, classes: int = 3, seed: int = 0) -> Dataset:
    """``classes`` round clusters with centres evenly spaced on a circle of radius 2.

    Args:
        n: the number of points, split between the classes as equally as n allows.
        noise: the standard deviation of the Gaussian jitter added to every point, >= 0.
        classes: the number of clusters, >= 1.
        seed: the seed of numpy's random generator.

    Returns:
        (X, y): X a float array of shape (n, 2), y an int array of shape (n,) with
        the class labels 0 to classes - 1, rows shuffled; the same seed gives the same points.

    Raises:
        ValueError: n too small for the classes, noise < 0, classes < 1, a count or seed that is not a whole number
            (floats such as 3.0 too), or a number not finite.
        TypeError: an argument that is not a number at all.
    """
    noise, rng = _noise(noise), _rng(seed)
    sizes = _sizes(n, whole_number(classes, "classes", low=1))
    centres = 2.0 * _arc(len(sizes) + 1, 0.0, 2 * math.pi)[:-1]
    return _finish([np.tile(centre, (size, 1)) for centre, size in zip(centres, sizes)], noise, rng)


def make_xor(n: int = 100, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Points uniform in the square [-1, 1]²; class 1 where exactly one coordinate is positive.

    The label comes from the clean point, so noise > 0 blurs the axes between
    the quadrants. Takes, returns and raises what ``make_moons`` does, except
    that the n points (at least 2) are drawn at random, so the classes' sizes vary.
    """
    noise, rng = _noise(noise), _rng(seed)
    points = rng.uniform(-1.0, 1.0, size=(whole_number(n, "n", low=2), 2))
    label = (points[:, 0] > 0) != (points[:, 1] > 0)
    return _finish([points[~label], points[label]], noise, rng)


def make_spiral(n: int = 100, noise: float = 0.05, classes: int = 2, seed: int = 0) -> Dataset:
    """``classes`` spiral arms winding out from the centre, one class per arm (one and a half turns).

    Takes, returns and raises what ``make_blobs`` does, with ``classes`` >= 2 (the number of arms).
    """
    noise, rng = _noise(noise), _rng(seed)
    sizes = _sizes(n, whole_number(classes, "classes", low=2))
    arms = []
    for k, size in enumerate(sizes):
        r = np.linspace(0.05, 1.0, size)
        theta = 3.0 * math.pi * r + 2.0 * math.pi * k / len(sizes)
        arms.append(r[:, None] * np.column_stack([np.cos(theta), np.sin(theta)]))
    return _finish(arms, noise, rng)
