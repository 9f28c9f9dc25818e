"""The comparison's statistics on synthetic runs whose truth is known."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import pytest

from swarmdeck.analysis.budgets import parse_budget
from swarmdeck.analysis.compare import RunSeries, budget_failures, compare
from swarmdeck.errors import BadInput
from swarmdeck.metrics import EndpointInterval, EndpointKey, LatencyHistogram
from swarmdeck.records.comparison import ComparisonRow

T0 = 1_700_000_000


def run(seed: int, *, seconds: int = 60, per_second: int = 40, scale_us: float = 20_000,
        name: str = "/a", failure_rate: float = 0.0) -> RunSeries:
    """One endpoint, lognormal latencies around ``scale_us`` µs, one interval a second."""
    rng = random.Random(seed)
    intervals = []
    for second in range(seconds):
        histogram = LatencyHistogram()
        failures = 0
        for _ in range(per_second):
            histogram.record(int(rng.lognormvariate(0, 0.5) * scale_us))
            failures += rng.random() < failure_rate
        intervals.append(EndpointInterval(
            start=T0 + second, method="GET", name=name, requests=per_second,
            failures=failures, histogram=histogram, errors=Counter()))
    return RunSeries({EndpointKey("GET", name): intervals}, float(seconds))


def endpoint_row(rows: Sequence[ComparisonRow], name: str = "/a") -> ComparisonRow:
    return next(row for row in rows if row.name == name)


def test_identical_distributions_show_no_significant_change() -> None:
    result = compare(run(1), run(2))
    for row in result.rows:
        assert row.verdict == "no significant change", row
        for metric in ("p50", "p95", "p99", "rps"):
            change = row.changes[metric]
            assert change.ci_low <= change.change <= change.ci_high
            assert not change.significant


def test_a_30_percent_slowdown_is_significant_and_the_ci_covers_it() -> None:
    result = compare(run(1), run(2, scale_us=26_000))
    row = endpoint_row(result.rows)
    assert row.verdict == "slower"
    p95 = row.changes["p95"]
    assert p95.significant
    assert p95.ci_low <= 30 <= p95.ci_high
    assert p95.ci_low > 5
    overall = result.rows[0]
    assert overall.overall and overall.verdict == "slower"


def test_a_speed_up_is_faster() -> None:
    row = endpoint_row(compare(run(1, scale_us=26_000), run(2)).rows)
    assert row.verdict == "faster"
    assert row.changes["p95"].change < -15


def test_little_data_is_not_enough_data() -> None:
    row = endpoint_row(compare(run(1, seconds=3, per_second=5),
                               run(2, seconds=3, per_second=5, scale_us=60_000)).rows)
    assert row.verdict == "not enough data"
    assert not row.changes["p95"].significant


def test_endpoints_in_one_run_only() -> None:
    base, candidate = run(1, name="/old"), run(2, name="/new")
    rows = compare(base, candidate).rows
    assert endpoint_row(rows, "/old").verdict == "only in base"
    assert endpoint_row(rows, "/old").candidate is None
    assert endpoint_row(rows, "/new").verdict == "only in candidate"


def test_results_are_reproducible() -> None:
    assert compare(run(1), run(2)) == compare(run(1), run(2))


def test_stats_are_the_exact_histogram_percentiles() -> None:
    base = run(1)
    row = endpoint_row(compare(base, run(2)).rows)
    merged = LatencyHistogram.merged([i.histogram for i in base.series[EndpointKey("GET", "/a")]])
    assert row.base.p95_ms == merged.percentile_ms(95)
    assert row.base.p99_ms == merged.percentile_ms(99)
    assert row.base.requests == 2400 and row.base.rps == 40


def test_error_rate_change_in_percentage_points() -> None:
    row = endpoint_row(compare(run(1), run(2, failure_rate=0.10)).rows)
    change = row.changes["error_rate"]
    assert change.significant and change.ci_low <= 10 <= change.ci_high + 1
    assert row.candidate.error_rate == pytest.approx(0.10, abs=0.02)


def test_budgets_fail_only_on_significant_regressions_beyond_them() -> None:
    rows = compare(run(1), run(2, scale_us=26_000)).rows
    failures = budget_failures(rows, [parse_budget("p95=+10%")])
    assert len(failures) == 2  # overall and GET /a
    assert "GET /a: p95 changed by +" in failures[1] and "p95=+10%" in failures[1]
    assert budget_failures(rows, [parse_budget("p95=+80%")]) == []
    same = compare(run(1), run(2)).rows
    assert budget_failures(same, [parse_budget("p95=+0%")]) == []


def test_unknown_metric_is_bad_input() -> None:
    with pytest.raises(BadInput, match="p42"):
        compare(run(1), run(2), metric="p42")


def test_a_run_without_requests() -> None:
    rows = compare(RunSeries({}, 10.0), run(1)).rows
    assert rows[0].overall and rows[0].verdict == "not enough data"
    assert rows[0].base is None and rows[0].candidate.requests == 2400
    assert endpoint_row(rows).verdict == "only in candidate"
    assert [r.verdict for r in compare(RunSeries({}, 0), RunSeries({}, 0)).rows] == [
        "not enough data"]
