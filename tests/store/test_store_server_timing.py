"""Server timing in the store: merged exactly into raw rows, rollups and windows, like
the latency histograms; runs stored before revision 0007 read without it."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from tests.store.factories import brute_force, make_interval, make_meta, random_interval
from tests.store.test_store_migrations import _migrate

from swarmdeck.metrics import EndpointInterval
from swarmdeck.metrics.server_timing import ServerTiming
from swarmdeck.store import Store

T0 = 1_700_000_000


def timing(rng: random.Random, n: int) -> ServerTiming:
    found = ServerTiming()
    found.add_headers([f'app;dur={rng.uniform(1, 90):.3f}, db;dur={rng.uniform(0, 30):.3f};'
                       f'desc="{rng.randint(1, 40)} queries"' for _ in range(n)], 50.0 * n)
    return found


def timed_intervals(rng: random.Random, seconds: int) -> list[EndpointInterval]:
    intervals = []
    for second in range(seconds):
        for name in ("/a", "/b"):
            for region in ("eu", "us"):
                interval = random_interval(rng, T0 + second, name, region)
                if name == "/a" or second % 3 == 0:  # /b: some intervals without it
                    interval.server_timing = timing(rng, rng.randint(1, 4))
                intervals.append(interval)
    return intervals


def test_rollups_and_windows_keep_it_exact(store: Store) -> None:
    rng = random.Random(4)
    intervals = timed_intervals(rng, 150)
    run_id = store.create_run(make_meta(started_at=datetime.fromtimestamp(T0, UTC)))
    for offset in range(0, len(intervals), 37):  # reports in pieces, as workers send them
        store.add_intervals(run_id, intervals[offset:offset + 37])
    store.add_intervals(run_id, [intervals[5]])  # a late duplicate report: merged in
    everything = [*intervals, intervals[5]]
    store.roll_forward(run_id, T0 + 130)
    for lo, hi in ((None, None), (T0 + 7, T0 + 95), (T0 + 60, T0 + 120)):
        window = store.endpoint_data(run_id, lo, hi)
        for key, expected in brute_force(everything, lo, hi).items():
            assert window[key].server_timing == expected.server_timing, (key, lo, hi)
    store.finish_run(run_id, "passed", datetime.fromtimestamp(T0 + 150, UTC))
    whole = store.endpoint_data(run_id)  # the whole-run rollup
    for key, expected in brute_force(everything).items():
        assert whole[key].server_timing == expected.server_timing
    series = {(i.start, i.name): i.server_timing for i in store.iter_series(run_id, 10)}
    assert series[(T0 // 10 * 10 + 20, "/a")] is not None


def test_an_interval_without_it_stays_without(store: Store) -> None:
    run_id = store.create_run(make_meta())
    store.add_intervals(run_id, [make_interval(T0, "/plain", [1000, 2000])])
    (data,) = store.endpoint_data(run_id).values()
    assert data.server_timing is None


def test_runs_stored_before_0007_read_without_it(store_url: str) -> None:
    _migrate(store_url, "0004")
    engine = create_engine(store_url)
    try:
        with engine.begin() as connection:  # a run as 0004 wrote it: no server timing
            connection.execute(text(
                "INSERT INTO runs (id, status, host, locustfile, locustfile_sha256, plan, "
                "tags, interval_s, swarmdeck_version, locust_version, python_version, "
                "started_at, heartbeat_at, pid, hostname, revision, requests, failures, "
                "first_interval, last_interval) VALUES (1000, 'passed', 'h', 'f', 'x', '{}', "
                "'{}', 1, '0', '0', '0', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1, "
                "'h', 1, 1, 0, :t, :t)"), {"t": T0})  # id 1000: clear of the sequence
            row = make_interval(T0, "/old", [1500])
            connection.execute(text(
                "INSERT INTO intervals (run_id, start, method, name, region, requests, "
                "failures, bytes, histogram, min_us, max_us, errors) VALUES (1000, :t, 'GET', "
                "'/old', 'local', 1, 0, 0, :h, 1500, 1500, '{}')"),
                {"t": T0, "h": row.histogram.encode()})
    finally:
        engine.dispose()
    with Store.open(store_url) as store:  # migrates to the head
        (data,) = store.endpoint_data(1000).values()
        assert data.requests == 1 and data.server_timing is None
        new = store.create_run(make_meta())
        interval = make_interval(T0, "/new", [1000])
        interval.server_timing = timing(random.Random(1), 2)
        store.add_intervals(new, [interval])
        (fresh,) = store.endpoint_data(new).values()
        assert fresh.server_timing == interval.server_timing
    _migrate(store_url, "0004", down=True)  # and back: the column goes, the rest stays
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM intervals")).scalar() == 2
    finally:
        engine.dispose()
