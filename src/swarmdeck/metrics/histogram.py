"""An HDR latency histogram in microseconds (1 µs to 1 h, 3 significant digits).

A thin wrapper over the ``hdrhistogram`` package that also keeps the exact minimum and
maximum (HDR buckets round them), clamps percentiles into [min, max] so that p99 never
exceeds max, and encodes to compact bytes (HDR's compressed form plus the exact extremes).
"""

from __future__ import annotations

import struct

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour
SIGNIFICANT_DIGITS = 3
_HEADER = struct.Struct("<QQ")  # exact min, exact max (µs)


class LatencyHistogram:
    __slots__ = ("_hdr", "min_us", "max_us")

    def __init__(self) -> None:
        self._hdr = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
        self.min_us = 0
        self.max_us = 0

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
        self._hdr.add(other._hdr)

    # -- reading ----------------------------------------------------------------------

    @property
    def count(self) -> int:
        return int(self._hdr.get_total_count())

    def percentile(self, p: float) -> int:
        """The value at percentile ``p`` (0-100) in µs; 0 for an empty histogram."""
        if self.count == 0:
            return 0
        value = int(self._hdr.get_value_at_percentile(p))
        return min(max(value, self.min_us), self.max_us)

    def percentile_ms(self, p: float) -> float:
        return self.percentile(p) / 1000.0

    @property
    def mean_us(self) -> float:
        return float(self._hdr.get_mean_value()) if self.count else 0.0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        return (self.count == other.count and self.min_us == other.min_us
                and self.max_us == other.max_us and bool(self._hdr.equals(other._hdr)))

    def __repr__(self) -> str:
        return (f"LatencyHistogram(count={self.count}, min_us={self.min_us}, "
                f"max_us={self.max_us})")

    # -- wire and storage form --------------------------------------------------------

    def encode(self) -> bytes:
        return _HEADER.pack(self.min_us, self.max_us) + bytes(self._hdr.encode())

    @classmethod
    def decode(cls, data: bytes) -> LatencyHistogram:
        histogram = cls.__new__(cls)  # skip allocating an HDR histogram only to replace it
        histogram.min_us, histogram.max_us = _HEADER.unpack_from(data)
        histogram._hdr = HdrHistogram.decode(data[_HEADER.size:])
        return histogram

    @classmethod
    def merged(cls, histograms: list[LatencyHistogram]) -> LatencyHistogram:
        result = cls()
        for histogram in histograms:
            result.merge(histogram)
        return result
