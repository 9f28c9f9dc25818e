"""Block bootstrap over per-interval HDR histograms, vectorised with numpy (pure: no I/O).

A run is cut into blocks (the store's per-step intervals, e.g. 1 s or 10 s). Each block of
one endpoint is turned into a row of counts over latency bins (of the successful requests:
``EndpointInterval.histogram``); a bootstrap resample draws
the run's blocks with replacement (multinomial weights, the same draw for every endpoint
of the run, so that endpoints stay as correlated as they were), and every resample's
merged histogram is one matrix product ``weights @ counts``. Percentiles are then read
with a cumulative sum, for all resamples at once.

For speed, the resampled histograms use coarser bins than HDR's 3 significant digits:
``RESOLUTION`` (0.5 %) wide on a log scale, each represented by its highest value. The
point estimates do not: they are read from the exact merged HDR counts, the same way
``LatencyHistogram.percentiles`` reads them (HDR's rank rule, clamped into [min, max]).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from swarmdeck.metrics.histogram import LatencyHistogram, bucket_values
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey

RESOLUTION = 0.005  # width of a resampling bin, relative
PERCENTILES = (50.0, 95.0, 99.0)

Floats = npt.NDArray[np.float64]


@lru_cache(maxsize=1)
def _tables() -> tuple[Floats, npt.NDArray[np.int64], Floats]:
    """Per HDR counts index: its value (highest equivalent, µs) and its resampling bin;
    per bin: its representative value (the highest HDR value in it)."""
    values = bucket_values().astype(np.float64)
    bins = np.floor(np.log(np.maximum(values, 1.0)) / np.log1p(RESOLUTION)).astype(np.int64)
    representative = np.zeros(int(bins.max()) + 1, dtype=np.float64)
    np.maximum.at(representative, bins, values)
    return values, bins, representative


def _nonzero(histogram: LatencyHistogram) -> tuple[npt.NDArray[np.intp], Floats]:
    """(indices, counts) of the non-empty HDR buckets, looked for only between min and max."""
    lo, counts = histogram.bucket_counts()
    dense = counts.astype(np.float64)
    nonzero = np.flatnonzero(dense)
    return lo + nonzero, dense[nonzero]


@dataclass
class Sample:
    """One run's data for one endpoint (or all of them), block by block."""

    requests: Floats  # per block
    failures: Floats  # per block
    exact: Floats  # HDR counts of every block together (the run's exact histogram)
    # latency samples (successful requests) per block
    latencies: Floats
    min_us: int
    max_us: int
    values: Floats  # representative value of each used resampling bin, ascending
    counts: npt.NDArray[np.float32]  # (blocks, bins)

    @property
    def total_requests(self) -> int:
        return int(self.requests.sum())

    @property
    def blocks_with_data(self) -> int:
        return int(np.count_nonzero(self.requests))

    @property
    def total_latencies(self) -> int:
        """Requests with a latency in the percentiles: the successful ones."""
        return int(self.latencies.sum())

    @property
    def blocks_with_latencies(self) -> int:
        return int(np.count_nonzero(self.latencies))

    def percentiles_ms(self, ps: Sequence[float] = PERCENTILES) -> list[float | None]:
        """Exact percentiles of the whole run (HDR's definition, clamped into [min, max]);
        None without a successful request."""
        total = self.exact.sum()
        if total == 0:
            return [None] * len(ps)
        values = _tables()[0]
        cumulative = np.cumsum(self.exact)
        result: list[float | None] = []
        for p in ps:
            target = max(int(min(p, 100.0) * total / 100 + 0.5), 1)
            index = int(np.searchsorted(cumulative, target))
            value = min(max(values[min(index, len(values) - 1)], self.min_us), self.max_us)
            result.append(float(value) / 1000.0)
        return result


@dataclass
class _Building:
    """One key's data while the intervals stream by (histograms reduced as they come)."""

    requests: dict[int, float]
    failures: dict[int, float]
    latencies: dict[int, float]
    exact: Floats
    min_us: int = 0
    max_us: int = 0
    rows: list[Floats] | None = None
    bins: list[Floats] | None = None
    weights: list[Floats] | None = None


