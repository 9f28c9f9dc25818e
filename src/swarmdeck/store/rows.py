"""Between database rows and ``EndpointInterval``: encoding, decoding, merging by key."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.metrics.server_timing import ServerTiming

K = TypeVar("K", bound=Hashable)

# the columns a merge needs, in this order, from either intervals or rollups
MEASURE_COLUMNS = ("start", "method", "name", "region", "requests", "failures", "bytes",
                   "histogram", "errors", "failed_histogram", "service_histogram",
                   "server_timing")


def measurements(interval: EndpointInterval) -> dict[str, Any]:
    """The stored measurement columns of an interval (``failed_histogram`` NULL without
    failed latencies)."""
    histogram, failed = interval.histogram, interval.failed_histogram
    return {
        "requests": interval.requests,
        "failures": interval.failures,
        "bytes": interval.bytes,
        "histogram": histogram.encode(),
        "min_us": histogram.min_us,
        "max_us": histogram.max_us,
        "errors": {str(reason): int(count) for reason, count in interval.errors.items()},
        "failed_histogram": failed.encode() if failed is not None else None,
        "service_histogram": (interval.service_histogram.encode()
                              if interval.service_histogram is not None else None),
        "server_timing": (interval.server_timing.encode()
                          if interval.server_timing is not None else None),
    }


def from_row(row: Any) -> EndpointInterval:
    """An interval from a row holding MEASURE_COLUMNS (a row written before the failed
    histogram existed reads unsplit: its ``histogram`` holds every request)."""
    failed = row.failed_histogram
    service = getattr(row, "service_histogram", None)
    timing = row.server_timing
    return EndpointInterval(
        start=int(row.start), method=row.method, name=row.name, region=row.region,
        requests=int(row.requests), failures=int(row.failures), bytes=int(row.bytes),
        histogram=LatencyHistogram.decode(bytes(row.histogram)),
        errors=Counter({str(k): int(v) for k, v in (row.errors or {}).items()}),
        failed_histogram=LatencyHistogram.decode(bytes(failed)) if failed is not None else None,
        service_histogram=(LatencyHistogram.decode(bytes(service))
                           if service is not None else None),
        # decoded when first read: most reads of a row want its latency only
        server_timing=ServerTiming.decode(bytes(timing)) if timing is not None else None,
    )


def copy_interval(interval: EndpointInterval) -> EndpointInterval:
    """A deep copy, so that merging into it never changes the caller's object."""
    histogram = LatencyHistogram()
    histogram.merge(interval.histogram)
    failed = service = None
    if interval.failed_histogram is not None:
        failed = LatencyHistogram()
        failed.merge(interval.failed_histogram)
    if interval.service_histogram is not None:
        service = LatencyHistogram()
        service.merge(interval.service_histogram)
    return EndpointInterval(
        start=interval.start, method=interval.method, name=interval.name,
        region=interval.region, requests=interval.requests, failures=interval.failures,
        bytes=interval.bytes, histogram=histogram, errors=Counter(interval.errors),
        failed_histogram=failed, service_histogram=service,
        server_timing=(interval.server_timing.copy()
                       if interval.server_timing is not None else None))


class Merger(Generic[K]):
    """Merges intervals (or rows) into one accumulator per key.

    The first interval of a key becomes its accumulator (no copy: callers pass freshly
    decoded or copied intervals); later ones are merged into it exactly.
    """

    def __init__(self, key: Callable[[EndpointInterval], K]) -> None:
        self._key = key
        self.merged: dict[K, EndpointInterval] = {}

    def add(self, interval: EndpointInterval) -> None:
        key = self._key(interval)
        target = self.merged.get(key)
        if target is None:
            self.merged[key] = interval
        else:
            target.merge(interval)

    def add_rows(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self.add(from_row(row))

    def take(self) -> dict[K, EndpointInterval]:
        merged, self.merged = self.merged, {}
        return merged


def merge_all(intervals: Iterable[EndpointInterval], *, start: int, method: str,
              name: str, region: str) -> EndpointInterval:
    """One interval holding all of ``intervals`` (which are not changed)."""
    total = EndpointInterval(start=start, method=method, name=name, region=region)
    for interval in intervals:
        total.merge(interval)
    return total


def relabel(merged: Mapping[K, EndpointInterval], *, start: int | None = None,
            region: str | None = None) -> dict[K, EndpointInterval]:
    """Set the start and region shown on merged results (they span many intervals)."""
    for interval in merged.values():
        if start is not None:
            interval.start = start
        if region is not None:
            interval.region = region
    return dict(merged)
