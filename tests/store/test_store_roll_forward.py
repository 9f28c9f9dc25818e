"""Rollups written during a run (``roll_forward``): reads of a running run use them below the
watermark and stay exact; late reports, concurrent writes and crashes lose nothing."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from swarmdeck.metrics import EndpointInterval, EndpointKey, LatencyHistogram
from swarmdeck.store import STALE_AFTER_S, Store, models, rollups
from swarmdeck.store.rows import from_row

from .factories import (
    assert_same,
    brute_force,
    brute_series,
    make_interval,
    make_meta,
    measures,
    random_interval,
    region_totals,
    success_ms,
)

ENDED = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
T0 = 1_700_000_007  # 27 s into a minute, 7 s into a 10 s block
MINUTE_AFTER_T0 = 1_700_000_040  # the first minute boundary after T0
SECONDS = 250
REGIONS = ("eu", "us")
ENDPOINTS = (("GET", "/"), ("POST", "/cart"), ("GET", "/search"))


def _second(rng: random.Random, second: int) -> list[EndpointInterval]:
    return [random_interval(rng, T0 + second, name, region, method)
            for method, name in ENDPOINTS for region in REGIONS if rng.random() < 0.7]


def _late(rng: random.Random, below: int, count: int) -> list[EndpointInterval]:
    """Reports of a slow worker for starts already rolled up (some new endpoints)."""
    return [random_interval(rng, rng.randrange(T0 - 5, below),
                            rng.choice(["/", "/cart", "/late"]), rng.choice(REGIONS))
            for _ in range(count)]


def _rollup_table(store: Store, run_id: int) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Every rollup row of a run, by key, with what must match."""
    table = models.rollups
    with store.engine.connect() as connection:
        rows = connection.execute(select(table).where(table.c.run_id == run_id)).all()
    return {(row.level, row.start, row.method, row.name, row.region):
            measures(from_row(row)) for row in rows}


def _finished_reference(store: Store, intervals: list[EndpointInterval]) -> int:
    """The same intervals written at once and finished: the old path, no roll_forward."""
    run_id = store.create_run(make_meta())
    store.add_intervals(run_id, intervals)
    store.finish_run(run_id, "passed", ENDED)
    return run_id


@pytest.fixture(scope="module")
def running(module_store_url: str) -> Iterator[tuple[Store, int, list[EndpointInterval]]]:
    """A running run rolled forward twice, with late reports below the watermark."""
    rng = random.Random(11)
    written: list[EndpointInterval] = []
    with Store.open(module_store_url) as store:
        run_id = store.create_run(make_meta())

        def write(batch: list[EndpointInterval]) -> None:
            store.add_intervals(run_id, batch)
            written.extend(batch)

        for second in range(0, 150, 10):
            write([iv for s in range(second, second + 10) for iv in _second(rng, s)])
        store.roll_forward(run_id, settled_before=T0 + 130)
        assert store.get_run(run_id).rolled_until == T0 + 93
        write(_late(rng, T0 + 93, 25))
        for second in range(150, SECONDS, 10):
            write([iv for s in range(second, second + 10) for iv in _second(rng, s)])
        store.roll_forward(run_id, settled_before=T0 + 200)
        write(_late(rng, T0 + 153, 25))
        record = store.get_run(run_id)
        assert (record.status, record.rolled_up, record.rolled_until) == (
            "running", False, T0 + 153)
        yield store, run_id, written


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.one_of(st.none(), st.floats(T0 - 30, T0 + SECONDS + 30)),
       length=st.one_of(st.none(), st.integers(0, SECONDS + 60)),
       region=st.sampled_from([None, *REGIONS]))
def test_running_windows_equal_a_brute_force_merge(
        running: tuple[Store, int, list[EndpointInterval]], start: float | None,
        length: int | None, region: str | None) -> None:
    store, run_id, intervals = running
    end = None if length is None else (start if start is not None else T0) + length
    assert_same(store.endpoint_data(run_id, start, end, region),
                brute_force(intervals, start, end, region))


