"""Durations in Locust's forms (90, 30s, 10m, 1h30m) and milliseconds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarmdeck.plan import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90.0), ("0", 0.0), ("30s", 30.0), ("10m", 600.0), ("2h", 7200.0),
    ("1h30m", 5400.0), ("3h30m10s", 12610.0), ("1h 30m", 5400.0), (" 45S ", 45.0),
    ("1.5s", 1.5), ("0.5", 0.5), ("500ms", 0.5), ("1m30s250ms", 90.25), (90, 90.0), (2.5, 2.5),
])
def test_parses_locust_forms(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", [
    "", "s", "m", "-5", "-5s", "5 minutes", "1h-30m", "30m1h", "1d", "1.s", "abc", "1hh", "10sm",
])
def test_rejects_other_forms(text: str) -> None:
    with pytest.raises(DurationError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("value", [True, -1, float("nan"), float("inf")])
def test_rejects_numbers_that_are_not_durations(value: float) -> None:
    with pytest.raises(DurationError):
        parse_duration(value)


@given(st.integers(0, 99), st.integers(0, 59), st.integers(0, 59),
       st.sampled_from(["hms", "hm", "hs", "ms", "h", "m", "s"]), st.booleans())
def test_any_formatted_duration_parses_back(
    hours: int, minutes: int, seconds: int, units: str, spaced: bool
) -> None:
    values = {"h": hours, "m": minutes, "s": seconds}
    text = (" " if spaced else "").join(f"{values[u]}{u}" for u in units)
    assert parse_duration(text) == sum(values[u] * {"h": 3600, "m": 60, "s": 1}[u] for u in units)


@given(st.integers(0, 10**9))
def test_format_then_parse_is_exact_to_the_millisecond(milliseconds: int) -> None:
    seconds = milliseconds / 1000
    text = format_duration(seconds)
    assert parse_duration(text) == seconds
    assert text == format_duration(parse_duration(text))


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (0.25, "250ms"), (1.5, "1.5s"), (45, "45s"), (90, "1m30s"), (3600, "1h"),
    (5400, "1h30m"), (3661.5, "1h1m1.5s"),
])
def test_formats_canonically(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
