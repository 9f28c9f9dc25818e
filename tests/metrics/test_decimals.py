"""Plain decimals read in bulk: exactly what float() reads, or None for anything not plain."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.metrics.decimals import MAX_DIGITS, parse_plain

PLAIN = re.compile(r"(?=.*[0-9])[0-9]*\.?[0-9]*")
plain = st.from_regex(
    r"[0-9]{1,9}(\.[0-9]{0,6})?|\.[0-9]{1,6}|[0-9]{1,15}|0\.[0-9]{14}|[0-9]{14}\.[0-9]",
    fullmatch=True)
anything = st.text("0123456789.-+eE_ xa\n", min_size=0, max_size=18)


def read(numbers: list[str], glue: str = ", x;dur=") -> list[float] | None:
    """The numbers placed in a text between other characters, read back."""
    text, starts, lengths = "", [], []
    for number in numbers:
        text += glue
        starts.append(len(text))
        lengths.append(len(number))
        text += number
    text += glue
    got, plain = parse_plain(np.frombuffer(text.encode("latin-1"), dtype=np.uint8),
                             np.array(starts, dtype=np.int64),
                             np.array(lengths, dtype=np.int64))
    assert len(got) == len(plain) == len(numbers)
    assert plain.tolist() == [is_plain(number) for number in numbers]
    return got.tolist() if plain.all() else None


def is_plain(number: str) -> bool:
    digits = sum(c in "0123456789" for c in number)
    return PLAIN.fullmatch(number) is not None and digits <= MAX_DIGITS


@given(st.lists(plain, max_size=30))
@settings(max_examples=500)
def test_plain_numbers_read_exactly_as_float_reads_them(numbers: list[str]) -> None:
    got = read(numbers)
    assert got is not None
    assert [x.hex() for x in got] == [float(n).hex() for n in numbers]  # the same double


@given(st.lists(plain | anything, max_size=12))
@settings(max_examples=500)
def test_anything_else_is_refused_whole(numbers: list[str]) -> None:
    got = read(numbers)
    if all(is_plain(n) for n in numbers):
        assert got is not None and [x.hex() for x in got] == [float(n).hex() for n in numbers]
    else:
        assert got is None


@pytest.mark.parametrize(("number", "value"), [
    ("23.787", 23.787), ("0.362", 0.362), ("7", 7.0), ("1.", 1.0), (".5", 0.5),
    ("000120.0500", 120.05), ("999999999999999", 999999999999999.0), ("0.1", 0.1),
    ("0.00000000000001", 1e-14), (".000000000000001", 1e-15),
])
def test_examples(number: str, value: float) -> None:
    assert read([number]) == [value]


@pytest.mark.parametrize("number", [
    "", ".", "1.2.3", "-1", "+1", "1e3", "inf", "nan", "1_000", " 1", "1 ", "9999999999999999",
    "1.000000000000000"])
def test_not_plain(number: str) -> None:
    assert read(["1", number, "2"]) is None


def test_numbers_at_the_ends_of_the_text() -> None:
    text = np.frombuffer(b"12.5;3", dtype=np.uint8)
    got, plain = parse_plain(text, np.array([0, 5, 5, -1]), np.array([4, 1, 2, 2]))
    assert got.tolist()[:2] == [12.5, 3.0] and plain.tolist() == [True, True, False, False]
    empty, none = parse_plain(text, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert len(empty) == len(none) == 0
