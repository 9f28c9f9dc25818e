"""An HDR latency histogram in microseconds (1 µs to 1 h, 3 significant digits).

A thin wrapper over the ``hdrhistogram`` package that also keeps the exact minimum,
maximum and sum (HDR buckets round values; the package computes a mean by walking every
bucket in Python, ~60 ms), clamps percentiles into [min, max] so that p99 never exceeds
max, reads several percentiles in one pass, and encodes to compact bytes (HDR's
compressed form plus the exact extremes and sum).
"""

from __future__ import annotations

import struct
import weakref
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour
SIGNIFICANT_DIGITS = 3
_HEADER = struct.Struct("<QQQ")  # exact min, max and sum (µs)


def _acyclic(hdr: HdrHistogram) -> HdrHistogram:
    """``hdr`` with its encoder's back reference made weak. HdrHistogram and its encoder
    refer to each other: a cycle, so its 190 kB of counters would be freed only by the
    garbage collector, and every new histogram would take fresh memory from the system
    (page faults: ~130 µs a histogram instead of ~15 µs). Without the cycle it is freed
    as soon as it is dropped and the memory is reused."""
    hdr.encoder.histogram = weakref.proxy(hdr)
    return hdr


_LAYOUT = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
# HDR's index arithmetic (HdrHistogram._counts_index_for), as constants for record():
# the package's own record_value takes six Python calls a value, on the generator's hot path
_SUB_BUCKET_MASK = int(_LAYOUT.sub_bucket_mask)
_UNIT_MAGNITUDE = int(_LAYOUT.unit_magnitude)
_HALF_MAGNITUDE = int(_LAYOUT.sub_bucket_half_count_magnitude)
_HALF_COUNT = int(_LAYOUT.sub_bucket_half_count)
del _LAYOUT


def counts_index(value: int) -> int:
    """The index of ``value``'s bucket, as HdrHistogram._counts_index_for computes it
    (``64 - clz(x)`` is ``x.bit_length()``)."""
    bucket = ((value | _SUB_BUCKET_MASK).bit_length() - _UNIT_MAGNITUDE
              - (_HALF_MAGNITUDE + 1))
    sub_bucket = value >> (bucket + _UNIT_MAGNITUDE)
    return ((bucket + 1) << _HALF_MAGNITUDE) + sub_bucket - _HALF_COUNT


