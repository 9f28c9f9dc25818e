"""Failed requests' latency apart from the successes' (k6's expected_response): the
summary, thresholds and comparisons read the successes; failures have their own numbers."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import pytest

from swarmdeck.analysis.compare import RunSeries, compare
from swarmdeck.analysis.summary import aggregate, summarize
from swarmdeck.analysis.thresholds import (
    METRICS,
    evaluate,
    evaluate_total,
    parse,
)
from swarmdeck.errors import PlanError
from swarmdeck.metrics import EndpointInterval, EndpointKey, LatencyHistogram

T0 = 1_700_000_000


def interval(second: int, ok_ms: Sequence[float], failed_ms: Sequence[float] = (),
             name: str = "/a") -> EndpointInterval:
    """As the recorder keeps it: successes in ``histogram``, failures apart."""
    ok = LatencyHistogram()
    for value in ok_ms:
        ok.record_ms(value)
    failed = None
    if failed_ms:
        failed = LatencyHistogram()
        for value in failed_ms:
            failed.record_ms(value)
    return EndpointInterval(start=T0 + second, method="GET", name=name,
                            requests=len(ok_ms) + len(failed_ms), failures=len(failed_ms),
                            histogram=ok, errors=Counter({"timeout": len(failed_ms)}),
                            failed_histogram=failed)


def fast_and_timeouts() -> list[EndpointInterval]:
    """90 successes at 10 ms and 10 timeouts at 30 s, over 10 seconds."""
    return [interval(s, [10.0] * 9, [30_000.0]) for s in range(10)]


def test_the_summary_s_percentiles_leave_failures_out() -> None:
    totals, (endpoint,) = summarize(aggregate(fast_and_timeouts()), 10.0)
    for summary in (totals, endpoint):
        assert (summary.requests, summary.failures) == (100, 10)
        assert summary.p50_ms == summary.p95_ms == summary.p99_ms == summary.max_ms == 10.0
        assert summary.avg_ms == 10.0
        assert summary.failed_latency is not None
        assert summary.failed_latency.p50_ms == summary.failed_latency.p95_ms == 30_000.0
        assert summary.failed_latency.max_ms == 30_000.0
        assert not summary.unsplit


def test_refused_connections_do_not_pull_the_percentiles_down() -> None:
    data = [interval(s, [200.0] * 5, [1.0] * 5) for s in range(4)]
    totals, _ = summarize(aggregate(data), 4.0)
    assert totals.p50_ms == 200.0  # mixed in, the refused 1 ms answers would make it 1 ms
    assert totals.failed_latency is not None and totals.failed_latency.p95_ms == 1.0


def test_an_endpoint_whose_requests_all_failed_has_no_percentiles() -> None:
    data = [interval(s, [10.0] * 5) for s in range(3)] + [
        interval(s, [], [5.0, 30_000.0], name="/down") for s in range(3)]
    totals, endpoints = summarize(aggregate(data), 3.0)
    down = next(e for e in endpoints if e.name == "/down")
    assert (down.requests, down.failures) == (6, 6)
    assert (down.avg_ms, down.p50_ms, down.p95_ms, down.p999_ms, down.max_ms) == (None,) * 5
    assert down.failed_latency is not None and down.failed_latency.max_ms == 30_000.0
    assert totals.p95_ms == 10.0  # the other endpoint's successes


def test_a_run_without_failures_has_no_failed_latency() -> None:
    totals, _ = summarize(aggregate([interval(0, [5.0, 7.0])]), 1.0)
    assert totals.failed_latency is None and totals.p95_ms == 7.0


def test_data_stored_before_the_split_reads_as_it_was() -> None:
    """One histogram of every request (failed ones included): the same percentiles as
    before, flagged ``unsplit``, no failed latency."""
    every = LatencyHistogram()
    for value in [10.0] * 90 + [30_000.0] * 10:
        every.record_ms(value)
    old = EndpointInterval(start=T0, method="GET", name="/a", requests=100, failures=10,
                           histogram=every)
    totals, (endpoint,) = summarize(aggregate([old]), 1.0)
    assert totals.unsplit and endpoint.unsplit
    assert totals.p95_ms == 30_000.0 and totals.failed_latency is None


# -- thresholds ----------------------------------------------------------------------------

@pytest.mark.parametrize("window", ["", "[5s]"])
def test_p95_holds_on_the_successes_and_failed_p95_sees_the_timeouts(window: str) -> None:
    data = fast_and_timeouts()
    p95 = evaluate(parse(f"p95{window} < 100ms"), data)
    assert p95.passed and p95.observed == 10.0
    failed = evaluate(parse(f"failed.p95{window} < 1s"), data)
    assert not failed.passed and failed.observed == 30_000.0
    assert evaluate(parse(f"failed.max{window} <= 30s"), data).passed


def test_whole_run_totals_read_the_same_histograms() -> None:
    totals = list(aggregate(fast_and_timeouts()).values())
    assert evaluate_total(parse("p95 < 100ms"), totals, 10.0).observed == 10.0
    assert evaluate_total(parse("failed.avg < 1s"), totals, 10.0).observed == 30_000.0


@pytest.mark.parametrize("text", ["p95 < 100ms", "p95[5s] < 100ms", "max < 1s"])
def test_a_latency_threshold_on_requests_that_all_failed_fails_saying_so(text: str) -> None:
    data = [interval(s, [10.0] * 5) for s in range(5)] + [
        interval(s, [], [1.0] * 3, name="/down") for s in range(5)]
    for result in (evaluate(parse(text, endpoint="/down"), data),
                   evaluate_total(parse(text.replace("[5s]", ""), endpoint="/down"),
                                  list(aggregate(data).values()), 5.0)):
        assert not result.passed and result.observed is None
        assert "no successful response for endpoint '/down'" in result.detail
        assert "all 15 requests failed" in result.detail
        assert result.missing == "no successful requests"
    assert evaluate(parse(text, endpoint="/a"), data).passed


@pytest.mark.parametrize("text", ["failed.p95 < 1s", "failed.p99[5s] < 1s"])
def test_a_failed_latency_threshold_holds_when_nothing_failed(text: str) -> None:
    result = evaluate(parse(text), [interval(s, [10.0] * 5) for s in range(5)])
    assert result.passed and result.observed is None
    assert result.missing == "no failed requests"
    assert not evaluate(parse(text), []).passed  # no requests at all: no data, failed


def test_failed_metrics_parse_and_print_back() -> None:
    assert "failed.p95" in METRICS and "failed.p99.9" in METRICS
    t = parse("FAILED.P95[30s] < 5s", endpoint="/a")
    assert (t.metric, t.window_s, t.value) == ("failed.p95", 30.0, 5000.0)
    assert str(t) == "failed.p95[30s] < 5000ms"
    with pytest.raises(PlanError) as info:
        parse("failed.rps < 5")
    assert "found 'failed.rps'" in info.value.message
    assert "'failed.p95 < 5s'" in (info.value.hint or "")  # the hint shows the prefix


# -- comparisons ---------------------------------------------------------------------------

def series(seed: int, *, timeouts: float = 0.0, down: bool = False) -> RunSeries:
    """/a: 40 requests a second around 20 ms for 60 s, a share of them timing out at 30 s;
    /down (with ``down``): every request refused."""
    rng = random.Random(seed)
    intervals = []
    for second in range(60):
        ok, failed = [], []
        for _ in range(40):
            if rng.random() < timeouts:
                failed.append(30_000.0)
            else:
                ok.append(rng.lognormvariate(0, 0.5) * 20.0)
        intervals.append(interval(second, ok, failed))
        if down:
            intervals.append(interval(second, [], [1.0] * 10, name="/down"))
    return RunSeries(intervals, 60.0)


def test_compare_reads_the_successes_latency() -> None:
    """10% timeouts more in the candidate: its error rate rose, its latency did not."""
    table = compare(series(1), series(2, timeouts=0.10))
    row = next(r for r in table.rows if r.name == "/a")
    assert row.verdict == "no significant change"  # mixed in, the timeouts would be slower
    assert row.changes["error_rate"].significant
    assert row.base is not None and row.candidate is not None
    assert row.candidate.p95_ms is not None and row.candidate.p95_ms < 100


def test_compare_has_not_enough_data_on_an_endpoint_that_only_failed() -> None:
    table = compare(series(1, down=True), series(2, down=True))
    row = next(r for r in table.rows if r.name == "/down")
    assert row.verdict == "not enough data"
    assert row.base is not None and row.candidate is not None
    assert (row.base.p50_ms, row.base.p95_ms, row.candidate.p99_ms) == (None, None, None)
    assert row.base.requests == 600 and row.base.error_rate == 1.0
    assert row.changes["p95"].change is None
    # the endpoint key is there, in both runs
    assert EndpointKey("GET", "/down") in {EndpointKey(r.method, r.name) for r in table.rows}