def build_samples(intervals: Iterable[EndpointInterval]
                  ) -> tuple[dict[EndpointKey, Sample], Sample, int]:
    """Per endpoint, its Sample over the run's blocks (a block where an endpoint has no
    interval counts as empty), the Sample of every endpoint merged (the overall row), and
    the number of blocks. ``intervals``: one per block and endpoint, in time order
    (``Store.iter_series``); each histogram is reduced to its non-empty buckets at once,
    so a long run never holds its decoded histograms."""
    _, index_bins, _ = _tables()
    row_of: dict[int, int] = {}
    building: dict[EndpointKey, _Building] = {}
    for interval in intervals:
        row = row_of.setdefault(interval.start, len(row_of))
        b = building.get(interval.endpoint)
        if b is None:
            b = building[interval.endpoint] = _Building(
                {}, {}, {}, np.zeros(len(_tables()[0])), rows=[], bins=[], weights=[])
        b.requests[row] = b.requests.get(row, 0.0) + interval.requests
        b.failures[row] = b.failures.get(row, 0.0) + interval.failures
        histogram = interval.histogram  # the successful requests' latency
        if histogram.count == 0:
            continue
        b.latencies[row] = b.latencies.get(row, 0.0) + histogram.count
        nonzero, counts = _nonzero(histogram)
        b.exact[nonzero] += counts
        assert b.rows is not None and b.bins is not None and b.weights is not None
        b.rows.append(np.full(len(nonzero), row, dtype=np.float64))
        b.bins.append(index_bins[nonzero].astype(np.float64))
        b.weights.append(counts)
        b.min_us = histogram.min_us if b.max_us == 0 else min(b.min_us, histogram.min_us)
        b.max_us = max(b.max_us, histogram.max_us)
    blocks = len(row_of)
    samples: dict[EndpointKey, Sample] = {}
    parts: list[tuple[Sample, tuple[Floats, Floats, Floats]]] = []
    for key, b in building.items():
        sample = _empty(blocks)
        for row, value in b.requests.items():
            sample.requests[row] = value
        for row, value in b.failures.items():
            sample.failures[row] = value
        for row, value in b.latencies.items():
            sample.latencies[row] = value
        sample.exact, sample.min_us, sample.max_us = b.exact, b.min_us, b.max_us
        triplets = (_cat(b.rows or []), _cat(b.bins or []), _cat(b.weights or []))
        _fill(sample, *triplets)
        samples[key] = sample
        parts.append((sample, triplets))
    return samples, _merge_all(parts, blocks), blocks


def _cat(arrays: list[Floats]) -> Floats:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.float64)


def _empty(blocks: int) -> Sample:
    return Sample(requests=np.zeros(blocks), failures=np.zeros(blocks),
                  latencies=np.zeros(blocks), exact=np.zeros(len(_tables()[0])), min_us=0, max_us=0,
                  values=np.zeros(0), counts=np.zeros((blocks, 0), dtype=np.float32))


def _fill(sample: Sample, rows: Floats, bins: Floats, weights: Floats) -> None:
    """The (blocks, bins) matrix from (row, bin, count) triplets: a bincount over the
    bins' range (no sorting), then only the bins that hold something."""
    blocks = len(sample.requests)
    if len(bins) == 0:
        sample.values, sample.counts = np.zeros(0), np.zeros((blocks, 0), dtype=np.float32)
        return
    first, last = int(bins.min()), int(bins.max())
    width = last - first + 1
    flat = rows.astype(np.int64) * width + (bins.astype(np.int64) - first)
    dense = np.bincount(flat, weights=weights, minlength=blocks * width).reshape(blocks, width)
    used = np.flatnonzero(dense.any(axis=0))
    sample.values = _tables()[2][first + used]
    sample.counts = dense[:, used].astype(np.float32)


def _merge_all(parts: Iterable[tuple[Sample, tuple[Floats, Floats, Floats]]],
               blocks: int) -> Sample:
    total = _empty(blocks)
    rows, bins, weights = [], [], []
    for sample, (r, b, w) in parts:
        total.requests += sample.requests
        total.failures += sample.failures
        total.latencies += sample.latencies
        total.exact += sample.exact
        if sample.max_us:
            total.min_us = sample.min_us if total.max_us == 0 else min(total.min_us,
                                                                        sample.min_us)
            total.max_us = max(total.max_us, sample.max_us)
        rows.append(r)
        bins.append(b)
        weights.append(w)
    _fill(total, _cat(rows), _cat(bins), _cat(weights))
    return total


def weights(rng: np.random.Generator, blocks: int, resamples: int) -> npt.NDArray[np.float32]:
    """(resamples, blocks): how often each block is drawn in each resample."""
    draws = rng.multinomial(blocks, np.full(blocks, 1.0 / blocks), size=resamples)
    return draws.astype(np.float32)


@dataclass
class Resampled:
    """Per bootstrap resample: the percentiles (ms), requests and failures."""

    percentiles_ms: dict[float, Floats]
    requests: Floats
    failures: Floats


def resample(sample: Sample, draw: npt.NDArray[np.float32],
             ps: Sequence[float] = PERCENTILES) -> Resampled:
    merged = (draw @ sample.counts).astype(np.float64)  # (resamples, bins)
    requests = draw.astype(np.float64) @ sample.requests
    failures = draw.astype(np.float64) @ sample.failures
    result: dict[float, Floats] = {}
    if merged.shape[1] == 0:
        return Resampled({p: np.full(len(draw), np.nan) for p in ps}, requests, failures)
    cumulative = np.cumsum(merged, axis=1)
    totals = cumulative[:, -1]
    # one searchsorted for every resample at once: rows laid end to end, each lifted above
    # the previous one (all values are whole numbers, exact in float64)
    lift = np.arange(len(draw), dtype=np.float64)[:, None] * (totals.max() + 1.0)
    flat = (cumulative + lift).ravel()
    width = len(sample.values)
    for p in ps:
        target = np.maximum(np.floor(min(p, 100.0) * totals / 100 + 0.5), 1.0)
        position = np.searchsorted(flat, target + lift[:, 0])
        index = np.minimum(position - np.arange(len(draw)) * width, width - 1)
        values = sample.values[index] / 1000.0
        result[p] = np.where(totals > 0, values, np.nan)
    return Resampled(result, requests, failures)
