"""The one check every user-facing number goes through: a finite real, or a clear error."""

import math
import numbers


def finite_float(value, what):
    """value as a finite float; TypeError or ValueError naming ``what`` otherwise.

    Any real number is accepted (int, float, numpy scalars); bool is not,
    since True as a weight or a sample is almost always a mistake.
    """
    if type(value) is float:  # the common case skips the slow abstract-class check
        number = value
    elif isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {type(value).__name__} {value!r:.40}")
    else:
        try:
            number = float(value)
        except OverflowError:
            raise ValueError(f"{what} = {value!r:.40} is too large for a float") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {number}")
    return number


def whole_number(value, what, least=0):
    """value as an int >= least (numpy integers too, bool not); ValueError naming ``what`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ValueError(f"{what} must be a whole number >= {least}, got {value!r:.40}")
    return int(value)
