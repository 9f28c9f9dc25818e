"""The capacity search (pure): the rates it tries against a target of known capacity, and
how a step is judged (the SLO, and whose limit a failure was)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.analysis.capacity import Search, judge
from swarmdeck.analysis.thresholds import parse
from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.metrics.iterations import IterationInterval

T0 = 1_700_000_000


def run_search(capacity: float, start: float = 10.0, max_rate: float = 10_000.0,
               precision: float = 0.1) -> tuple[Search, list[float]]:
    search = Search(start, max_rate, precision)
    tried = []
    while (rate := search.next_rate()) is not None:
        tried.append(rate)
        search.record(rate <= capacity)
    return search, tried


def test_doubling_then_halving_then_confirming() -> None:
    search, tried = run_search(230.0)
    assert tried == [10, 20, 40, 80, 160, 320, 240, 200, 220, 220]  # the last: confirming
    assert (search.good, search.bad, search.confirmed) == (220, 240, True)


@settings(max_examples=200, deadline=None)
@given(capacity=st.floats(min_value=10.0, max_value=9_000.0),
       precision=st.sampled_from([0.05, 0.1, 0.2]))
def test_the_rate_found_is_the_capacity_within_the_precision(capacity: float,
                                                             precision: float) -> None:
    search, tried = run_search(capacity, precision=precision)
    assert search.confirmed and search.good is not None
    assert search.good <= capacity
    assert search.bad is None or search.bad > capacity
    assert capacity - search.good <= precision * search.good + 1e-9
    assert len(tried) <= 12 + 2 + 6  # doublings, halvings, a confirmation


def test_a_slo_broken_at_the_first_rate_ends_the_search() -> None:
    search, tried = run_search(5.0)
    assert tried == [10] and search.good is None and search.bad == 10


def test_the_max_rate_bounds_the_search() -> None:
    search, tried = run_search(1e9, start=100.0, max_rate=500.0)
    assert tried == [100, 200, 400, 500, 500] and search.bad is None and search.confirmed


def test_a_failed_confirmation_steps_down_once_and_confirms_again() -> None:
    search = Search(100.0, 1000.0, 0.1)
    outcomes = iter([True, False, True, True, False, True])  # 100, 200, 150, 175 (flaky)...
    while (rate := search.next_rate()) is not None:
        search.record(next(outcomes, True) if rate != 175 or not search.confirming else False)
    assert search.confirmed and search.good is not None and search.good < 175


def test_a_generator_limit_ends_the_search() -> None:
    search = Search(100.0, 1000.0, 0.1)
    assert search.next_rate() == 100
    search.record(True)
    assert search.next_rate() == 200
    search.record(False, generator_limited=True)
    assert search.next_rate() is None and search.generator_limited == 200


# -- judging a step ---------------------------------------------------------------------

def interval(second: int, due_ms: Sequence[float], sent_ms: Sequence[float], *,
             name: str = "/a", failures: int = 0) -> EndpointInterval:
    due, sent = LatencyHistogram(), LatencyHistogram()
    for value in due_ms:
        due.record_ms(value)
    for value in sent_ms:
        sent.record_ms(value)
    return EndpointInterval(start=T0 + second, method="GET", name=name,
                            requests=len(due_ms) + failures, failures=failures,
                            histogram=due, service_histogram=sent)


def iterations(scheduled: int, dropped: int = 0) -> list[IterationInterval]:
    return [IterationInterval(start=T0, scheduled=scheduled, started=scheduled - dropped,
                              dropped=dropped)]


SLO = (parse("p95 < 100ms"), parse("error_rate < 1%"))


def test_a_step_within_the_slo_passes() -> None:
    step = [interval(s, [20.0] * 50, [20.0] * 50) for s in range(3)]
    verdict = judge(SLO, step, iterations(150))
    assert verdict.passed and verdict.requests == 150 and not verdict.why
    assert verdict.p95_ms == pytest.approx(20.0, rel=0.01)


def test_a_slower_target_is_the_target_s_limit_and_names_the_endpoint() -> None:
    step = [interval(s, [20.0] * 50, [20.0] * 50) for s in range(3)] + [
        interval(s, [400.0] * 50, [390.0] * 50, name="/report") for s in range(3)]
    verdict = judge(SLO, step, iterations(300))
    assert not verdict.passed and not verdict.generator_limited
    assert verdict.broken == "GET /report"
    assert verdict.why.startswith("p95 < 100ms: ")


def test_late_users_with_a_healthy_target_are_the_generator_s_limit() -> None:
    # counted from the due time it broke; from the send, the target kept the SLO
    step = [interval(s, [20.0] * 40 + [500.0] * 10, [20.0] * 50) for s in range(3)]
    verdict = judge(SLO, step, iterations(150))
    assert not verdict.passed and verdict.generator_limited


def test_a_target_at_its_limit_failing_both_nearly_alike_is_the_target_s_limit() -> None:
    # a step at 94% of the target's capacity: p95 101.8 ms from the due time, 99.6 ms from
    # the send (a few ms of start lag): the target broke the SLO, not the users
    step = [interval(s, [20.0] * 45 + [101.8] * 5, [20.0] * 45 + [99.6] * 5)
            for s in range(3)]
    verdict = judge(SLO, step, iterations(150))
    assert not verdict.passed and not verdict.generator_limited


def test_dropped_iterations_mean_the_rate_was_not_started() -> None:
    step = [interval(s, [20.0] * 50, [20.0] * 50) for s in range(3)]
    verdict = judge(SLO, step, iterations(300, dropped=150))
    assert not verdict.passed and verdict.generator_limited
    assert verdict.why == "150 of 300 iterations dropped"


def test_errors_break_the_slo_whatever_the_latency() -> None:
    step = [interval(s, [20.0] * 45, [20.0] * 45, failures=5) for s in range(3)]
    verdict = judge(SLO, step, iterations(150))
    assert not verdict.passed and not verdict.generator_limited
    assert verdict.error_rate == pytest.approx(0.1)
