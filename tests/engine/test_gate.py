"""The abort gate: checked every second on the intervals the collector received."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from swarmdeck.analysis.thresholds import Threshold, parse
from swarmdeck.engine.collector import Collector
from swarmdeck.engine.gate import Gate
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.store import RunMeta, Store

T0 = 1_700_000_000


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        run_id = store.create_run(RunMeta(
            host="http://127.0.0.1:1", locustfile="l.py", locustfile_sha256="0" * 64, plan={},
            tags={}, users=1, spawn_rate=1.0, run_time_s=10.0, shape=None,
            swarmdeck_version="t", locust_version="t", python_version="t", git_commit=None,
            started_at=datetime.now(UTC), pid=1, hostname="test"))
        yield Collector(store, run_id, clock=lambda: T0 + 100)


def interval(second: int, ms: float, n: int = 10, failures: int = 0,
             name: str = "/a", method: str = "GET") -> EndpointInterval:
    histogram = LatencyHistogram()
    for _ in range(n):
        histogram.record_ms(ms)
    return EndpointInterval(start=T0 + second, method=method, name=name, requests=n,
                            failures=failures, histogram=histogram)


def abort(text: str, endpoint: str | None = None, grace_s: float = 0.0) -> Threshold:
    return parse(text, endpoint, abort=True, grace_s=grace_s)


def test_a_breached_abort_threshold_gives_a_reason(collector: Collector) -> None:
    gate = Gate([abort("p95 < 300ms")])
    collector.add([interval(0, 100), interval(1, 120)])
    assert gate.check(collector, 2.0) is None
    collector.add([interval(2, 2000, n=40)])
    assert gate.check(collector, 42.4) == (
        "threshold p95 < 300ms breached at 42s (observed 2000 ms); "
        "run aborted (abort=true)")


def test_thresholds_without_abort_never_stop_the_run(collector: Collector) -> None:
    gate = Gate([parse("p95 < 1ms"), parse("error_rate < 1%")])
    collector.add([interval(0, 500, failures=10)])
    assert gate.thresholds == []
    assert gate.check(collector, 5.0) is None


def test_grace_period_is_honoured(collector: Collector) -> None:
    gate = Gate([abort("error_rate < 10%", grace_s=10)])
    collector.add([interval(0, 5, failures=10)])
    assert gate.check(collector, 3.0) is None
    collector.add([interval(1, 5)])
    reason = gate.check(collector, 10.0)
    assert reason is not None and "observed 50%" in reason and "grace 10s" in reason


def test_whole_run_threshold_counts_every_interval_seen(collector: Collector) -> None:
    gate = Gate([abort("error_rate < 10%")])
    for second in range(20):
        collector.add([interval(second, 5)])
        assert gate.check(collector, float(second)) is None
    collector.add([interval(20, 5, failures=10)])  # 10 failed of 210 so far: 4.8%
    assert gate.check(collector, 21.0) is None
    collector.add([interval(21, 5, n=20, failures=20)])  # 30 of 230: 13%
    assert "(observed 13.04%)" in (gate.check(collector, 22.0) or "")


def test_windowed_threshold_looks_at_the_latest_window_only(collector: Collector) -> None:
    gate = Gate([abort("p99[5s] < 300ms")])
    collector.add([interval(0, 1000)])  # slow at the start
    assert gate.check(collector, 1.0) is not None  # the window so far is slow
    gate = Gate([abort("p99[5s] < 300ms")])
    gate._seen = collector.intervals_added
    for second in range(1, 10):
        collector.add([interval(second, 50)])
        assert gate.check(collector, float(second)) is None
    collector.add([interval(10, 900, n=200)])
    assert "p99[5s] < 300ms breached" in (gate.check(collector, 11.0) or "")


def test_rps_below_a_floor_aborts(collector: Collector) -> None:
    gate = Gate([abort("rps[3s] >= 5", grace_s=2)])
    for second in range(3):
        collector.add([interval(second, 5, n=10)])
        assert gate.check(collector, float(second + 1)) is None
    for second in range(3, 6):
        collector.add([interval(second, 5, n=1)])
    reason = gate.check(collector, 6.0)
    assert reason is not None and "(observed 1.00)" in reason


def test_endpoint_thresholds_match_name_or_method_and_name(collector: Collector) -> None:
    gate = Gate([abort("p95 < 300ms", endpoint="POST /login"), abort("max < 2s", "/b")])
    collector.add([interval(0, 900, name="/login", method="GET"),
                   interval(0, 100, name="/login", method="POST"),
                   interval(0, 100, name="/b")])
    assert gate.check(collector, 1.0) is None
    collector.add([interval(1, 900, name="/login", method="POST", n=50)])
    reason = gate.check(collector, 2.0)
    assert reason is not None and reason.startswith("threshold p95 < 300ms on POST /login")


def test_no_data_never_aborts(collector: Collector) -> None:
    gate = Gate([abort("p95 < 1ms", "/missing"), abort("error_rate < 1%")])
    assert gate.check(collector, 100.0) is None
    collector.add([interval(0, 5, n=0)])
    assert gate.check(collector, 101.0) is None


def test_from_plan_takes_the_abort_thresholds_and_the_interval() -> None:
    class FakePlan:
        thresholds = (parse("p95 < 1ms"), abort("p95[10s] < 1ms"))
        interval_s = 5.0

    gate = Gate.from_plan(FakePlan())
    assert [str(t) for t in gate.thresholds] == ["p95[10s] < 1ms"]
