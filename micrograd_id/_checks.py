"""The one check every user-facing number goes through: a real number, or a clear error.

Any real number is accepted (int, float, numpy real scalars); bool is not, since True as a
weight, a rate or a sample is almost always a mistake. Every message names what the number was for.
"""

from __future__ import annotations

import math
import numbers


def real_float(value: object, what: str) -> float:
    """value as a float (inf and nan allowed); TypeError naming ``what`` if it is not a real number."""
    if type(value) is float:  # the common cases skip the slow abstract-class check
        return value
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
        raise TypeError(f"{what} must be a real number, got {_describe(value)} "
                        f"(an int, float or numpy real scalar is)")
    try:
        number = float(value)
        if math.isinf(number) and value != number:  # numpy.longdouble(1e400) casts to inf
            raise OverflowError
    except OverflowError:
        raise OverflowError(f"{what} = {value!r:.60} is too large for a float") from None
    return number


def finite_float(value: object, what: str, *, low: float = -math.inf, high: float = math.inf, low_open: bool = False,
                 high_open: bool = False) -> float:
    """value as a finite float in [low, high] (an end is excluded when ``*_open``); else a clear error.

    TypeError for something that is not a real number; ValueError naming
    ``what``, the value and the allowed range otherwise (also for inf, nan
    and numbers too large for a float).
    """
    try:
        number = real_float(value, what)
    except OverflowError as error:
        raise ValueError(str(error)) from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {number}")
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if too_low or too_high:
        raise ValueError(f"{what} must be {_range(low, high, low_open, high_open)}, got {number:g}")
    return number


def whole_number(value: object, what: str, *, low: int = 0) -> int:
    """value as an int >= low (numpy integers too); a clear error naming ``what`` otherwise.

    TypeError for something that is not a number at all (as real_float);
    ValueError for a real number that is not a whole one >= low. bool is
    refused, and so are floats, even 3.0: a count given as a float is almost
    always a mistake.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a whole number (int), got {value!r:.40} of type {type(value).__name__}")
    if not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{what} must be a whole number >= {low}, got {value!r:.40}")
    return int(value)


def _describe(value):
    return "a Value" if type(value).__name__ == "Value" else f"{type(value).__name__} {value!r:.60}"


def _range(low, high, low_open, high_open):
    if high == math.inf:
        return f"> {low:g}" if low_open else f">= {low:g}"
    if low == -math.inf:
        return f"< {high:g}" if high_open else f"<= {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
