"""The fast sliding window finds exactly what re-merging every window finds."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from swarmdeck.analysis.thresholds import (
    HIGHER_IS_WORSE,
    METRICS,
    Threshold,
    _measure,
    _members,
    _slots,
    _window_span,
    evaluate,
)
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval


def reference(threshold: Threshold, intervals: Sequence[EndpointInterval],
              interval_s: float) -> float | None:
    slots = _slots(threshold, intervals, interval_s)
    total = max(slots) + 1
    n = min(_window_span(threshold, interval_s), total)
    worse = max if threshold.metric in HIGHER_IS_WORSE else min
    values = [v for lo in range(total - n + 1) if (v := _measure(
        threshold.metric, _members(slots, lo, lo + n), n, interval_s)) is not None]
    return worse(values) if values else None


def random_run(seed: int, seconds: int = 40) -> list[EndpointInterval]:
    rng = random.Random(seed)
    intervals = []
    for second in range(seconds):
        if rng.random() < 0.15:
            continue  # a second without requests
        for name in ("/a", "/b", "/c"):
            h, failed = LatencyHistogram(), LatencyHistogram()
            spike = 40 if 20 <= second < 24 and name == "/b" else 1
            samples = rng.randint(0, 12)
            failures = rng.randint(0, samples) if rng.random() < 0.2 else 0
            for i in range(samples):  # the failed requests' latency apart (failed.*)
                (failed if i < failures else h).record(
                    int(rng.lognormvariate(9, 1.2) * spike))
            intervals.append(EndpointInterval(
                start=1000 + second, method="GET", name=name, requests=samples,
                failures=failures, histogram=h,
                failed_histogram=failed if failures else None))
    return intervals


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("metric", METRICS)
def test_fast_window_equals_re_merging(seed: int, metric: str) -> None:
    intervals = random_run(seed)
    for window_s, endpoint in ((5.0, None), (10.0, "/b"), (1.0, "GET /c"), (100.0, None)):
        threshold = Threshold(metric, "<", 1.0, window_s, endpoint)
        assert evaluate(threshold, intervals).observed == reference(threshold, intervals, 1.0)


def test_window_percentile_matches_the_merged_histogram() -> None:
    intervals = random_run(11, seconds=12)
    merged = LatencyHistogram.merged([i.histogram for i in intervals])
    for metric, p in (("p50", 50.0), ("p99", 99.0), ("p99.9", 99.9)):
        whole = evaluate(Threshold(metric, "<", 1.0, 12.0), intervals)
        assert whole.observed == merged.percentile(p) / 1000.0
