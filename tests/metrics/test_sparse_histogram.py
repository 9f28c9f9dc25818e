"""The sparse histogram answers exactly as the full HDR histogram (LatencyHistogram) does:
the same percentiles, extremes, sum and count, merged or not, and after its stored form."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.metrics.histogram import HIGHEST_US, LatencyHistogram
from swarmdeck.metrics.sparse_histogram import SparseHistogram

PS = [0.1, 1, 25, 50, 75, 90, 95, 99, 99.9, 100]
values = st.lists(st.integers(0, HIGHEST_US * 2) | st.integers(1, 5_000), max_size=300)


def both(parts: list[list[int]]) -> tuple[SparseHistogram, LatencyHistogram]:
    sparse, full = SparseHistogram(), LatencyHistogram()
    for part in parts:
        piece = SparseHistogram()
        piece.record_many(np.asarray(part, dtype=np.int64))
        sparse.merge(piece)
        full.record_many(np.asarray(part, dtype=np.int64))
    return sparse, full


@given(st.lists(values, min_size=1, max_size=5))
@settings(max_examples=150, deadline=None)
def test_it_answers_as_the_full_histogram(parts: list[list[int]]) -> None:
    sparse, full = both(parts)
    assert sparse.count == full.count
    assert (sparse.min_us, sparse.max_us, sparse.sum_us) == (full.min_us, full.max_us,
                                                             full.sum_us)
    assert sparse.percentiles(PS) == full.percentiles(PS)
    again = SparseHistogram.decode(sparse.encode())
    assert again == sparse and again.percentiles(PS) == full.percentiles(PS)


def test_it_holds_only_the_buckets_it_uses() -> None:
    """An interval's durations of one metric: a few hundred buckets of the ~23,000 a
    LatencyHistogram holds (184 kB whatever it holds)."""
    rng = np.random.default_rng(1)
    sparse, full = both([rng.lognormal(9, 1, 300).astype(np.int64).tolist()])
    assert sparse.count == 300 and len(sparse.indexes) <= 300
    assert sparse.indexes.nbytes + sparse.counts.nbytes <= 300 * 16
    assert len(sparse.encode()) < len(full.encode())