@pytest.mark.parametrize("step_s", [1, 7, 10, 30, 60, 120])
@pytest.mark.parametrize("region", [None, "us"])
def test_running_series_and_timeline_equal_a_brute_force_merge(
        running: tuple[Store, int, list[EndpointInterval]], step_s: int,
        region: str | None) -> None:
    store, run_id, intervals = running
    series = {(iv.start, iv.endpoint): iv for iv in store.iter_series(run_id, step_s, region)}
    assert_same(series, brute_series(intervals, step_s, region))
    if region is None:
        expected = brute_series(intervals, step_s)
        points = store.timeline(run_id, step_s)
        assert points[0].start == min(iv.start for iv in intervals) // step_s * step_s
        for point in points:
            steps = [d for (s, _), d in expected.items() if s == point.start]
            assert point.requests == sum(d.requests for d in steps)
            assert point.failures == sum(d.failures for d in steps)
            assert point.p95_ms == success_ms(steps, 95)  # None: every request failed


def test_running_region_data_equals_a_brute_force_merge(
        running: tuple[Store, int, list[EndpointInterval]]) -> None:
    store, run_id, intervals = running
    for region, data in region_totals(store, run_id).items():
        expected = brute_force(intervals, region=region)
        merged = LatencyHistogram.merged([d.histogram for d in expected.values()])
        assert data.requests == sum(d.requests for d in expected.values())
        assert data.histogram.encode() == merged.encode()


def test_running_endpoint_region_data_equals_a_brute_force_merge(
        running: tuple[Store, int, list[EndpointInterval]]) -> None:
    """The one read the reports fold their table and regions from."""
    store, run_id, intervals = running
    pairs = store.endpoint_region_data(run_id)
    assert {region for _, region in pairs} == set(REGIONS)
    for region in REGIONS:
        assert_same({key: data for (key, r), data in pairs.items() if r == region},
                    brute_force(intervals, region=region))


