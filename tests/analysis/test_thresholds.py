"""Thresholds: parsing with clear errors, and evaluation on exactly merged histograms."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarmdeck.analysis.thresholds import (
    METRICS,
    OPS,
    Threshold,
    breached_now,
    evaluate,
    evaluate_all,
    in_scope,
    parse,
    show,
)
from swarmdeck.errors import ExitCode, PlanError
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval


def interval(start: int, values_ms: Sequence[float], name: str = "/a",
             failures: int = 0, region: str = "local") -> EndpointInterval:
    histogram = LatencyHistogram()
    for v in values_ms:
        histogram.record_ms(v)
    return EndpointInterval(start=start, method="GET", name=name, region=region,
                            requests=len(values_ms), failures=failures, histogram=histogram)


# -- parsing -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "metric", "op", "value", "window_s"), [
    ("p95 < 500ms", "p95", "<", 500.0, None),
    ("p50<=1s", "p50", "<=", 1000.0, None),
    ("p99.9[30s] < 1.5s", "p99.9", "<", 1500.0, 30.0),
    ("  P90 [ 1m ]  >=  2.5 MS ", "p90", ">=", 2.5, 60.0),
    ("max < 3s", "max", "<", 3000.0, None),
    ("AVG[10s] > 0.5ms", "avg", ">", 0.5, 10.0),
    ("error_rate < 1%", "error_rate", "<", 0.01, None),
    ("error_rate[30s] <= 0.5 %", "error_rate", "<=", 0.005, 30.0),
    ("rps >= 50", "rps", ">=", 50.0, None),
    ("rps[10s] > 12.5", "rps", ">", 12.5, 10.0),
    ("requests > 1000", "requests", ">", 1000.0, None),
])
def test_parses_valid_forms(text: str, metric: str, op: str, value: float,
                            window_s: float | None) -> None:
    t = parse(text)
    assert (t.metric, t.op, t.value, t.window_s) == (metric, op, value, window_s)
    assert (t.endpoint, t.abort, t.grace_s) == (None, False, 0.0)


def test_units_are_equivalent_and_canonical() -> None:
    assert parse("p95 < 300ms") == parse("p95 < 0.3s") == parse("p95<300 ms")
    assert str(parse("p95[1m] < 0.3s")) == "p95[60s] < 300ms"
    assert str(parse("ERROR_RATE < 0.10%")) == "error_rate < 0.1%"
    assert str(parse("requests >= 1000.0")) == "requests >= 1000"


def test_scope_and_options_come_from_the_caller() -> None:
    t = parse("p99 < 1s", endpoint="/cart", abort=True, grace_s=10)
    assert (t.endpoint, t.abort, t.grace_s) == ("/cart", True, 10.0)
    assert str(t) == "p99 < 1000ms"
    assert t.label == "p99 < 1000ms on '/cart'"


@st.composite
def thresholds(draw: st.DrawFn) -> Threshold:
    metric = draw(st.sampled_from(METRICS))
    if metric == "requests":
        value = float(draw(st.integers(0, 10**15)))
    elif metric == "error_rate":
        value = draw(st.floats(0, 1))
    else:
        value = draw(st.floats(0, 1e12))
    return Threshold(
        metric=metric, op=draw(st.sampled_from(sorted(OPS))), value=value,
        window_s=draw(st.none() | st.floats(0, 1e7, exclude_min=True)),
        endpoint=draw(st.none() | st.text()), abort=draw(st.booleans()),
        grace_s=draw(st.floats(0, 1e6)))


@given(thresholds())
def test_canonical_text_parses_back_to_an_equal_threshold(t: Threshold) -> None:
    assert parse(str(t), endpoint=t.endpoint, abort=t.abort, grace_s=t.grace_s) == t


def _parses_or_plan_error(text: str) -> None:
    try:
        t = parse(text)
    except PlanError as e:
        assert e.message.startswith(f"threshold {text!r}: expected ")
        assert e.hint and e.exit_code == ExitCode.BAD_INPUT
    else:
        assert parse(str(t)) == t


@given(st.text())
def test_any_text_parses_or_raises_plan_error(text: str) -> None:
    _parses_or_plan_error(text)


_PIECES = ["p95", "p99.9", "Error_Rate", "rps", "requests", "max", "[", "]", "30", "0", "1.5",
           ".5", "s", "m", "ms", "%", "<", "<=", ">", ">=", "=", "!", " ", "x", "1e9", "9" * 400]


@given(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join))
def test_near_miss_text_parses_or_raises_plan_error(text: str) -> None:
    _parses_or_plan_error(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("p95 < 300", "threshold 'p95 < 300': expected a unit ms or s after 300 at column 10"),
    ("p95 < 3%", "expected a unit ms or s after 3 at column 8, found '%'"),
    ("p59 < 3ms", "found 'p59'; did you mean p95?"),
    ("eror_rate < 1%", "found 'eror_rate'; did you mean error_rate?"),
    ("latency < 3ms", "expected a metric (p50, p90, p95, p99, p99.9, max, avg, error_rate,"),
    ("p95 == 300ms", "expected an operator <, <=, > or >= after p95 at column 5, found '=='"),
    ("p95 300ms", "expected an operator <, <=, > or >= after p95 at column 5, found '300ms'"),
    ("p95[] < 3ms", "expected a window length such as 30s inside [ ] at column 5"),
    ("p95[30] < 3ms", "expected a window unit s or m after 30 at column 7, found ']'"),
    ("p95[30s < 3ms", "expected ] after the window 30s at column 9, found '<'"),
    ("p95[0s] < 3ms", "expected a window longer than 0 s at column 5, found '0s'"),
    ("error_rate < 1", "expected % after 1 (error_rate is a percentage, e.g. 1%)"),
    ("rps > 10ms", "expected a plain number after > (rps takes no unit) at column 9"),
    ("requests > 1.5", "expected a whole number of requests at column 12, found '1.5'"),
    ("p95 <", "expected a number after < at column 6, found end of text"),
    ("p95 < 3ms and more", "expected the end of the threshold at column 11, found 'and'"),
    ("", "threshold '': expected a metric"),
])
def test_malformed_thresholds_say_what_was_expected_where(text: str, expected: str) -> None:
    with pytest.raises(PlanError) as info:
        parse(text)
    assert expected in info.value.message
    assert info.value.message.startswith(f"threshold {text!r}: ")
    assert "p95 < 500ms" in (info.value.hint or "")


@pytest.mark.parametrize("kwargs", [
    {"metric": "p42", "op": "<", "value": 1.0},
    {"metric": "p95", "op": "==", "value": 1.0},
    {"metric": "p95", "op": "<", "value": -1.0},
    {"metric": "p95", "op": "<", "value": float("nan")},
    {"metric": "requests", "op": ">", "value": 1.5},
    {"metric": "p95", "op": "<", "value": 1.0, "window_s": 0.0},
    {"metric": "p95", "op": "<", "value": 1.0, "grace_s": -1.0},
])
def test_invalid_threshold_objects_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(PlanError):
        Threshold(**kwargs)  # type: ignore[arg-type]


def test_negative_grace_is_refused_by_parse() -> None:
    with pytest.raises(PlanError, match="grace_s"):
        parse("p95 < 1s", grace_s=-5)


# -- evaluation --------------------------------------------------------------------------

def test_percentile_comes_from_the_merged_histogram_not_an_average() -> None:
    # 99 fast requests then 1 slow one: averaging the two intervals' p99 gives ~505 ms.
    data = [interval(0, [10.0] * 99), interval(1, [1000.0])]
    merged = LatencyHistogram.merged([d.histogram for d in data])
    result = evaluate(parse("p99 < 100ms"), data)
    assert result.passed
    assert result.observed == merged.percentile(99) / 1000.0
    assert result.observed == pytest.approx(10.0, abs=0.01)
    assert "over the whole run (2 intervals)" in result.detail
    assert evaluate(parse("max < 1s"), data).observed == 1000.0
    assert not evaluate(parse("max < 1s"), data).passed  # 1000 ms is not < 1000 ms
    assert evaluate(parse("avg < 20ms"), data).observed == pytest.approx(19.9)


def test_regions_of_one_interval_merge() -> None:
    data = [interval(0, [5.0] * 50, region="eu"), interval(0, [50.0] * 50, region="us")]
    # 100 requests in one slot from two regions: p50 is the fast half, p90 the slow one.
    assert evaluate(parse("p50 <= 6ms"), data).observed == pytest.approx(5.0, abs=0.01)
    assert evaluate(parse("p90 <= 6ms"), data).observed == pytest.approx(50.0, rel=1e-3)


def test_error_rate_is_failures_over_requests() -> None:
    data = [interval(0, [1.0] * 100, failures=1), interval(1, [1.0] * 100, failures=2)]
    result = evaluate(parse("error_rate < 1%"), data)
    assert result.observed == 0.015 and not result.passed
    assert "1.5%" in result.detail and "failed" in result.detail
    assert evaluate(parse("error_rate < 2%"), data).passed


def test_rps_counts_every_slot_the_run_spans() -> None:
    # Slots 100, 101 and 103 hold data; 102 is empty but still part of the run.
    data = [interval(start, [1.0] * 10) for start in (100, 101, 103)]
    assert evaluate(parse("rps >= 7.5"), data).observed == 7.5
    assert evaluate(parse("rps > 7.5"), data).passed is False
    # With 2-second intervals, starts 100, 102 and 106 span 4 slots = 8 s.
    data2 = [interval(start, [1.0] * 10) for start in (100, 102, 106)]
    assert evaluate(parse("rps >= 3"), data2, interval_s=2.0).observed == 30 / 8
    assert evaluate(parse("requests >= 30"), data2, interval_s=2.0).passed


def _run_with_spike() -> list[EndpointInterval]:
    """120 s at 20 requests/s of 10 ms, except 5 s (40-44) of 900 ms: 100 of 2400 (4.2%)."""
    return [interval(t, [900.0 if 40 <= t - 1000 <= 44 else 10.0] * 20) for t in range(1000, 1120)]


def test_a_spike_fails_the_windowed_threshold_but_not_the_whole_run() -> None:
    data = _run_with_spike()
    whole = evaluate(parse("p95 < 500ms"), data)
    assert whole.passed and whole.observed == pytest.approx(10.0, abs=0.01)
    windowed = evaluate(parse("p95[30s] < 500ms"), data)
    assert not windowed.passed
    assert windowed.observed == pytest.approx(900.0, rel=1e-3)
    # The first 30 s window where the spike exceeds 5% (slots 12-41 hold 40 of 600 slow
    # requests) starts 12 s into the run.
    assert "in the worst 30 s window, starting 12 s into the run" in windowed.detail


def test_windowed_rps_and_requests_take_the_lowest_window() -> None:
    # 60 s at 10 requests/s with a 10-second stall (no intervals at all) at 20-29.
    data = [interval(t, [1.0] * 10) for t in range(60) if not 20 <= t < 30]
    assert evaluate(parse("rps > 5"), data).passed
    stalled = evaluate(parse("rps[10s] > 5"), data)
    assert stalled.observed == 0.0 and not stalled.passed
    assert evaluate(parse("rps[20s] >= 5"), data).observed == 5.0
    assert evaluate(parse("requests[20s] >= 100"), data).observed == 100.0


def test_window_longer_than_the_run_is_the_whole_run() -> None:
    data = [interval(0, [1.0] * 10), interval(1, [1.0] * 10)]
    result = evaluate(parse("rps[1m] >= 10"), data)
    assert result.observed == 10.0 and result.passed


def test_endpoint_scope() -> None:
    data = [interval(0, [5.0] * 10, name="/fast"), interval(0, [800.0] * 10, name="/slow")]
    assert evaluate(parse("p95 < 100ms", endpoint="/fast"), data).passed
    slow = evaluate(parse("p95 < 100ms", endpoint="/slow"), data)
    assert not slow.passed and "on '/slow'" in slow.detail
    assert not evaluate(parse("p95 < 100ms"), data).passed
    assert evaluate(parse("requests >= 10", endpoint="/fast"), data).passed


@pytest.mark.parametrize(("endpoint", "matched"), [
    ("GET /pricing", True),  # as every report prints it
    ("GET GET /pricing", True),  # METHOD name spelled out, as it matched before
    ("/pricing", False), ("POST /pricing", False), ("GET  /pricing", False),
])
def test_a_name_that_begins_with_its_method_matches_as_printed(endpoint: str,
                                                                matched: bool) -> None:
    """The guide names its requests "GET /pricing" (Locust's method: GET); the reports
    print the endpoint "GET /pricing", and a threshold on that endpoint holds for it."""
    pricing = interval(0, [800.0] * 10, name="GET /pricing")
    other = dataclasses.replace(interval(0, [5.0] * 10, name="/pricing"), method="POST")
    threshold = parse("p95 < 100ms", endpoint=endpoint)
    assert in_scope(threshold, pricing) is matched
    result = evaluate(threshold, [pricing, other])
    if matched:
        assert result.observed == pytest.approx(800.0, rel=0.01) and not result.passed
    else:
        assert result.observed is None or result.observed == pytest.approx(5.0, rel=0.01)


def test_plain_names_match_by_name_and_by_method_and_name() -> None:
    cart = dataclasses.replace(interval(0, [5.0], name="/cart"), method="POST")
    assert in_scope(parse("p95 < 1s", endpoint="/cart"), cart)
    assert in_scope(parse("p95 < 1s", endpoint="POST /cart"), cart)
    assert not in_scope(parse("p95 < 1s", endpoint="GET /cart"), cart)
    assert in_scope(parse("p95 < 1s"), cart)


@pytest.mark.parametrize("text", ["p95 < 1s", "p95[30s] < 1s", "error_rate < 1%", "rps > 1",
                                  "requests[10s] >= 0"])
def test_no_data_fails_with_a_reason(text: str) -> None:
    for data, endpoint in (([], None), ([interval(0, [1.0])], "/missing")):
        result = evaluate(parse(text, endpoint=endpoint), data)
        assert result.observed is None and not result.passed
        assert "no data" in result.detail


def test_error_rate_without_requests_is_no_data() -> None:
    result = evaluate(parse("error_rate[5s] < 1%"), [interval(0, [])])
    assert result.observed is None and not result.passed


def test_evaluate_all_keeps_the_order() -> None:
    data = _run_with_spike()
    texts = ["p95 < 500ms", "p95[30s] < 500ms", "error_rate < 1%", "rps >= 20"]
    results = evaluate_all([parse(t) for t in texts], data)
    assert [str(r.threshold) for r in results] == texts
    assert [r.passed for r in results] == [True, False, True, True]


def test_breached_now_respects_abort_and_grace() -> None:
    data = [interval(0, [800.0] * 10)]
    assert not breached_now(parse("p95 < 500ms"), data, elapsed_s=100)  # not an abort one
    aborting = parse("p95 < 500ms", abort=True, grace_s=30)
    assert not breached_now(aborting, data, elapsed_s=29.9)
    assert breached_now(aborting, data, elapsed_s=30)
    assert not breached_now(parse("p95 < 900ms", abort=True), data, elapsed_s=1)
    assert not breached_now(aborting, [], elapsed_s=100)


def test_breached_now_uses_the_latest_window() -> None:
    data = _run_with_spike()
    t = parse("p95[10s] < 500ms", abort=True)
    assert not breached_now(t, data, elapsed_s=120)  # the spike is over
    assert breached_now(t, [d for d in data if d.start < 1050], elapsed_s=50)
    assert not breached_now(parse("p95 < 500ms", abort=True), data, elapsed_s=120)


@pytest.mark.parametrize(("metric", "value", "text"), [
    ("p95", 348.159, "348.2 ms"), ("p99", 1234.4, "1234 ms"), ("avg", 0.5123, "0.5123 ms"),
    ("max", 20.0, "20 ms"), ("error_rate", 0.0083, "0.83%"), ("p95", None, "no data")])
def test_observed_values_print_without_false_precision(metric: str, value: float | None,
                                                       text: str) -> None:
    assert show(metric, value) == text
