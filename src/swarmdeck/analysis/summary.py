"""Summaries of a run or a window: per endpoint and overall, from merged histograms only.

Percentiles are read from exactly merged HDR histograms, never averaged across intervals
or workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.records.details import ScriptError

TOTAL_NAME = "Aggregated"
TOP_ERRORS = 5


@dataclass(frozen=True)
class ErrorCount:
    reason: str
    count: int


@dataclass(frozen=True)
class EndpointSummary:
    name: str
    method: str
    requests: int
    failures: int
    rps: float
    avg_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    bytes: int = 0
    errors: tuple[ErrorCount, ...] = field(default_factory=tuple)

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
    p50, p90, p95, p99, p999 = (v / 1000.0 for v in h.percentiles([50, 90, 95, 99, 99.9]))
    return EndpointSummary(
        name=name if name is not None else data.name,
        method=method if method is not None else data.method,
        requests=data.requests,
        failures=data.failures,
        rps=data.requests / duration_s if duration_s > 0 else 0.0,
        avg_ms=round(h.mean_us / 1000.0, 3),
        p50_ms=p50,
        p90_ms=p90,
        p95_ms=p95,
        p99_ms=p99,
        p999_ms=p999,
        max_ms=h.max_us / 1000.0,
        bytes=data.bytes,
        errors=tuple(ErrorCount(reason, count)
                     for reason, count in _top_errors(data.errors.items())),
    )


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