def test_reads_of_a_running_run_use_the_rollups_below_the_watermark(
        running: tuple[Store, int, list[EndpointInterval]]) -> None:
    store, run_id, intervals = running
    raw: list[tuple[Any, ...]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "FROM intervals" in statement:
            raw.append(parameters)

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        whole = store.endpoint_data(run_id)
        series = list(store.iter_series(run_id, 60))
        store.timeline(run_id, 60)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    assert_same(whole, brute_force(intervals))
    assert len(series) == len(brute_series(intervals, 60))
    # one raw read per query, of the starts from the watermark on only
    assert len(raw) == 3
    for parameters in raw:
        values = parameters.values() if isinstance(parameters, dict) else parameters
        assert T0 + 153 in values


def test_late_reports_below_the_watermark_keep_rollups_exact_through_the_finish(
        store: Store) -> None:
    rng = random.Random(3)
    intervals = [iv for s in range(200) for iv in _second(rng, s)]
    run_id = store.create_run(make_meta())
    store.add_intervals(run_id, intervals[: len(intervals) // 2])
    store.roll_forward(run_id, T0 + 100)
    store.add_intervals(run_id, intervals[len(intervals) // 2:])
    late = [
        make_interval(T0 + 20, "/", [900_000] * 40, region="eu", failed=[30_000_000] * 4,
                      errors={"timeout": 4}),  # into existing rows
        make_interval(T0 + 21, "/new", [5_000, 7_000], region="eu"),  # a new endpoint
        make_interval(T0 + 3, "/", [2_000], region="ap"),  # a new region
        make_interval(T0 - 100, "/cart", [1_500], method="POST", region="us"),  # before
    ]
    store.add_intervals(run_id, late)
    everything = intervals + late
    assert_same(store.endpoint_data(run_id), brute_force(everything))
    assert_same(store.endpoint_data(run_id, T0 + 13, T0 + 73),
                brute_force(everything, T0 + 13, T0 + 73))

    store.roll_forward(run_id, T0 + 160)
    store.finish_run(run_id, "passed", ENDED)
    record = store.get_run(run_id)
    assert record.rolled_up
    assert record.first_interval == T0 - 100
    assert record.p95_ms == success_ms(brute_force(everything).values(), 95)
    assert record.requests == sum(iv.requests for iv in everything)
    reference = _finished_reference(store, everything)
    assert _rollup_table(store, run_id) == _rollup_table(store, reference)
    assert sorted(region_totals(store, run_id)) == ["ap", "eu", "us"]


def test_finishing_reads_only_the_raw_intervals_after_the_watermark(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(4)
    intervals = [iv for s in range(180) for iv in _second(rng, s)]
    run_id = store.create_run(make_meta())
    store.add_intervals(run_id, intervals)
    store.roll_forward(run_id, T0 + 170)
    watermark = store.get_run(run_id).rolled_until
    assert watermark == MINUTE_AFTER_T0 + 120
    real_read = rollups._raw_in_order
    read: list[int] = []

    def counting(connection: Any, run: int, lo: Any, hi: Any) -> Iterator[EndpointInterval]:
        for interval in real_read(connection, run, lo, hi):
            read.append(interval.start)
            yield interval

    monkeypatch.setattr(rollups, "_raw_in_order", counting)
    store.finish_run(run_id, "passed", ENDED)
    assert sorted(read) == sorted(iv.start for iv in intervals if iv.start >= watermark)
    monkeypatch.undo()
    assert _rollup_table(store, run_id) == _rollup_table(
        store, _finished_reference(store, intervals))


def test_roll_forward_only_moves_forward_and_only_while_running(store: Store) -> None:
    run_id = store.create_run(make_meta())
    store.roll_forward(run_id, T0 + 500)  # no intervals yet: nothing to roll
    assert store.get_run(run_id).rolled_until is None
    intervals = [make_interval(T0 + s, "/a", [1000 + s]) for s in range(90)]
    store.add_intervals(run_id, intervals)
    store.roll_forward(run_id, T0 + 20)  # inside the first minute: nothing whole yet
    assert store.get_run(run_id).rolled_until is None
    store.roll_forward(run_id, T0 + 75)
    assert store.get_run(run_id).rolled_until == MINUTE_AFTER_T0
    store.roll_forward(run_id, T0 + 10)  # an older call: the watermark stays
    store.roll_forward(run_id, T0 + 75)  # again: nothing new
    assert store.get_run(run_id).rolled_until == MINUTE_AFTER_T0
    before = _rollup_table(store, run_id)
    assert {key[0] for key in before} == {10, 60}
    assert max(key[1] for key in before) < MINUTE_AFTER_T0
    store.finish_run(run_id, "passed", ENDED)
    finished = _rollup_table(store, run_id)
    store.roll_forward(run_id, T0 + 10_000)  # after the finish: nothing to do
    assert _rollup_table(store, run_id) == finished
    assert_same(store.endpoint_data(run_id), brute_force(intervals))


def test_a_write_during_roll_forward_is_not_lost_or_counted_twice(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rollup computed from a stale read is thrown away and computed again."""
    run_id = store.create_run(make_meta())
    intervals = [make_interval(T0 + s, "/a", [1000 + s]) for s in range(150)]
    store.add_intervals(run_id, intervals)
    during = [make_interval(T0 + 50, "/a", [777_000]),  # inside the minutes being rolled
              make_interval(T0 + 149, "/b", [3_000])]  # after them
    real_read = rollups._raw_in_order
    calls: list[int] = []

    def read_then_write(connection: Any, run: int, lo: Any, hi: Any
                        ) -> Iterator[EndpointInterval]:
        yield from real_read(connection, run, lo, hi)
        if not calls:  # the collector flushes while the rollup is being computed
            store.add_intervals(run_id, during)
        calls.append(run)

    monkeypatch.setattr(rollups, "_raw_in_order", read_then_write)
    store.roll_forward(run_id, T0 + 140)
    monkeypatch.undo()
    assert len(calls) == 2
    everything = intervals + during
    assert store.get_run(run_id).rolled_until == MINUTE_AFTER_T0 + 60
    assert_same(store.endpoint_data(run_id), brute_force(everything))
    assert_same(store.endpoint_data(run_id, T0 + 33, T0 + 93),
                brute_force(everything, T0 + 33, T0 + 93))
    store.finish_run(run_id, "passed", ENDED)
    assert _rollup_table(store, run_id) == _rollup_table(
        store, _finished_reference(store, everything))


def test_roll_forward_racing_writers_in_threads_stays_exact(store: Store) -> None:
    rng = random.Random(9)
    run_id = store.create_run(make_meta())
    batches = [[iv for s in range(second, second + 5) for iv in _second(rng, s)]
               + _late(rng, T0 + max(second - 20, 1), 3)
               for second in range(0, 240, 5)]
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for batch in batches:
                store.add_intervals(run_id, batch)
                time.sleep(0.01)  # a collector flushes now and then, not in a burst
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    while thread.is_alive():
        record = store.get_run(run_id)
        if record.last_interval is not None:
            store.roll_forward(run_id, record.last_interval - 10)
    thread.join()
    assert not errors
    everything = [iv for batch in batches for iv in batch]
    store.roll_forward(run_id, T0 + 229)
    assert store.get_run(run_id).rolled_until == MINUTE_AFTER_T0 + 180
    assert_same(store.endpoint_data(run_id), brute_force(everything))
    assert_same(store.endpoint_data(run_id, T0 + 61, T0 + 185),
                brute_force(everything, T0 + 61, T0 + 185))
    store.finish_run(run_id, "passed", ENDED)
    assert _rollup_table(store, run_id) == _rollup_table(
        store, _finished_reference(store, everything))


def test_a_run_crashed_after_rolling_forward_is_rolled_up_exactly(store_url: str) -> None:
    rng = random.Random(12)
    intervals = [iv for s in range(170) for iv in _second(rng, s)]
    last_seen = datetime.now(UTC) - timedelta(seconds=STALE_AFTER_S + 30)
    with Store.open(store_url) as store:
        run_id = store.create_run(make_meta(hostname="another-machine", pid=4242))
        store.add_intervals(run_id, intervals[: len(intervals) // 2])
        store.roll_forward(run_id, T0 + 75)
        store.add_intervals(run_id, intervals[len(intervals) // 2:])
        store.heartbeat(run_id, at=last_seen)

    with Store.open(store_url) as store:  # opening the store finds the dead run
        record = store.get_run(run_id)
        assert (record.status, record.rolled_up) == ("crashed", True)
        assert_same(store.endpoint_data(run_id), brute_force(intervals))
        assert_same(store.endpoint_data(run_id, T0 + 50, T0 + 140),
                    brute_force(intervals, T0 + 50, T0 + 140))
        assert _rollup_table(store, run_id) == _rollup_table(
            store, _finished_reference(store, intervals))
        assert store.endpoint_data(run_id)[EndpointKey("GET", "/")].requests == sum(
            iv.requests for iv in intervals if iv.name == "/")


def test_roll_forward_pauses_every_few_intervals_and_writes_the_same_rollups(
        store: Store) -> None:
    """A load generator rolls up on its own event loop: roll_forward hands control back
    every PAUSE_EVERY intervals read, and what it writes does not depend on that."""
    rng = random.Random(5)
    intervals = [iv for s in range(150) for iv in _second(rng, s)]
    paused, plain = store.create_run(make_meta()), store.create_run(make_meta())
    store.add_intervals(paused, intervals)
    store.add_intervals(plain, intervals)
    pauses: list[float] = []
    store.roll_forward(paused, T0 + 140, pause=lambda: pauses.append(time.perf_counter()))
    store.roll_forward(plain, T0 + 140)
    rolled = [iv for iv in intervals if iv.start < T0 + 93]  # whole minutes before T0 + 120
    assert len(pauses) == len(rolled) // rollups.PAUSE_EVERY + 1 > 1  # and one at the end
    assert _rollup_table(store, paused) == _rollup_table(store, plain)
    assert store.get_run(paused).rolled_until == store.get_run(plain).rolled_until == T0 + 93
