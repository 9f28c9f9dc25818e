"""The worst sliding window of a metric over a run, fast: each slot's histograms are
reduced once to their non-zero HDR buckets, and the window's bucket counts are kept by
adding the slot that enters and subtracting the one that leaves (numpy), so a window costs
one cumulative sum instead of re-merging every histogram in it.

Percentiles are exactly those of `LatencyHistogram.percentiles` on the window's merged
histogram (HDR's definition, clamped into the window's exact min and max).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from swarmdeck.analysis.latency import latency_of
from swarmdeck.metrics.histogram import bucket_values
from swarmdeck.metrics.interval import EndpointInterval

_COUNTS_LEN = len(bucket_values())
_NO_MIN = np.iinfo(np.int64).max


@dataclass
class Slot:
    """One interval slot of a threshold's scope, reduced to what windows need."""

    requests: int = 0
    failures: int = 0
    count: int = 0  # latency samples
    sum_us: int = 0
    min_us: int = int(_NO_MIN)
    max_us: int = 0
    index: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    counts: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))


def reduce_slot(members: Sequence[EndpointInterval], latency: bool,
                metric: str = "p95") -> Slot:
    """The slot's counts and, for a latency metric, the latency ``metric`` reads
    (analysis/latency.py): of the successful requests, ``failed.*`` of the failed ones,
    ``service.*`` the service time."""
    slot = Slot(requests=sum(m.requests for m in members),
                failures=sum(m.failures for m in members))
    if not latency:
        return slot
    parts = []
    for member in members:
        h = latency_of(metric, member)
        if h is None or h.count == 0:
            continue
        slot.count += h.count
        slot.sum_us += h.sum_us
        slot.min_us = min(slot.min_us, h.min_us)
        slot.max_us = max(slot.max_us, h.max_us)
        parts.append(h.bucket_counts())
    if not parts:
        return slot
    start = min(lo for lo, _ in parts)
    dense = np.zeros(max(lo + len(c) for lo, c in parts) - start, np.int64)
    for lo, counts in parts:
        dense[lo - start:lo - start + len(counts)] += counts
    nonzero = np.flatnonzero(dense)
    slot.index, slot.counts = nonzero + start, dense[nonzero]
    return slot


def percentile_us(cumulative: npt.NDArray[np.int64], total: int, p: float, min_us: int,
                  max_us: int) -> int:
    """HDR's value at percentile ``p`` from cumulative bucket counts (as
    `LatencyHistogram.percentiles` computes it)."""
    target = max(int(min(p, 100.0) * total / 100 + 0.5), 1)
    index = int(np.searchsorted(cumulative, target, side="left"))
    value = int(bucket_values()[min(index, _COUNTS_LEN - 1)])
    return min(max(value, min_us), max_us)


def worst_window(slots: Sequence[Slot], n: int, metric: str, percentile: float | None,
                 interval_s: float, higher_is_worse: bool) -> tuple[float, int] | None:
    """(the worst value over every window of ``n`` consecutive slots, its first slot), or
    None when no window has data. Latency in ms, error_rate a fraction."""
    latency = percentile is not None or metric in ("max", "avg")
    acc = np.zeros(_COUNTS_LEN, np.int64) if percentile is not None else None
    maxima = np.array([s.max_us for s in slots], np.int64)
    minima = np.array([s.min_us for s in slots], np.int64)
    requests = failures = count = sum_us = 0
    best: tuple[float, int] | None = None
    for hi, slot in enumerate(slots):
        requests += slot.requests
        failures += slot.failures
        count += slot.count
        sum_us += slot.sum_us
        if acc is not None and slot.index.size:
            acc[slot.index] += slot.counts
        lo = hi - n + 1
        if lo > 0:
            old = slots[lo - 1]
            requests -= old.requests
            failures -= old.failures
            count -= old.count
            sum_us -= old.sum_us
            if acc is not None and old.index.size:
                acc[old.index] -= old.counts
        if lo < 0:
            continue
        value: float | None
        if latency:
            if count == 0:
                continue
            hi_max = int(maxima[lo:hi + 1].max())
            if metric == "max":
                value = hi_max / 1000.0
            elif metric == "avg":
                value = sum_us / count / 1000.0
            else:
                assert acc is not None and percentile is not None
                value = percentile_us(np.cumsum(acc), count, percentile,
                                      int(minima[lo:hi + 1].min()), hi_max) / 1000.0
        elif metric == "error_rate":
            if requests == 0:
                continue
            value = failures / requests
        elif metric == "rps":
            value = requests / (n * interval_s)
        else:
            value = float(requests)
        if best is None or (value > best[0] if higher_is_worse else value < best[0]):
            best = (value, lo)
    return best
