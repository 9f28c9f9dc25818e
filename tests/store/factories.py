"""Building runs and intervals for the store tests, and the brute-force reference."""

from __future__ import annotations

import os
import random
import socket
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from swarmdeck.metrics import EndpointInterval, EndpointKey, LatencyHistogram
from swarmdeck.records import RunStatus
from swarmdeck.records.codec import details_from_json
from swarmdeck.store import RunMeta, Store


def make_meta(**overrides: Any) -> RunMeta:
    values: dict[str, Any] = {
        "host": "http://127.0.0.1:5000", "locustfile": "scenarios/shop.py",
        "locustfile_sha256": "ab" * 32, "plan": {"users": 10, "stages": [1, 2]},
        "tags": {"branch": "main"}, "users": 10, "spawn_rate": 2.5, "run_time_s": 60.0,
        "shape": None, "interval_s": 1.0, "swarmdeck_version": "0.1.0",
        "locust_version": "2.31.0", "python_version": "3.11.9", "git_commit": "deadbeef",
        "started_at": datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
        "pid": os.getpid(), "hostname": socket.gethostname(),
    }
    values.update(overrides)
    return RunMeta(**values)


def make_interval(start: int, name: str = "/a", samples: Iterable[int] = (1000,), *,
                  method: str = "GET", region: str = "local", failures: int = 0,
                  errors: dict[str, int] | None = None, nbytes: int = 0,
                  failed: Iterable[int] | None = None) -> EndpointInterval:
    """``samples`` succeeded and ``failed`` (µs) failed, as the recorder keeps them; without
    ``failed``, ``failures`` of the ``samples`` failed as recorded before the split (one
    histogram of every request: unsplit)."""
    histogram = LatencyHistogram()
    count = 0
    for value in samples:
        histogram.record(value)
        count += 1
    failed_histogram = None
    if failed is not None:
        failed_histogram = LatencyHistogram()
        for value in failed:
            failed_histogram.record(value)
        failures += failed_histogram.count
        count += failed_histogram.count
        if failed_histogram.count == 0:
            failed_histogram = None
    return EndpointInterval(start=start, method=method, name=name, region=region,
                            requests=count, failures=failures, bytes=nbytes,
                            histogram=histogram, errors=Counter(errors or {}),
                            failed_histogram=failed_histogram)


def random_interval(rng: random.Random, start: int, name: str, region: str,
                    method: str = "GET") -> EndpointInterval:
    """Some requests, some of them failed (30 % of intervals), successes and failures in
    their own histograms."""
    samples = [int(rng.lognormvariate(9, 1)) for _ in range(rng.randint(1, 6))]
    failures = rng.randint(0, len(samples)) if rng.random() < 0.3 else 0
    errors = {rng.choice(["HTTP 500", "timeout", "HTTP 429"]): failures} if failures else {}
    return make_interval(start, name, samples[failures:], method=method, region=region,
                         errors=errors, nbytes=100 * len(samples), failed=samples[:failures])


def brute_force(intervals: Iterable[EndpointInterval], start: float | None = None,
                end: float | None = None,
                region: str | None = None) -> dict[EndpointKey, EndpointInterval]:
    """The reference: every interval starting in [start, end) merged per endpoint."""
    merged: dict[EndpointKey, EndpointInterval] = {}
    for interval in intervals:
        if start is not None and interval.start < start:
            continue
        if end is not None and interval.start >= end:
            continue
        if region is not None and interval.region != region:
            continue
        target = merged.setdefault(interval.endpoint, EndpointInterval(
            start=0, method=interval.method, name=interval.name, region="*"))
        target.merge(interval)
    return merged


def measures(data: EndpointInterval) -> tuple[Any, ...]:
    """What must match exactly: counts, errors and both histograms bucket for bucket."""
    h, f = data.histogram, data.failed_histogram
    return (data.requests, data.failures, data.bytes, dict(+data.errors), h.count,
            h.min_us, h.max_us, h.encode(),
            None if f is None else (f.count, f.min_us, f.max_us, f.encode()))


def assert_same(actual: dict[Any, EndpointInterval], expected: dict[Any, EndpointInterval]
                ) -> None:
    assert sorted(actual) == sorted(expected)
    for key, data in expected.items():
        assert measures(actual[key]) == measures(data), key


def success_ms(intervals: Iterable[EndpointInterval], p: float) -> float | None:
    """The reference percentile of the successful requests' merged latency (None without)."""
    merged = LatencyHistogram.merged([interval.histogram for interval in intervals])
    return merged.percentile_ms(p) if merged.count else None


def brute_series(intervals: Iterable[EndpointInterval], step_s: int,
                 region: str | None = None) -> dict[tuple[int, EndpointKey], EndpointInterval]:
    """The reference for series: intervals merged per step of ``step_s`` and endpoint."""
    merged: dict[tuple[int, EndpointKey], EndpointInterval] = {}
    for interval in intervals:
        if region is not None and interval.region != region:
            continue
        step = interval.start // step_s * step_s
        target = merged.setdefault((step, interval.endpoint), EndpointInterval(
            start=step, method=interval.method, name=interval.name, region="*"))
        target.merge(interval)
    return merged


def record_verdict(store: Store, run_id: int, verdict: dict[str, Any],
                   status: str | None = None) -> None:
    """Store a verdict given in its JSON form (thresholds, findings, comparison)."""
    details = details_from_json(verdict)
    store.record_verdict(run_id, thresholds=details.thresholds, findings=details.findings,
                         comparison=details.comparison,
                         status=RunStatus(status) if status else None)


def region_totals(store: Store, run_id: int) -> dict[str, EndpointInterval]:
    """Per region, every endpoint of the whole run merged."""
    totals: dict[str, EndpointInterval] = {}
    for (_, region), data in store.endpoint_region_data(run_id).items():
        total = totals.setdefault(region, EndpointInterval(start=data.start, method="*",
                                                           name="*", region=region))
        total.merge(data)
    return dict(sorted(totals.items()))


def series_of(store: Store, run_id: int, step_s: int = 1, region: str | None = None
              ) -> dict[EndpointKey, list[EndpointInterval]]:
    """Per endpoint, the run's series in time order (``Store.iter_series`` gathered)."""
    result: dict[EndpointKey, list[EndpointInterval]] = {}
    for interval in store.iter_series(run_id, step_s, region):
        result.setdefault(interval.endpoint, []).append(interval)
    return result
