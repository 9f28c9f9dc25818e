"""Summaries come from merged histograms: never an average of percentiles."""

from __future__ import annotations

from collections import Counter

from swarmdeck.analysis.summary import TOTAL_NAME, aggregate, summarize
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey


def interval(start: int, name: str, values_ms: list[float], region: str = "local",
             failures: int = 0, errors: dict[str, int] | None = None) -> EndpointInterval:
    histogram = LatencyHistogram()
    for v in values_ms:
        histogram.record_ms(v)
    return EndpointInterval(start=start, method="GET", name=name, region=region,
                            requests=len(values_ms), failures=failures, bytes=10 * len(values_ms),
                            histogram=histogram, errors=Counter(errors or {}))


def test_percentiles_come_from_the_merged_histogram_not_averages() -> None:
    # Interval 1: 99 fast requests; interval 2: 1 slow request. Averaging the two intervals'
    # p99 would give ~505 ms; the true p99 of the 100 requests is the fast value.
    fast = interval(0, "/a", [10.0] * 99)
    slow = interval(1, "/a", [1000.0])
    totals, (endpoint,) = summarize(aggregate([fast, slow]), duration_s=2.0)
    assert endpoint.requests == 100
    assert abs(endpoint.p99_ms - 10.0) < 0.01
    assert endpoint.max_ms == 1000.0
    assert endpoint.rps == 50.0
    assert totals.name == TOTAL_NAME and totals.requests == 100


def test_regions_and_intervals_merge_per_endpoint() -> None:
    data = aggregate([
        interval(0, "/a", [1.0, 2.0], region="eu"),
        interval(0, "/a", [3.0], region="us"),
        interval(1, "/b", [4.0], failures=1, errors={"HTTP 500": 1}),
    ])
    assert set(data) == {EndpointKey("GET", "/a"), EndpointKey("GET", "/b")}
    totals, endpoints = summarize(data, duration_s=1.0)
    assert [(e.name, e.requests, e.failures) for e in endpoints] == [("/a", 3, 0), ("/b", 1, 1)]
    assert totals.requests == 4 and totals.failures == 1
    assert totals.max_ms == 4.0
    assert endpoints[1].errors[0].reason == "HTTP 500"
    assert endpoints[1].failure_pct == 100.0


def test_top_errors_sorted_by_count() -> None:
    errors = {f"reason {i}": i for i in range(1, 9)}
    _, (endpoint,) = summarize(aggregate([interval(0, "/x", [1.0], failures=36,
                                                   errors=errors)]), 1.0)
    assert [e.count for e in endpoint.errors] == [8, 7, 6, 5, 4]
