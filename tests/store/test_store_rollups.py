"""Rollups answer any window exactly as a merge of the raw intervals would."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.store import Store, rollups
from swarmdeck.store.rollups import RAW, plan_window

from .factories import (
    assert_same,
    brute_force,
    make_interval,
    make_meta,
    random_interval,
    region_totals,
)

ENDED = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
T0 = 1_700_000_007  # not aligned to 10 s or to a minute
SECONDS = 250
REGIONS = ("eu", "us")


@given(st.integers(-500, 500), st.integers(0, 500))
def test_window_plan_covers_each_second_once(lo: int, length: int) -> None:
    hi = lo + length
    covered: list[int] = []
    for level, piece_lo, piece_hi in plan_window(lo, hi):
        assert piece_lo < piece_hi
        if level != RAW:
            assert piece_lo % level == 0 and piece_hi % level == 0
        covered.extend(range(piece_lo, piece_hi))
    assert sorted(covered) == list(range(lo, hi))
    assert sum(piece_hi - piece_lo for level, piece_lo, piece_hi in plan_window(lo, hi)
               if level == RAW) < 20


@pytest.fixture(scope="module")
def synthetic(module_store_url: str) -> Iterator[tuple[Store, int, list[EndpointInterval]]]:
    """A finished run: 250 s, 3 endpoints, 2 regions, gaps, and duplicated reports."""
    rng = random.Random(2024)
    intervals = [random_interval(rng, T0 + second, name, region, method)
                 for second in range(SECONDS)
                 for method, name in (("GET", "/"), ("POST", "/cart"), ("GET", "/search"))
                 for region in REGIONS if rng.random() < 0.7]
    duplicates = [random_interval(rng, iv.start, iv.name, iv.region, iv.method)
                  for iv in rng.sample(intervals, 60)]
    with Store.open(module_store_url) as store:
        run_id = store.create_run(make_meta())
        for second in range(0, SECONDS, 10):
            store.add_intervals(run_id, [iv for iv in intervals + duplicates
                                         if second <= iv.start - T0 < second + 10])
        store.finish_run(run_id, "passed", ENDED)
        yield store, run_id, intervals + duplicates


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.one_of(st.none(), st.floats(T0 - 30, T0 + SECONDS + 30)),
       length=st.one_of(st.none(), st.integers(0, SECONDS + 60)),
       region=st.sampled_from([None, *REGIONS]))
def test_windows_equal_a_brute_force_merge(
        synthetic: tuple[Store, int, list[EndpointInterval]], start: float | None,
        length: int | None, region: str | None) -> None:
    store, run_id, intervals = synthetic
    end = None if length is None else (start if start is not None else T0) + length
    assert_same(store.endpoint_data(run_id, start, end, region),
                brute_force(intervals, start, end, region))


def test_whole_run_reads_rollups_not_raw_intervals(
        synthetic: tuple[Store, int, list[EndpointInterval]]) -> None:
    store, run_id, intervals = synthetic
    statements: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        whole = store.endpoint_data(run_id)
        window = store.endpoint_data(run_id, T0 + 55, T0 + 55 + 180)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    assert_same(whole, brute_force(intervals))
    assert_same(window, brute_force(intervals, T0 + 55, T0 + 235))
    raw_reads = [s for s in statements if "FROM intervals" in s]
    assert len(raw_reads) == 2  # the two sub-10 s edges of the window, nothing for the run


def test_rollups_stay_exact_after_late_intervals(store: Store) -> None:
    rng = random.Random(5)
    intervals = [random_interval(rng, T0 + second, name, "eu")
                 for second in range(130) for name in ("/a", "/b")]
    run_id = store.create_run(make_meta())
    store.add_intervals(run_id, intervals)
    store.finish_run(run_id, "passed", ENDED)
    assert store.get_run(run_id).rolled_up

    late = [
        make_interval(T0 + 64, "/a", [900_000] * 50, region="eu", failed=[30_000_000] * 5,
                      errors={"timeout": 5}),  # into an existing row
        make_interval(T0 + 64, "/new", [5_000, 7_000], region="eu"),  # a new endpoint
        make_interval(T0 + 3, "/a", [2_000], region="us"),  # a new region
        make_interval(T0 + 400, "/b", [1_500], region="eu"),  # after the last interval
        make_interval(T0 - 100, "/b", [1_500], region="eu"),  # before the first
    ]
    store.add_intervals(run_id, late)
    everything = intervals + late

    assert_same(store.endpoint_data(run_id), brute_force(everything))
    for start, end in [(T0 + 60, T0 + 70), (T0 + 50, T0 + 130), (T0, T0 + 600),
                       (T0 - 200, T0 + 10), (T0 + 64, T0 + 65)]:
        assert_same(store.endpoint_data(run_id, start, end), brute_force(everything, start, end))
    assert_same(store.endpoint_data(run_id, region="us"), brute_force(everything, region="us"))

    row = next(row for row in store.list_runs() if row.id == run_id)
    totals = brute_force(everything).values()
    merged = LatencyHistogram.merged([e.histogram for e in totals])
    failed = LatencyHistogram.merged([e.failed_histogram for e in totals
                                      if e.failed_histogram is not None])
    assert row.requests == merged.count + failed.count == sum(iv.requests for iv in everything)
    assert row.failures == failed.count == sum(iv.failures for iv in everything)
    # the successes' p95: the late 900 ms successes count, the 30 s failures do not
    assert row.p95_ms == merged.percentile_ms(95) == 900.0
    assert sorted(region_totals(store, run_id)) == ["eu", "us"]
    record = store.get_run(run_id)
    assert (record.first_interval, record.last_interval) == (T0 - 100, T0 + 400)
    assert [p.requests for p in store.timeline(run_id, 60)] == [
        sum(e.requests for e in brute_force(everything, s, s + 60).values())
        for s in range((T0 - 100) // 60 * 60, T0 + 401, 60)]


def test_finishing_twice_keeps_the_rollups(store: Store) -> None:
    run_id = store.create_run(make_meta())
    intervals = [make_interval(T0 + s, "/a", [1000 + s]) for s in range(30)]
    store.add_intervals(run_id, intervals)
    store.finish_run(run_id, "passed", ENDED)
    store.finish_run(run_id, "failed", ENDED, "threshold p95 < 1 ms failed")
    assert store.get_run(run_id).status == "failed"
    assert_same(store.endpoint_data(run_id), brute_force(intervals))
    assert_same(store.endpoint_data(run_id, T0 + 5, T0 + 25),
                brute_force(intervals, T0 + 5, T0 + 25))


def test_an_interval_written_during_the_rollup_is_not_lost(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rollups computed from a stale read are thrown away and computed again."""
    run_id = store.create_run(make_meta())
    intervals = [make_interval(T0 + s, "/a", [1000 + s]) for s in range(40)]
    store.add_intervals(run_id, intervals)
    late = make_interval(T0 + 12, "/a", [777_000])
    real_read = rollups._raw_in_order
    calls: list[int] = []

    def read_then_write(connection: Any, run: int, lo: Any, hi: Any
                        ) -> Iterator[EndpointInterval]:
        yield from real_read(connection, run, lo, hi)
        if not calls:  # the collector flushes while the rollup is being computed
            store.add_intervals(run_id, [late])
        calls.append(run)

    monkeypatch.setattr(rollups, "_raw_in_order", read_then_write)
    store.finish_run(run_id, "passed", ENDED)
    assert len(calls) == 2
    everything = [*intervals, late]
    assert_same(store.endpoint_data(run_id), brute_force(everything))
    assert_same(store.endpoint_data(run_id, T0 + 10, T0 + 20),
                brute_force(everything, T0 + 10, T0 + 20))
