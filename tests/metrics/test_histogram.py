"""The latency histogram: HDR accuracy against exact percentiles, exact merging, encoding."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.metrics.histogram import HIGHEST_US, LatencyHistogram, bucket_values, counts_index

PERCENTILES = [50, 75, 90, 95, 99, 99.9]


def exact_percentile(sorted_values: list[int], p: float) -> int:
    """Nearest-rank percentile: the smallest value with at least p% of samples at or below."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _uniform(rng: random.Random) -> int:
    return int(rng.uniform(1_000, 500_000))


def _lognormal(rng: random.Random) -> int:
    return max(1, int(rng.lognormvariate(math.log(50_000), 0.8)))


def _bimodal(rng: random.Random) -> int:
    if rng.random() < 0.9:
        return max(1, int(rng.gauss(20_000, 3_000)))
    return max(1, int(rng.gauss(800_000, 100_000)))


@pytest.mark.parametrize("draw", [_uniform, _lognormal, _bimodal], ids=lambda f: f.__name__)
def test_percentiles_within_a_tenth_of_a_percent_for_a_million_samples(draw) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    values = [draw(rng) for _ in range(1_000_000)]
    histogram = LatencyHistogram()
    for value in values:
        histogram.record(value)
    values.sort()
    assert histogram.count == len(values)
    assert histogram.min_us == values[0]
    assert histogram.max_us == values[-1]
    for p in PERCENTILES:
        exact = exact_percentile(values, p)
        observed = histogram.percentile(p)
        assert abs(observed - exact) <= 0.001 * exact, (p, observed, exact)
    assert histogram.percentile(99) <= histogram.max_us
    assert histogram.percentile(99.9) <= histogram.max_us
    assert histogram.percentile(100) == histogram.max_us


latencies = st.integers(min_value=1, max_value=HIGHEST_US)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(latencies, max_size=40), min_size=1, max_size=12))
def test_merging_interval_histograms_equals_one_histogram_of_all_samples(
        intervals: list[list[int]]) -> None:
    whole = LatencyHistogram()
    merged = LatencyHistogram()
    for samples in intervals:
        part = LatencyHistogram()
        for value in samples:
            part.record(value)
            whole.record(value)
        merged.merge(LatencyHistogram.decode(part.encode()))  # as they travel and are stored
    assert merged == whole
    for p in PERCENTILES:
        assert merged.percentile(p) == whole.percentile(p)
    assert merged.min_us == whole.min_us and merged.max_us == whole.max_us
    assert LatencyHistogram.decode(merged.encode()) == whole  # a merge stores whole


@settings(max_examples=40, deadline=None)
@given(st.lists(latencies, min_size=1, max_size=300))
def test_percentiles_are_hdr_s_own_clamped_into_min_and_max(values: list[int]) -> None:
    """The fast percentile path gives what the hdrhistogram package itself computes."""
    histogram = LatencyHistogram()
    for value in values:
        histogram.record(value)
    ps = [0.5, 25, *PERCENTILES, 100]
    expected = [min(max(histogram._hdr.get_value_at_percentile(p), min(values)), max(values))
                for p in ps]
    assert histogram.percentiles(ps) == expected


def test_bucket_values_are_hdr_s_highest_equivalent_value_of_every_bucket() -> None:
    hdr = LatencyHistogram()._hdr
    expected = [hdr.get_highest_equivalent_value(hdr.get_value_from_index(i))
                for i in range(hdr.counts_len)]
    assert bucket_values().tolist() == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(latencies, min_size=1, max_size=200))
def test_no_percentile_exceeds_the_exact_maximum_or_falls_below_the_minimum(
        values: list[int]) -> None:
    histogram = LatencyHistogram()
    for value in values:
        histogram.record(value)
    for p in [0.1, *PERCENTILES, 100]:
        assert min(values) <= histogram.percentile(p) <= max(values)


def test_out_of_range_values_are_clamped_not_lost() -> None:
    histogram = LatencyHistogram()
    histogram.record(0)
    histogram.record(HIGHEST_US * 10)
    assert histogram.count == 2
    assert histogram.min_us == 1
    assert histogram.max_us == HIGHEST_US


def test_empty_histogram_reads_zero() -> None:
    histogram = LatencyHistogram()
    assert histogram.count == 0
    assert histogram.percentile(99) == 0
    assert LatencyHistogram.decode(histogram.encode()) == histogram


@given(st.lists(st.integers(min_value=-5, max_value=HIGHEST_US * 2), min_size=1, max_size=300))
@settings(max_examples=200, deadline=None)
def test_record_fills_the_buckets_hdr_s_own_record_value_fills(values: list[int]) -> None:
    """record() computes HDR's bucket index itself (the generator's hot path): the counts,
    total, minimum and maximum are what the hdrh package's record_value gives."""
    mine, reference = LatencyHistogram(), HdrHistogram(1, HIGHEST_US, 3)
    for value in values:
        mine.record(value)
        reference.record_value(min(max(value, 1), HIGHEST_US))
    assert list(mine._hdr.counts) == list(reference.counts)
    assert (mine._hdr.total_count, mine._hdr.min_value, mine._hdr.max_value) == (
        reference.total_count, reference.min_value, reference.max_value)
    assert counts_index(HIGHEST_US) == reference._counts_index_for(HIGHEST_US)


@given(st.lists(st.lists(st.integers(min_value=-5, max_value=HIGHEST_US * 2), max_size=200),
                max_size=4))
@settings(max_examples=200, deadline=None)
def test_record_many_equals_recording_each_value(batches: list[list[int]]) -> None:
    """The recorder folds a second's successes at once (record_many): counts, extremes,
    sum and every percentile are those of recording each value, batch after batch."""
    folded, one_by_one = LatencyHistogram(), LatencyHistogram()
    for batch in batches:
        folded.record_many(np.asarray(batch, dtype=np.int64))
        for value in batch:
            one_by_one.record(value)
    assert folded == one_by_one
    assert (folded.count, folded.min_us, folded.max_us, folded.sum_us) == (
        one_by_one.count, one_by_one.min_us, one_by_one.max_us, one_by_one.sum_us)
    assert folded.percentiles([50, 95, 99, 100]) == one_by_one.percentiles([50, 95, 99, 100])
