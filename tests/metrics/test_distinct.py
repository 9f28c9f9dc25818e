"""Counting distinct names in bounded memory: exact while small, estimated beyond, and
merged across workers so that a name two workers saw counts once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarmdeck.metrics.distinct import EXACT_UP_TO, REGISTERS, DistinctCounter, stable_hash


def counter(names: list[str]) -> DistinctCounter:
    c = DistinctCounter()
    for name in names:
        c.add(name)
    return c


@given(st.lists(st.text(max_size=20), max_size=300))
def test_exact_while_small(names: list[str]) -> None:
    c = counter(names)
    if len(set(names)) <= EXACT_UP_TO:
        assert c.exact and c.count() == len(set(names))
    else:
        assert not c.exact and c.count() > EXACT_UP_TO


@given(st.lists(st.text(max_size=12), max_size=200), st.lists(st.text(max_size=12),
                                                               max_size=200))
def test_merging_counts_the_union(a: list[str], b: list[str]) -> None:
    merged = counter(a)
    merged.merge(counter(b))
    expected = len(set(a) | set(b))
    if expected <= EXACT_UP_TO:
        assert merged.count() == expected
    merged.merge(counter(b))  # the same worker's snapshot twice: nothing changes
    assert merged.count() == counter(a + b).count()


@pytest.mark.parametrize("n", [300, 1_000, 5_000, 50_000])
def test_estimated_within_a_few_percent(n: int) -> None:
    names = [f"/items/{i}" for i in range(n)]
    assert abs(counter(names).count() - n) <= 0.1 * n
    halves = counter(names[: n // 2 + 100])
    halves.merge(counter(names[n // 2 - 100:]))
    assert abs(halves.count() - n) <= 0.1 * n


def test_a_stable_hash_and_a_bounded_size() -> None:
    assert stable_hash("/items/1") == stable_hash("/items/1") != stable_hash("/items/2")
    c = counter([str(i) for i in range(10_000)])
    assert c.hashes is None and c.registers is not None and len(c.registers) == REGISTERS
    assert DistinctCounter(None, bytes(c.registers)).count() == c.count()
    with pytest.raises(ValueError):
        DistinctCounter(None, b"short")
