"""The collector: hands every interval to its subscribers (the store buffer, the live window,
the abort gate), flushes to the run's writer and through it to a real store, serves the live
window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from swarmdeck.engine.collector import LIVE_WINDOW_S, Collector
from swarmdeck.journal import JournaledWriter
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.store import RunMeta, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


def meta() -> RunMeta:
    return RunMeta(host="http://127.0.0.1:1", locustfile="l.py", locustfile_sha256="0" * 64,
                   plan={}, tags={}, users=1, spawn_rate=1.0, run_time_s=10.0, shape=None,
                   swarmdeck_version="t", locust_version="t", python_version="t",
                   git_commit=None, started_at=datetime.now(UTC), pid=1,
                   hostname="test")


def interval(start: int, values_ms: list[float], region: str = "local") -> EndpointInterval:
    histogram = LatencyHistogram()
    for v in values_ms:
        histogram.record_ms(v)
    return EndpointInterval(start=start, method="GET", name="/a", region=region,
                            requests=len(values_ms), histogram=histogram)


def test_the_same_interval_from_two_sources_is_merged_and_stored_once(store: Store) -> None:
    run_id = store.create_run(meta())
    writer = JournaledWriter(store, run_id)
    collector = Collector(writer, clock=lambda: 1005.0)
    collector.add([interval(1000, [1.0, 2.0]), interval(1000, [3.0])])
    collector.add([interval(1000, [4.0])])  # a late report for the same second
    collector.flush()
    assert writer.drain() and writer.caught_up
    data = store.endpoint_data(run_id)[EndpointKey("GET", "/a")]
    assert data.requests == 4
    assert data.histogram.max_us == 4000
    assert collector.flushed_requests == 4


def test_live_window_covers_the_last_seconds_only(store: Store) -> None:
    now = [1000.0]
    collector = Collector(JournaledWriter(store, store.create_run(meta())),
                          clock=lambda: now[0])
    for second in range(1000, 1030):
        collector.add([interval(second, [float(second - 999)] * 5)])
    now[0] = 1030.0
    live = collector.live()
    assert live.window_s == LIVE_WINDOW_S
    assert live.window.requests == 5 * LIVE_WINDOW_S
    assert live.window.rps == 5.0
    assert live.window.max_ms == 31.0 - 1  # the newest second, 1029, recorded 30 ms
    assert live.requests == 150  # cumulative counts are not windowed


def test_live_window_is_shorter_early_in_a_run(store: Store) -> None:
    now = [1003.0]
    collector = Collector(JournaledWriter(store, store.create_run(meta())),
                          clock=lambda: now[0])
    collector.add([interval(1000, [1.0] * 3), interval(1001, [1.0] * 3),
                   interval(1002, [1.0] * 3)])
    live = collector.live()
    assert live.window_s == 3
    assert live.window.rps == 3.0


def test_a_quiet_run_keeps_only_the_live_window_in_memory(store: Store) -> None:
    """Under -q nothing calls live(): the collector must still forget old intervals, or a
    long run's memory grows with every second."""
    run_id = store.create_run(meta())
    writer = JournaledWriter(store, run_id)
    collector = Collector(writer, clock=lambda: 5000.0)
    for second in range(1000, 4600):
        collector.add([interval(second, [1.0])])
        if second % 100 == 0:
            collector.flush()
            writer.drain()
    assert len(collector.window) <= 2 * LIVE_WINDOW_S + 1
    assert collector.requests == 3600


class Tape:
    """A subscriber that keeps what it was handed."""

    def __init__(self) -> None:
        self.seen: list[EndpointInterval] = []

    def add(self, interval: EndpointInterval) -> None:
        self.seen.append(interval)


def test_every_subscriber_gets_every_interval_once_in_order(store: Store) -> None:
    first, second = Tape(), Tape()
    collector = Collector(JournaledWriter(store, store.create_run(meta())),
                          subscribers=[first], clock=lambda: 1005.0)
    batch = [interval(1000, [1.0]), interval(1000, [2.0], region="eu"), interval(1001, [3.0])]
    collector.add(batch[:2])
    collector.subscribe(second)  # from now on
    collector.add(batch[2:])
    collector.add([])
    assert first.seen == batch
    assert second.seen == batch[2:]
    assert batch[0].requests == 1  # the store buffer merged a copy, not the original


def test_a_late_report_is_stored_but_not_shown_as_recent(store: Store) -> None:
    now = [1100.0]
    run_id = store.create_run(meta())
    writer = JournaledWriter(store, run_id)
    collector = Collector(writer, clock=lambda: now[0])
    collector.add([interval(second, [1.0]) for second in range(1090, 1100)])
    collector.add([interval(1000, [900.0] * 50)])  # a worker's report for a second long gone
    live = collector.live()
    assert live.window.requests == 10 and live.window.max_ms == 1.0
    assert live.requests == 60  # counted in the cumulative numbers
    collector.flush()
    writer.drain()
    assert store.endpoint_data(run_id)[EndpointKey("GET", "/a")].requests == 60
