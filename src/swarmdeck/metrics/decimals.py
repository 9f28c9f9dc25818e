"""Plain decimal numbers read in bulk out of a text's bytes: a pure function.

``parse_plain(text, starts, lengths)`` reads the numbers at the given offsets of a byte
buffer at once with numpy, where ``float()`` would need one string object and one call per
number. Only *plain* numbers are read (digits with at most one ``.``, at least one digit and
at most ``MAX_DIGITS`` of them: ``23.787``, ``7``, ``1.``, ``.5``); for those the result is
exactly ``float(text)``: the number's digits as one integer below 2**53 divided by a power
of ten up to 10**15, both exact in a double, give the correctly rounded quotient, as
``float()`` rounds (Clinger's fast path). Anything else (a sign, an exponent, ``inf``, a
second ``.``, too many digits) is marked as not plain: the caller reads those numbers the
general way.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MAX_DIGITS = 15  # 10**15 < 2**53: the digits' integer is exact in a double
MAX_LENGTH = MAX_DIGITS + 1  # digits and one "."
_POW10 = np.array([float(10**k) for k in range(MAX_DIGITS + 1)])  # exact doubles
_ZERO, _DOT = ord("0"), ord(".")

Ints = npt.NDArray[np.int64]


def parse_plain(text: npt.NDArray[np.uint8], starts: Ints, lengths: Ints
                ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The numbers ``text[starts[i]:starts[i] + lengths[i]]`` (ASCII bytes) as doubles,
    each exactly ``float()`` of its text, and which of them are plain (the others read as
    0.0: read them the general way)."""
    count = len(starts)
    plain = (lengths >= 1) & (lengths <= MAX_LENGTH) & (starts >= 0) & \
        (starts + lengths <= len(text))
    if not count or not len(text):
        return np.zeros(count, dtype=np.float64), plain
    value = np.zeros(count, dtype=np.int64)  # the digits read so far, as one integer
    digits = np.zeros(count, dtype=np.int64)
    dots = np.zeros(count, dtype=np.int64)
    dot_at = np.full(count, -1, dtype=np.int64)  # the column of the "." (-1: none)
    at = np.clip(starts, 0, len(text) - 1)
    last = np.int64(len(text) - 1)
    shortest = int(np.where(plain, lengths, 0).min())  # columns every number reaches
    for column in range(int(np.minimum(lengths, MAX_LENGTH).max(initial=0))):
        char = text[at if column < shortest else np.minimum(at, last)]
        at += 1
        figure = char - np.uint8(_ZERO)  # uint8: below "0" wraps round
        digit = figure < 10
        dot = char == _DOT
        if column >= shortest:
            inside = lengths > column
            digit &= inside
            dot &= inside
        value = np.where(digit, value * 10 + figure, value)
        digits += digit
        dots += dot
        dot_at[dot] = column
    # no character but digits and one ".", at least one digit, not too many
    plain &= (digits + dots == lengths) & (dots <= 1) & (digits >= 1) & (digits <= MAX_DIGITS)
    fraction = np.where(plain & (dot_at >= 0), lengths - 1 - dot_at, 0)  # after the "."
    return np.where(plain, value, 0).astype(np.float64) / _POW10[fraction], plain
