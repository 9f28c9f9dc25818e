"""An open-model run's two latencies: the percentiles, thresholds and comparisons read the
one counted from when each iteration was due; ``service.*`` reads the time Locust measured
from the send. In a closed-model run the two are one."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from swarmdeck.analysis.iterations import summarize_iterations
from swarmdeck.analysis.summary import aggregate, summarize
from swarmdeck.analysis.thresholds import evaluate, evaluate_total, parse
from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.metrics.iterations import IterationInterval

T0 = 1_700_000_000


def histogram(values_ms: Sequence[float]) -> LatencyHistogram:
    h = LatencyHistogram()
    for value in values_ms:
        h.record_ms(value)
    return h


def opened(second: int, due_ms: Sequence[float], sent_ms: Sequence[float]) -> EndpointInterval:
    """As the open model's recorder keeps a second: the same requests from both starts."""
    return EndpointInterval(start=T0 + second, method="GET", name="/a", requests=len(due_ms),
                            histogram=histogram(due_ms), service_histogram=histogram(sent_ms))


# a stall: in second 3, twenty requests waited for it; their sends were quick
RUN = [opened(s, [2.0] * 80 + ([400.0] * 20 if s == 3 else [2.0] * 20), [2.0] * 100)
       for s in range(10)]


def test_the_summary_is_from_the_due_time_and_carries_the_service_time() -> None:
    totals, (endpoint,) = summarize(aggregate(RUN), 10.0)
    assert totals.p99_ms == pytest.approx(400.0, rel=0.01)
    assert totals.service_latency is not None
    assert totals.service_latency.p99_ms == pytest.approx(2.0, rel=0.01)
    assert endpoint.service_latency == totals.service_latency


def test_p95_is_the_corrected_one_and_service_p95_the_measured_one() -> None:
    corrected = evaluate(parse("p99 < 100ms"), RUN)
    measured = evaluate(parse("service.p99 < 100ms"), RUN)
    assert not corrected.passed and corrected.observed == pytest.approx(400.0, rel=0.01)
    assert measured.passed and measured.observed == pytest.approx(2.0, rel=0.01)
    windowed = evaluate(parse("service.max[2s] < 10ms"), RUN)
    assert windowed.passed
    whole = evaluate_total(parse("service.p99 < 100ms"),
                           list(aggregate(RUN).values()), 10.0)
    assert whole.passed


def test_in_a_closed_model_run_service_reads_the_one_histogram() -> None:
    closed = [EndpointInterval(start=T0, method="GET", name="/a", requests=3,
                               histogram=histogram([1.0, 2.0, 300.0]))]
    assert evaluate(parse("service.max < 1s"), closed).observed == pytest.approx(300.0, rel=0.01)
    totals, _ = summarize(aggregate(closed), 1.0)
    assert totals.service_latency is None


def test_the_service_metrics_parse_and_print_back() -> None:
    threshold = parse("service.p95[30s] <= 1.5s")
    assert (threshold.metric, threshold.value, threshold.window_s) == ("service.p95", 1500.0,
                                                                       30.0)
    assert str(threshold) == "service.p95[30s] <= 1500ms"


def test_iterations_summarise_due_started_dropped_and_the_start_lag() -> None:
    slices = []
    for second in range(4):
        one = IterationInterval(start=T0 + second, scheduled=100, started=100 - second,
                                dropped=second)
        for lag_ms in [0.5] * 90 + [50.0] * (10 - second):
            one.lag.record(int(lag_ms * 1000))
        slices.append(one)
    summary = summarize_iterations(slices, 4.0, 100.0)
    assert summary is not None
    assert (summary.scheduled, summary.started, summary.dropped) == (400, 394, 6)
    assert summary.dropped_max_per_s == 3 and summary.late == 34
    assert summary.rate == pytest.approx(98.5)
    assert summary.lag_p50_ms == pytest.approx(0.5, rel=0.01)
    assert summary.lag_max_ms == pytest.approx(50.0, rel=0.01)
    assert summarize_iterations([], 4.0) is None
