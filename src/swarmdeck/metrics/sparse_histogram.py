"""An HDR histogram kept sparse: the same buckets, percentiles and exact min/max/sum as
``LatencyHistogram``, holding only the buckets that have counts.

A ``LatencyHistogram`` holds all ~23,000 bucket counters of its layout (184 kB) whatever it
holds; fine for one latency histogram per endpoint and interval, too much for one per
Server-Timing metric (five or more per endpoint and interval, kept for the live window's
20 s). A metric's durations of one interval fall in a few dozen buckets: this keeps those,
as index -> count, and answers exactly as the full histogram would (a test compares them
on random data).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from swarmdeck.metrics.histogram import HIGHEST_US, LOWEST_US, bucket_indexes, bucket_values

_HEADER = struct.Struct("<QQQQ")  # min, max, sum (µs), buckets held


def _combine(indexes: npt.NDArray[np.int64], counts: npt.NDArray[np.int64],
             more_indexes: npt.NDArray[np.int64], more_counts: npt.NDArray[np.int64]
             ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Two sets of (sorted bucket indexes, their counts) added up: sorted, exact."""
    if not len(indexes):
        return more_indexes.copy(), more_counts.copy()
    joined, where = np.unique(np.concatenate([indexes, more_indexes]), return_inverse=True)
    total = np.zeros(len(joined), dtype=np.int64)
    np.add.at(total, where, np.concatenate([counts, more_counts]))
    return joined, total


_EMPTY = np.zeros(0, dtype=np.int64)


class SparseHistogram:
    __slots__ = ("counts", "indexes", "max_us", "min_us", "sum_us")

    def __init__(self) -> None:
        self.indexes: npt.NDArray[np.int64] = _EMPTY  # the buckets held, ascending
        self.counts: npt.NDArray[np.int64] = _EMPTY  # their counts
        self.min_us = 0
        self.max_us = 0
        self.sum_us = 0

    @property
    def count(self) -> int:
        return int(self.counts.sum())

    def record_many(self, values_us: npt.NDArray[np.int64]) -> None:
        """Record latencies (µs), clamped into [1 µs, 1 h] as ``LatencyHistogram``."""
        if not len(values_us):
            return
        values = np.clip(values_us, LOWEST_US, HIGHEST_US).astype(np.int64, copy=False)
        low, high = int(values.min()), int(values.max())
        if not len(self.counts):
            self.min_us, self.max_us = low, high
        else:
            self.min_us, self.max_us = min(self.min_us, low), max(self.max_us, high)
        self.sum_us += int(values.sum())
        indexes, counts = np.unique(bucket_indexes(values), return_counts=True)
        self.indexes, self.counts = _combine(self.indexes, self.counts,
                                             indexes.astype(np.int64), counts.astype(np.int64))

    def merge(self, other: SparseHistogram) -> None:
        if not len(other.counts):
            return
        if not len(self.counts):
            self.min_us, self.max_us = other.min_us, other.max_us
        else:
            self.min_us = min(self.min_us, other.min_us)
            self.max_us = max(self.max_us, other.max_us)
        self.sum_us += other.sum_us
        self.indexes, self.counts = _combine(self.indexes, self.counts, other.indexes,
                                             other.counts)

    def percentiles(self, ps: Sequence[float]) -> list[int]:
        """As ``LatencyHistogram.percentiles``: HDR's definition (the highest value
        equivalent to the bucket holding the target rank), clamped into [min, max]."""
        if not len(self.counts):
            return [0] * len(ps)
        cumulative = np.cumsum(self.counts)
        total = int(cumulative[-1])
        targets = [max(int(min(p, 100.0) * total / 100 + 0.5), 1) for p in ps]
        found = np.searchsorted(cumulative, targets, side="left").tolist()
        values = bucket_values()
        last = len(self.indexes) - 1
        return [min(max(int(values[self.indexes[min(i, last)]]), self.min_us), self.max_us)
                for i in found]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SparseHistogram):
            return NotImplemented
        return ((self.min_us, self.max_us, self.sum_us) == (other.min_us, other.max_us,
                                                            other.sum_us)
                and np.array_equal(self.indexes, other.indexes)
                and np.array_equal(self.counts, other.counts))

    def __repr__(self) -> str:
        return (f"SparseHistogram(count={self.count}, min_us={self.min_us}, "
                f"max_us={self.max_us}, sum_us={self.sum_us})")

    def encode(self) -> bytes:
        """The extremes and sum, then the buckets: the gaps between their indexes and their
        counts (zlib: both are mostly small numbers)."""
        gaps = np.diff(self.indexes, prepend=0)
        return (_HEADER.pack(self.min_us, self.max_us, self.sum_us, len(self.indexes))
                + zlib.compress(gaps.astype("<i8").tobytes()
                                + self.counts.astype("<i8").tobytes()))

    @classmethod
    def decode(cls, data: bytes) -> SparseHistogram:
        histogram = cls()
        histogram.min_us, histogram.max_us, histogram.sum_us, n = _HEADER.unpack_from(data)
        raw = np.frombuffer(zlib.decompress(data[_HEADER.size:]), dtype="<i8")
        histogram.indexes = np.cumsum(raw[:n]).astype(np.int64)
        histogram.counts = raw[n:].astype(np.int64)
        return histogram
