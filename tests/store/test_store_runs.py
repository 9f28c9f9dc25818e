"""A run and its intervals go in and come back out as they were."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from swarmdeck.errors import ExitCode, RunNotFound
from swarmdeck.metrics import EndpointKey, LatencyHistogram
from swarmdeck.records import Ending, RunDetails, RunStatus, ThresholdOutcome
from swarmdeck.store import Store

from .factories import (
    assert_same,
    brute_force,
    make_interval,
    make_meta,
    random_interval,
    region_totals,
    success_ms,
)

ENDED = datetime(2024, 5, 1, 12, 5, tzinfo=UTC)


def test_run_metadata_round_trips(store: Store) -> None:
    meta = make_meta(shape="StagesShape", users=None, spawn_rate=None, run_time_s=None,
                     plan={"stages": [{"users": 5, "duration": 10}], "host": "x"},
                     tags={"team": "checkout", "ci": "true"}, git_commit=None,
                     interval_s=2.0)
    run_id = store.create_run(meta)

    record = store.get_run(run_id)
    assert record.meta == meta
    assert record.meta.started_at.tzinfo is not None
    assert (record.status, record.ended_at, record.message) == ("running", None, None)
    assert abs(record.heartbeat_at - datetime.now(UTC)) < timedelta(seconds=30)

    details = RunDetails(ending=Ending.GATE_ABORTED, locust_requests=10, locust_failures=1,
                         warnings=("w",), thresholds=(ThresholdOutcome(
                             "p95 < 200ms", "GET /cart", 250.0, "250 ms", False, True),))
    store.finish_run(run_id, RunStatus.FAILED, ENDED, "p95 above 200 ms on GET /cart", details)
    record = store.get_run(run_id)
    assert (record.status, record.ended_at) == ("failed", ENDED)
    assert record.message == "p95 above 200 ms on GET /cart"
    assert record.details == details


def test_intervals_round_trip_per_endpoint_and_region(store: Store) -> None:
    rng = random.Random(7)
    intervals = [random_interval(rng, 1_700_000_000 + second, name, region)
                 for second in range(40) for name in ("/", "/cart", "/login")
                 for region in ("eu-west", "us-east")]
    run_id = store.create_run(make_meta())
    for second in range(0, 40, 5):  # flushed as a collector would, a few seconds at a time
        store.add_intervals(run_id, [iv for iv in intervals
                                     if second <= iv.start - 1_700_000_000 < second + 5])

    assert_same(store.endpoint_data(run_id), brute_force(intervals))  # raw, while running
    store.finish_run(run_id, "passed", ENDED)
    assert_same(store.endpoint_data(run_id), brute_force(intervals))  # from the rollups
    assert_same(store.endpoint_data(run_id, region="us-east"),
                brute_force(intervals, region="us-east"))
    assert_same(store.endpoint_data(run_id, 1_700_000_003, 1_700_000_031.5),
                brute_force(intervals, 1_700_000_003, 1_700_000_032))

    regions = region_totals(store, run_id)
    assert sorted(regions) == ["eu-west", "us-east"]
    for region, data in regions.items():
        expected = brute_force(intervals, region=region).values()
        assert data.requests == sum(e.requests for e in expected)
        assert data.failures == sum(e.failures for e in expected)
        assert data.histogram == LatencyHistogram.merged([e.histogram for e in expected])
        assert sum(data.errors.values()) == data.failures

    record = store.get_run(run_id)
    assert (record.first_interval, record.last_interval) == (1_700_000_000, 1_700_000_039)
    assert record.requests == sum(iv.requests for iv in intervals)


def test_duplicate_key_merges_exactly(store: Store) -> None:
    """Two workers report the same second: the store holds one row with both."""
    rng = random.Random(3)
    samples = [int(rng.lognormvariate(10, 1.2)) for _ in range(3000)]
    worker_a = make_interval(1000, "/checkout", samples[:1000], failures=2,
                             errors={"HTTP 500": 2}, nbytes=10)
    worker_b = make_interval(1000, "/checkout", samples[1000:2500], failures=3,
                             errors={"HTTP 500": 1, "timeout": 2}, nbytes=20)
    late = make_interval(1000, "/checkout", samples[2500:], failures=0, nbytes=5)
    before = worker_a.histogram.encode()
    run_id = store.create_run(make_meta())
    store.add_intervals(run_id, [worker_a, worker_b])  # both in one flush
    store.add_intervals(run_id, [late])  # and one arriving later

    stored = store.endpoint_data(run_id)[EndpointKey("GET", "/checkout")]
    everything = LatencyHistogram()
    for value in samples:
        everything.record(value)
    assert stored.requests == 3000
    assert (stored.failures, stored.bytes) == (5, 35)
    assert dict(stored.errors) == {"HTTP 500": 3, "timeout": 2}
    assert stored.histogram.percentile(99) == everything.percentile(99)
    assert stored.histogram == everything
    assert (stored.histogram.min_us, stored.histogram.max_us) == (min(samples), max(samples))
    assert worker_a.histogram.encode() == before  # the caller's intervals are untouched


def test_failed_latency_merges_exactly_and_apart(store: Store) -> None:
    """Two workers and a late report of one second, with failures: the stored row keeps
    the successes' and the failures' histograms apart, each exact."""
    rng = random.Random(4)
    ok = [int(rng.lognormvariate(10, 1.2)) for _ in range(900)]
    failed = [int(rng.lognormvariate(14, 2)) for _ in range(60)]
    parts = [make_interval(1000, "/checkout", ok[:400], failed=failed[:20],
                           errors={"timeout": 20}),
             make_interval(1000, "/checkout", ok[400:800], failed=failed[20:],
                           errors={"HTTP 503": 40}),
             make_interval(1000, "/checkout", ok[800:])]
    run_id = store.create_run(make_meta())
    store.add_intervals(run_id, parts[:2])
    store.add_intervals(run_id, parts[2:])
    store.finish_run(run_id, "passed", ENDED)
    stored = store.endpoint_data(run_id)[EndpointKey("GET", "/checkout")]
    assert (stored.requests, stored.failures) == (960, 60)
    assert stored.histogram == make_interval(0, samples=ok).histogram
    assert stored.failed_histogram == make_interval(0, samples=failed).histogram
    assert store.get_run(run_id).p95_ms == stored.histogram.percentile_ms(95)


def test_list_runs_shows_totals_newest_first(store: Store) -> None:
    first = store.create_run(make_meta())
    store.add_intervals(first, [make_interval(10, "/a", [1000, 2000], failures=1),
                                make_interval(11, "/b", [5000] * 18 + [9000, 9000])])
    store.finish_run(first, "passed", ENDED)
    second = store.create_run(make_meta(host="http://other"))
    store.add_intervals(second, [make_interval(20, "/a", [3000] * 7, failures=7)])

    rows = store.list_runs()
    assert [row.id for row in rows] == [second, first]
    newest, oldest = rows
    assert (newest.status, newest.requests, newest.failures) == ("running", 7, 7)
    assert newest.p95_ms is None  # no rollup until the run finishes
    assert (oldest.status, oldest.requests, oldest.failures) == ("passed", 22, 1)
    everything = LatencyHistogram.merged(
        [iv.histogram for iv in brute_force([make_interval(10, "/a", [1000, 2000]),
                                             make_interval(11, "/b", [5000] * 18
                                                           + [9000, 9000])]).values()])
    assert oldest.p95_ms == everything.percentile_ms(95)
    assert (oldest.host, oldest.ended_at) == ("http://127.0.0.1:5000", ENDED)
    assert [row.id for row in store.list_runs(limit=1)] == [second]


def test_unknown_run_is_run_not_found(store: Store) -> None:
    for call in (lambda: store.get_run(999), lambda: store.endpoint_data(999),
                 lambda: store.add_intervals(999, [make_interval(1)]),
                 lambda: store.finish_run(999, "passed", ENDED),
                 lambda: store.heartbeat(999), lambda: store.timeline(999, 10),
                 lambda: store.user_counts(999)):
        with pytest.raises(RunNotFound) as caught:
            call()
        assert "999" in caught.value.message
        assert "swarmdeck runs" in (caught.value.hint or "")
        assert caught.value.exit_code == ExitCode.BAD_INPUT


def test_finish_rejects_an_unknown_status(store: Store) -> None:
    run_id = store.create_run(make_meta())
    with pytest.raises(ValueError, match="finished"):
        store.finish_run(run_id, "finished", ENDED)  # type: ignore[arg-type]
    assert store.get_run(run_id).status == "running"


def test_user_counts_and_timeline(store: Store) -> None:
    rng = random.Random(11)
    base = 1_700_000_000  # a multiple of 10 and of 20, not of 60
    intervals = [random_interval(rng, base + second, name, "local")
                 for second in range(95) for name in ("/a", "/b") if rng.random() < 0.8]
    run_id = store.create_run(make_meta())
    store.add_intervals(run_id, intervals)
    samples = [(base + 0.5, 2), (base + 15.2, 6), (base + 61.0, 10)]
    store.add_user_counts(run_id, samples)
    assert store.user_counts(run_id) == samples

    before = store.timeline(run_id, 20)  # raw intervals
    store.finish_run(run_id, "passed", ENDED)
    after = store.timeline(run_id, 20)  # 10 s rollups
    assert before == after
    assert [point.start for point in after] == list(range(base, base + 100, 20))
    assert [point.users for point in after] == [6, 6, 6, 10, 10]
    for point in after:
        expected = brute_force(intervals, point.start, point.start + 20)
        assert point.requests == sum(e.requests for e in expected.values())
        assert point.failures == sum(e.failures for e in expected.values())
        assert point.p95_ms == success_ms(expected.values(), 95)
        assert point.p99_ms == success_ms(expected.values(), 99)
    assert store.timeline(run_id, 7)[0].start == (base // 7) * 7
    with pytest.raises(ValueError):
        store.timeline(run_id, 0)


def test_concurrent_writers_never_lose_a_report(store: Store) -> None:
    """Four threads (as four collectors would) keep merging into the same rows."""
    run_id = store.create_run(make_meta())

    def write(worker: int) -> None:
        for second in range(10):
            store.add_intervals(run_id, [make_interval(100 + second % 3, "/a", [1000 + worker]),
                                         make_interval(100, "/b", [2000], region=f"w{worker}")])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(4)))
    data = store.endpoint_data(run_id)
    assert data[EndpointKey("GET", "/a")].requests == 40
    assert data[EndpointKey("GET", "/a")].histogram.count == 40
    assert data[EndpointKey("GET", "/b")].requests == 40
    assert store.get_run(run_id).requests == 80
