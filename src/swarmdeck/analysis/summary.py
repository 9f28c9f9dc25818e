"""Summaries of a run or a window: per endpoint and overall, from merged histograms only.

Percentiles are read from exactly merged HDR histograms, never averaged across intervals
or workers. They are those of the successful requests (k6's ``expected_response``): an
endpoint whose requests all failed has none (None). The failed requests' latency is apart,
in ``failed_latency``. Runs stored before failures had their own histogram read as they
were: their percentiles are of every request (``unsplit``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from swarmdeck.analysis.iterations import IterationSummary
from swarmdeck.analysis.server_split import ServerSummary, summarize_server
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.records.details import ScriptError

TOTAL_NAME = "Aggregated"
TOP_ERRORS = 5


@dataclass(frozen=True)
class ErrorCount:
    reason: str
    count: int


@dataclass(frozen=True)
class FailedLatency:
    """The response times of the failed requests (ms)."""

    p50_ms: float
    p95_ms: float
    max_ms: float


@dataclass(frozen=True)
class ServiceLatency:
    """An open-model run's successful requests as Locust measured them, from the send (ms);
    the summary's own percentiles count from when each iteration was due."""

    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class EndpointSummary:
    """Counts of every request; latency (avg_ms to max_ms) of the successful ones, None
    when none succeeded; the failed ones' latency in ``failed_latency`` (None when none
    failed, or for a run stored before the split: ``unsplit``, whose latency is of every
    request)."""

    name: str
    method: str
    requests: int
    failures: int
    rps: float
    avg_ms: float | None
    p50_ms: float | None
    p90_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    p999_ms: float | None
    max_ms: float | None
    bytes: int = 0
    errors: tuple[ErrorCount, ...] = field(default_factory=tuple)
    failed_latency: FailedLatency | None = None
    unsplit: bool = False
    service_latency: ServiceLatency | None = None  # open model: the time from the send
    # what the server said of the successful requests (Server-Timing); None without it
    server: ServerSummary | None = None

    @property
    def failure_pct(self) -> float:
        return 100.0 * self.failures / self.requests if self.requests else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [asdict(e) for e in self.errors]
        return data


def aggregate(intervals: Iterable[EndpointInterval]) -> dict[EndpointKey, EndpointInterval]:
    """Merge intervals per endpoint (over time and regions)."""
    merged: dict[EndpointKey, EndpointInterval] = {}
    for interval in intervals:
        key = interval.endpoint
        target = merged.get(key)
        if target is None:
            target = merged[key] = EndpointInterval(start=interval.start, method=key.method,
                                                    name=key.name, region="*")
        target.merge(interval)
    return merged


def summarize_endpoint(data: EndpointInterval, duration_s: float, *,
                       name: str | None = None, method: str | None = None) -> EndpointSummary:
    h = data.histogram
    p50, p90, p95, p99, p999 = ((v / 1000.0 for v in h.percentiles([50, 90, 95, 99, 99.9]))
                                if h.count else (None,) * 5)
    return EndpointSummary(
        name=name if name is not None else data.name,
        method=method if method is not None else data.method,
        requests=data.requests,
        failures=data.failures,
        rps=data.requests / duration_s if duration_s > 0 else 0.0,
        avg_ms=round(h.mean_us / 1000.0, 3) if h.count else None,
        p50_ms=p50,
        p90_ms=p90,
        p95_ms=p95,
        p99_ms=p99,
        p999_ms=p999,
        max_ms=h.max_us / 1000.0 if h.count else None,
        bytes=data.bytes,
        errors=tuple(ErrorCount(reason, count)
                     for reason, count in _top_errors(data.errors.items())),
        failed_latency=failed_latency(data),
        unsplit=data.unsplit,
        service_latency=service_latency(data),
        server=summarize_server(data.server_timing, h.count),
    )


def service_latency(data: EndpointInterval) -> ServiceLatency | None:
    """The service time's p50, p95, p99 and max; None in a closed-model run (where it is
    the summary's own latency) or without a successful request."""
    service = data.service_histogram
    if service is None or service.count == 0:
        return None
    p50, p95, p99 = service.percentiles([50, 95, 99])
    return ServiceLatency(p50_ms=p50 / 1000.0, p95_ms=p95 / 1000.0, p99_ms=p99 / 1000.0,
                          max_ms=service.max_us / 1000.0)


def failed_latency(data: EndpointInterval) -> FailedLatency | None:
    """The failed requests' p50, p95 and max; None when none failed (or ``unsplit``)."""
    failed = data.failed_histogram
    if failed is None or failed.count == 0:
        return None
    p50, p95 = failed.percentiles([50, 95])
    return FailedLatency(p50_ms=p50 / 1000.0, p95_ms=p95 / 1000.0,
                         max_ms=failed.max_us / 1000.0)


def _top_errors(items: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(items, key=lambda rc: (-rc[1], rc[0]))[:TOP_ERRORS]


def summarize(per_endpoint: Mapping[EndpointKey, EndpointInterval], duration_s: float, *,
              totals_only: bool = False) -> tuple[EndpointSummary, list[EndpointSummary]]:
    """(totals, endpoints sorted by name then method) over ``duration_s`` seconds."""
    endpoints = [] if totals_only else [
        summarize_endpoint(per_endpoint[key], duration_s)
        for key in sorted(per_endpoint, key=lambda k: (k.name, k.method))]
    total = EndpointInterval(start=0, method="", name=TOTAL_NAME, region="*")
    for data in per_endpoint.values():
        total.merge(data)
    totals = summarize_endpoint(total, duration_s, name=TOTAL_NAME, method="")
    return totals, endpoints


@dataclass(frozen=True)
class LiveStats:
    """What the live view shows: cumulative counts and the last seconds of its window."""

    requests: int
    failures: int
    window_s: int
    window: EndpointSummary  # all endpoints, last window
    endpoints: list[EndpointSummary]  # per endpoint, last window
    script_errors: tuple[ScriptError, ...] = ()  # so far, most frequent first
    iterations: IterationSummary | None = None  # an open-model run's, last window