def bucket_indexes(values_us: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``counts_index`` of each value (µs, within [LOWEST_US, HIGHEST_US]), vectorised as in
    ``LatencyHistogram.record_many``."""
    bits = np.frexp((values_us | _SUB_BUCKET_MASK).astype(np.float64))[1].astype(np.int64)
    bucket = bits - _UNIT_MAGNITUDE - (_HALF_MAGNITUDE + 1)
    return (((bucket + 1) << _HALF_MAGNITUDE) + (values_us >> (bucket + _UNIT_MAGNITUDE))
            - _HALF_COUNT)


@lru_cache(maxsize=1)
def bucket_values() -> npt.NDArray[np.int64]:
    """The value (µs) HDR reports for each bucket index (the highest value equivalent to
    the bucket), for every index of the layout all these histograms share; computed once
    with HDR's own index arithmetic, vectorised. Read-only."""
    hdr = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
    index = np.arange(hdr.counts_len, dtype=np.int64)
    half = int(hdr.sub_bucket_half_count)
    bucket = (index >> int(hdr.sub_bucket_half_count_magnitude)) - 1
    sub = (index & (half - 1)) + half
    first = bucket < 0
    sub[first] -= half
    bucket[first] = 0
    shift = bucket + int(hdr.unit_magnitude)
    values = (sub << shift) + (np.int64(1) << shift) - 1
    values.flags.writeable = False
    return values


class LatencyHistogram:
    __slots__ = ("_hdr", "max_us", "min_us", "sum_us")

    def __init__(self) -> None:
        self._hdr = _acyclic(HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS))
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
        hdr = self._hdr
        if self.max_us == 0:  # empty: every recorded value is at least LOWEST_US
            self.min_us = self.max_us = hdr.min_value = hdr.max_value = value
        elif value < self.min_us:
            self.min_us = hdr.min_value = value
        elif value > self.max_us:
            self.max_us = hdr.max_value = value
        self.sum_us += value * count
        # HdrHistogram.record_value, inlined (its min/max are kept just above)
        bucket = ((value | _SUB_BUCKET_MASK).bit_length() - _UNIT_MAGNITUDE
                  - (_HALF_MAGNITUDE + 1))
        hdr.counts[((bucket + 1) << _HALF_MAGNITUDE) + (value >> (bucket + _UNIT_MAGNITUDE))
                   - _HALF_COUNT] += count
        hdr.total_count += count

    def record_ms(self, value_ms: float) -> None:
        self.record(round(value_ms * 1000))

    def record_many(self, values_us: npt.NDArray[np.int64]) -> None:
        """Record many latencies (µs) at once: the same counts, extremes and sum as
        ``record`` called on each, with HDR's index arithmetic vectorised (the recorder
        folds a second's successful requests per endpoint with it)."""
        if not len(values_us):
            return
        values = np.clip(values_us, LOWEST_US, HIGHEST_US).astype(np.int64, copy=False)
        low, high = int(values.min()), int(values.max())
        hdr = self._hdr
        if self.max_us == 0:
            self.min_us, self.max_us = low, high
        else:
            self.min_us, self.max_us = min(self.min_us, low), max(self.max_us, high)
        hdr.min_value, hdr.max_value = self.min_us, self.max_us
        self.sum_us += int(values.sum())
        # bit_length(x) is frexp's exponent, exact for x < 2**53 (the range ends at 2**32)
        bits = np.frexp((values | _SUB_BUCKET_MASK).astype(np.float64))[1].astype(np.int64)
        bucket = bits - _UNIT_MAGNITUDE - (_HALF_MAGNITUDE + 1)
        index = (((bucket + 1) << _HALF_MAGNITUDE) + (values >> (bucket + _UNIT_MAGNITUDE))
                 - _HALF_COUNT)
        first = int(index.min())
        tally = np.bincount(index - first)
        counts = np.ctypeslib.as_array(hdr.counts)
        counts[first:first + len(tally)] += tally.astype(counts.dtype, copy=False)
        hdr.total_count += len(values)

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
        mine, theirs = self._hdr, other._hdr  # what HdrHistogram.add does, at numpy speed
        counts = np.ctypeslib.as_array(mine.counts)
        counts += np.ctypeslib.as_array(theirs.counts)
        mine.total_count += theirs.get_total_count()
        mine.max_value = max(mine.max_value, theirs.get_max_value())
        mine.min_value = min(mine.get_min_value(), theirs.get_min_value())

    # -- reading ----------------------------------------------------------------------

    @property
    def count(self) -> int:
        return int(self._hdr.get_total_count())

    def bucket_counts(self) -> tuple[int, npt.NDArray[np.int64]]:
        """(index of the first bucket, a copy of the bucket counts from there to the
        maximum's bucket): only the stretch between the exact minimum and maximum, a few
        thousand of the ~23,000 buckets. Empty: (0, an empty array)."""
        if self.count == 0:
            return 0, np.zeros(0, dtype=np.int64)
        hdr = self._hdr
        lo = hdr._counts_index_for(self.min_us)
        hi = hdr._counts_index_for(self.max_us) + 1
        return lo, np.ctypeslib.as_array(hdr.counts)[lo:hi].astype(np.int64)

    def bucket_value(self, index: int) -> int:
        """The value (µs) HDR reports for the bucket at ``index`` (its highest equivalent)."""
        return int(bucket_values()[index])

    def bucket_floor(self, index: int) -> int:
        """The lowest value (µs) of the bucket at ``index``."""
        return int(self._hdr.get_value_from_index(index))

    def percentiles(self, ps: Sequence[float]) -> list[int]:
        """The values at percentiles ``ps`` (each 0-100, exclusive of 0) in µs, in one pass
        over the buckets between min and max: HDR's definition (the highest value
        equivalent to the bucket holding the target rank), clamped into [min, max]; 0s for
        an empty histogram."""
        if self.count == 0:
            return [0] * len(ps)
        hdr = self._hdr
        lo = hdr._counts_index_for(self.min_us)
        hi = hdr._counts_index_for(self.max_us) + 1
        cumulative = np.cumsum(np.ctypeslib.as_array(hdr.counts)[lo:hi])
        targets = [hdr.get_target_count_at_percentile(p) for p in ps]
        indexes = np.searchsorted(cumulative, targets, side="left").tolist()
        values = bucket_values()
        last = hi - lo - 1
        return [min(max(int(values[lo + min(i, last)]), self.min_us), self.max_us)
                for i in indexes]

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
        histogram._hdr = _acyclic(HdrHistogram.decode(data[_HEADER.size:]))
        return histogram

    @classmethod
    def merged(cls, histograms: list[LatencyHistogram]) -> LatencyHistogram:
        result = cls()
        for histogram in histograms:
            result.merge(histogram)
        return result
