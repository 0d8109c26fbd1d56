"""Per-sample losses, built from Value ops so that explain, draw_dot and explore show every step.

Each takes one model output and one target and returns a scalar Value;
``fit`` averages them over a minibatch. The classification losses take raw
scores (logits), never probabilities, and stay finite for logits of any
size: they are written so that exp only ever sees a number <= 0.

    half_squared_error(y_hat, y)    ½(y_hat − y)²: the identity network's error
    mse(y_hat, y)                   (y_hat − y)²
    hinge(score, y)                 max(0, 1 − y·score), y = −1 or +1
    binary_cross_entropy(logit, y)  −[y·log σ(z) + (1 − y)·log(1 − σ(z))], y in [0, 1]
    cross_entropy(logits, k)        −log softmax(logits)[k], k a class index
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Union

from micrograd_id._checks import finite_float
from micrograd_id.engine import Value

__all__ = ["half_squared_error", "mse", "hinge", "binary_cross_entropy", "cross_entropy",
           "CLASSIFICATION_LOSSES",
           "predicted_class", "class_of"]

# A model output or a target: a Value, or a plain number (which becomes a constant).
Operand = Union[Value, float]


def _output(value: Operand, what: str) -> Value:
    """A model output as a Value (a plain number becomes a constant)."""
    return value if isinstance(value, Value) else Value(finite_float(value, what), label=what)


def _named(loss: Value, label: str) -> Value:
    loss.label = label
    return loss


def half_squared_error(y_hat: Operand, y: Operand) -> Value:
    """E = 1/2 (y_hat - y)**2: the identity network's error, whose derivative in y_hat is y_hat - y.

    Args:
        y_hat: the model's output, a Value (or a number, as a constant).
        y: the target, a Value or a finite number (it becomes a leaf labelled ``y``).

    Returns:
        The error as a Value labelled ``E``; ``E.backward()`` fills the gradients.

    Raises:
        TypeError: y is not a real number.
        ValueError: y is not finite.
    """
    y = y if isinstance(y, Value) else Value(finite_float(y, "y"), label="y")
    E = 0.5 * (y_hat - y) ** 2
    E.label = "E"
    return E


def mse(y_hat: Operand, y: Operand) -> Value:
    """(y_hat - y)**2 for one sample: torch's mse_loss; twice half_squared_error, so its gradient is 2(y_hat - y).

    Args:
        y_hat: the model's output, a Value or a finite number.
        y: the target, a Value or a finite number.

    Returns:
        The loss as a Value labelled ``loss``.

    Raises:
        TypeError: a plain y_hat or y is not a real number.
        ValueError: a plain y_hat or y is not finite.
    """
    y = y if isinstance(y, Value) else Value(finite_float(y, "y"), label="y")
    return _named((_output(y_hat, "y_hat") - y) ** 2, "loss")


def _sign_label(y: object) -> float:
    if isinstance(y, bool) or not isinstance(y, numbers.Real) or y not in (-1, 1):
        raise ValueError(f"hinge needs the label y = -1 or +1, got {y!r} "
                         f"(fit() turns 0/1 labels into -1/+1 by itself)")
    return float(y)


def hinge(score: Operand, y: float) -> Value:
    """max(0, 1 - y * score) with y = -1 or +1: the max-margin loss of micrograd's moons demo.

    Zero (and no gradient) once a sample is on the right side with margin 1,
    so training stops pushing points that are already classified well.

    Args:
        score: the model's one output, a Value or a finite number.
        y: the label, -1 or +1 (``fit`` turns 0/1 labels into -1/+1 itself).

    Returns:
        The loss as a Value labelled ``loss``.

    Raises:
        ValueError: y is not -1 or +1, or a plain score is not finite.
    """
    return _named((1.0 - _output(score, "score") * _sign_label(y)).relu(), "loss")


def _probability_label(y: object) -> float:
    y = finite_float(y, "y")
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"binary_cross_entropy needs the label y in [0, 1] (1 = the positive class), got {y:g}")
    return y


def binary_cross_entropy(logit: Operand, y: float) -> Value:
    """Cross-entropy of the probability sigmoid(logit) against y; torch's binary_cross_entropy_with_logits.

    Written as softplus(z) - z·y with softplus(z) = relu(z) + log(1 + exp(-|z|)):
    exp never sees a positive number, so a logit of ±1000 gives a finite
    loss and the exact gradient sigmoid(z) - y. relu(z) and |z| are taken by
    the sign of z (z itself, or 0 and -z), which keeps the graph small and
    the gradient right at z = 0 too.

    Args:
        logit: the model's one output before the sigmoid, a Value or a finite number.
        y: the label in [0, 1] (1 = the positive class; a probability works too).

    Returns:
        The loss as a Value labelled ``loss``.

    Raises:
        ValueError: y is outside [0, 1] or not finite, or a plain logit is not finite.
        TypeError: y or a plain logit is not a real number.
    """
    z, y = _output(logit, "logit"), _probability_label(y)
    if z.data >= 0.0:
        softplus = z + (1.0 + (-z).exp()).log()
    else:
        softplus = (1.0 + z.exp()).log()
    return _named(softplus - z * y, "loss")


def _class_index(k: Any, classes: int) -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= int(k) < classes:
        raise ValueError(f"cross_entropy needs a class index from 0 to {classes - 1}, got {k!r}")
    return int(k)


def cross_entropy(logits: Sequence[Operand], k: int) -> Value:
    """-log softmax(logits)[k] = log Σ exp(z_i) - z_k; torch's cross_entropy for one sample.

    The largest logit m is subtracted first (log-sum-exp): every exp then
    sees z_i - m <= 0, so logits of ±1000 stay finite. m is a constant, and
    the result is the same function, so the gradient is exactly softmax - onehot(k).

    Args:
        logits: one output per class (at least 2), Values or finite numbers.
        k: the true class's index, a whole number from 0 to ``len(logits) - 1``.

    Returns:
        The loss as a Value labelled ``loss``.

    Raises:
        ValueError: fewer than 2 logits (or one Value), k is not a valid class index, or a plain logit is
            not finite.
        TypeError: a plain logit is not a real number.
    """
    if isinstance(logits, Value) or len(logits) < 2:
        raise ValueError("cross_entropy needs a list of at least 2 logits (one per class); "
                         "for two classes and one output use binary_cross_entropy")
    values = [_output(z, "logit") for z in logits]
    k = _class_index(k, len(values))
    top = max(z.data for z in values)
    shifted = [z - top for z in values]
    total = shifted[0].exp()
    for s in shifted[1:]:
        total = total + s.exp()
    return _named(total.log() - shifted[k], "loss")


CLASSIFICATION_LOSSES = (hinge, binary_cross_entropy, cross_entropy)
"""The losses whose outputs are class scores: fit() reports accuracy for them."""


def predicted_class(output: Value | list[Value] | tuple[Value, ...]) -> int:
    """The class a classifier's output stands for: 1 if its one score is > 0 (else 0), or the largest logit's index.

    Args:
        output: the model's output: one Value (a score or a logit), or a list or tuple of logits.

    Returns:
        The class as an int (the first of equal largest logits).
    """
    if isinstance(output, (list, tuple)):
        scores = [o.data for o in output]
        return scores.index(max(scores))
    return int(output.data > 0.0)


def class_of(label: float) -> int:
    """A label as the class predicted_class names: -1/+1 (hinge) count as 0/1.

    Args:
        label: a class label: 0, 1, 2, ... or -1 / +1.

    Returns:
        The class as an int, to compare with ``predicted_class``.
    """
    return 0 if label == -1 else int(label)
