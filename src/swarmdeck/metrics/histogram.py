"""An HDR latency histogram in microseconds (1 µs to 1 h, 3 significant digits).

A thin wrapper over the ``hdrhistogram`` package that also keeps the exact minimum,
maximum and sum (HDR buckets round values; the package computes a mean by walking every
bucket in Python, ~60 ms), clamps percentiles into [min, max] so that p99 never exceeds
max, reads several percentiles in one pass, and encodes to compact bytes (HDR's
compressed form plus the exact extremes and sum).
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour
SIGNIFICANT_DIGITS = 3
_HEADER = struct.Struct("<QQQ")  # exact min, max and sum (µs)


class LatencyHistogram:
    __slots__ = ("_hdr", "max_us", "min_us", "sum_us")

    def __init__(self) -> None:
        self._hdr = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
        self.min_us = 0
        self.max_us = 0
        self.sum_us = 0

    # -- recording --------------------------------------------------------------------

    def record(self, value_us: int, count: int = 1) -> None:
        """Record a latency in µs, clamped into the histogram's range [1 µs, 1 h]."""
        value = int(value_us)
        if value < LOWEST_US:
            value = LOWEST_US
        elif value > HIGHEST_US:
            value = HIGHEST_US
        if self.max_us == 0:  # empty: every recorded value is at least LOWEST_US
            self.min_us = self.max_us = value
        elif value < self.min_us:
            self.min_us = value
        elif value > self.max_us:
            self.max_us = value
        self.sum_us += value * count
        self._hdr.record_value(value, count)

    def record_ms(self, value_ms: float) -> None:
        self.record(round(value_ms * 1000))

    def merge(self, other: LatencyHistogram) -> None:
        """Add every value of ``other`` to this histogram (exact: bucket counts add up)."""
        if other.count == 0:
            return
        if self.count == 0:
            self.min_us, self.max_us = other.min_us, other.max_us
        else:
            self.min_us = min(self.min_us, other.min_us)
            self.max_us = max(self.max_us, other.max_us)
        self.sum_us += other.sum_us
        self._hdr.add(other._hdr)

    # -- reading ----------------------------------------------------------------------

    @property
    def count(self) -> int:
        return int(self._hdr.get_total_count())

    def bucket_counts(self) -> tuple[int, list[int]]:
        """(index of the first bucket, the bucket counts from there to the maximum's
        bucket): only the stretch between the exact minimum and maximum, a few thousand of
        the ~23,000 buckets, copied at C speed. Empty: (0, [])."""
        if self.count == 0:
            return 0, []
        hdr = self._hdr
        lo = hdr._counts_index_for(self.min_us)
        hi = hdr._counts_index_for(self.max_us) + 1
        if hdr.word_size == 8:  # one C-level copy: iterating the ctypes array is 4x slower
            return lo, memoryview(hdr.counts).cast("B").cast("Q")[lo:hi].tolist()
        return lo, list(hdr.counts)[lo:hi]

    def bucket_value(self, index: int) -> int:
        """The value (µs) HDR reports for the bucket at ``index`` (its highest equivalent)."""
        hdr = self._hdr
        return int(hdr.get_highest_equivalent_value(hdr.get_value_from_index(index)))

    def percentiles(self, ps: Sequence[float]) -> list[int]:
        """The values at percentiles ``ps`` (each 0-100, exclusive of 0) in µs, in one pass
        over the buckets between min and max: HDR's definition (the highest value
        equivalent to the bucket holding the target rank), clamped into [min, max]; 0s for
        an empty histogram."""
        if self.count == 0:
            return [0] * len(ps)
        hdr = self._hdr
        lo, counts = self.bucket_counts()
        cumulative = list(accumulate(counts))
        values = []
        for p in ps:
            index = lo + bisect_left(cumulative, hdr.get_target_count_at_percentile(p))
            values.append(min(max(self.bucket_value(index), self.min_us), self.max_us))
        return values

    def percentile(self, p: float) -> int:
        """The value at percentile ``p`` (0-100) in µs; 0 for an empty histogram."""
        return self.percentiles([p])[0]

    def percentile_ms(self, p: float) -> float:
        return self.percentile(p) / 1000.0

    @property
    def mean_us(self) -> float:
        """The exact mean of the recorded values (clamped into the histogram's range)."""
        return self.sum_us / self.count if self.count else 0.0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        return (self.count == other.count and self.min_us == other.min_us
                and self.max_us == other.max_us and self.sum_us == other.sum_us
                and bool(self._hdr.equals(other._hdr)))

    def __repr__(self) -> str:
        return (f"LatencyHistogram(count={self.count}, min_us={self.min_us}, "
                f"max_us={self.max_us}, sum_us={self.sum_us})")

    # -- wire and storage form --------------------------------------------------------

    def encode(self) -> bytes:
        return _HEADER.pack(self.min_us, self.max_us, self.sum_us) + bytes(self._hdr.encode())

    @classmethod
    def decode(cls, data: bytes) -> LatencyHistogram:
        histogram = cls.__new__(cls)  # skip allocating an HDR histogram only to replace it
        histogram.min_us, histogram.max_us, histogram.sum_us = _HEADER.unpack_from(data)
        histogram._hdr = HdrHistogram.decode(data[_HEADER.size:])
        return histogram

    @classmethod
    def merged(cls, histograms: list[LatencyHistogram]) -> LatencyHistogram:
        result = cls()
        for histogram in histograms:
            result.merge(histogram)
        return result
