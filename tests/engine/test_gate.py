"""The abort gate: a subscriber of the collector, checked every second on what it received."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from swarmdeck.analysis.thresholds import Threshold, parse
from swarmdeck.engine.collector import LIVE_WINDOW_S, Collector
from swarmdeck.engine.gate import Gate
from swarmdeck.journal import JournaledWriter
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
        yield Collector(JournaledWriter(store, run_id), clock=lambda: T0 + 100)


def interval(second: int, ms: float, n: int = 10, failures: int = 0,
             name: str = "/a", method: str = "GET") -> EndpointInterval:
    histogram = LatencyHistogram()
    for _ in range(n):
        histogram.record_ms(ms)
    return EndpointInterval(start=T0 + second, method=method, name=name, requests=n,
                            failures=failures, histogram=histogram)


def abort(text: str, endpoint: str | None = None, grace_s: float = 0.0) -> Threshold:
    return parse(text, endpoint, abort=True, grace_s=grace_s)


def gate_on(collector: Collector, *thresholds: Threshold) -> Gate:
    """A gate as the run has one: subscribed to the collector."""
    gate = Gate(thresholds)
    collector.subscribe(gate)
    return gate


def test_a_breached_abort_threshold_gives_a_reason(collector: Collector) -> None:
    gate = gate_on(collector, abort("p95 < 300ms"))
    collector.add([interval(0, 100), interval(1, 120)])
    assert gate.check(2.0) is None
    collector.add([interval(2, 2000, n=40)])
    assert gate.check(42.4) == (
        "threshold p95 < 300ms breached at 42s (observed 2000 ms); "
        "run aborted (abort=true)")


def test_thresholds_without_abort_never_stop_the_run(collector: Collector) -> None:
    gate = gate_on(collector, parse("p95 < 1ms"), parse("error_rate < 1%"))
    collector.add([interval(0, 500, failures=10)])
    assert gate.thresholds == []
    assert gate.check(5.0) is None


def test_grace_period_is_honoured(collector: Collector) -> None:
    gate = gate_on(collector, abort("error_rate < 10%", grace_s=10))
    collector.add([interval(0, 5, failures=10)])
    assert gate.check(3.0) is None
    collector.add([interval(1, 5)])
    reason = gate.check(10.0)
    assert reason is not None and "observed 50%" in reason and "grace 10s" in reason


def test_whole_run_threshold_counts_every_interval_seen(collector: Collector) -> None:
    gate = gate_on(collector, abort("error_rate < 10%"))
    for second in range(20):
        collector.add([interval(second, 5)])
        assert gate.check(float(second)) is None
    collector.add([interval(20, 5, failures=10)])  # 10 failed of 210 so far: 4.8%
    assert gate.check(21.0) is None
    collector.add([interval(21, 5, n=20, failures=20)])  # 30 of 230: 13%
    assert "(observed 13.04%)" in (gate.check(22.0) or "")


def test_windowed_threshold_looks_at_the_latest_window_only(collector: Collector) -> None:
    gate = gate_on(collector, abort("p99[5s] < 300ms"))
    collector.add([interval(0, 1000)])  # slow at the start
    assert gate.check(1.0) is not None  # the window so far is slow
    gate = gate_on(collector, abort("p99[5s] < 300ms"))  # sees what arrives from now on
    for second in range(1, 10):
        collector.add([interval(second, 50)])
        assert gate.check(float(second)) is None
    collector.add([interval(10, 900, n=200)])
    assert "p99[5s] < 300ms breached" in (gate.check(11.0) or "")


def test_the_gate_sees_every_interval_however_many_arrive_at_once(
        collector: Collector) -> None:
    """Many more intervals at once than the live window keeps (a burst of worker reports
    after a stall), then a report for a second long gone: the gate counts all of them."""
    gate = gate_on(collector, abort("error_rate < 10%"))
    seconds = 6 * LIVE_WINDOW_S
    collector.add([interval(s, 5, failures=10 if s < seconds // 2 else 0)
                   for s in range(seconds)])  # the first half failed
    assert len(collector.window) < seconds  # the live window kept only the newest
    assert "(observed 50%)" in (gate.check(float(seconds)) or "")

    gate = gate_on(collector, abort("error_rate < 10%"))
    collector.add([interval(s, 5) for s in range(seconds, 2 * seconds)])
    assert gate.check(float(2 * seconds)) is None
    collector.add([interval(1, 5, n=100, failures=100)])  # a late report, second 1
    assert "(observed 14.29%)" in (gate.check(float(2 * seconds)) or "")


def test_rps_below_a_floor_aborts(collector: Collector) -> None:
    gate = gate_on(collector, abort("rps[3s] >= 5", grace_s=2))
    for second in range(3):
        collector.add([interval(second, 5, n=10)])
        assert gate.check(float(second + 1)) is None
    for second in range(3, 6):
        collector.add([interval(second, 5, n=1)])
    reason = gate.check(6.0)
    assert reason is not None and "(observed 1.00)" in reason


def test_endpoint_thresholds_match_name_or_method_and_name(collector: Collector) -> None:
    gate = gate_on(collector, abort("p95 < 300ms", endpoint="POST /login"),
                   abort("max < 2s", "/b"))
    collector.add([interval(0, 900, name="/login", method="GET"),
                   interval(0, 100, name="/login", method="POST"),
                   interval(0, 100, name="/b")])
    assert gate.check(1.0) is None
    collector.add([interval(1, 900, name="/login", method="POST", n=50)])
    reason = gate.check(2.0)
    assert reason is not None and reason.startswith("threshold p95 < 300ms on POST /login")


def test_no_data_never_aborts(collector: Collector) -> None:
    gate = gate_on(collector, abort("p95 < 1ms", "/missing"), abort("error_rate < 1%"))
    assert gate.check(100.0) is None
    collector.add([interval(0, 5, n=0)])
    assert gate.check(101.0) is None


def test_from_plan_takes_the_abort_thresholds_and_the_interval() -> None:
    class FakePlan:
        thresholds = (parse("p95 < 1ms"), abort("p95[10s] < 1ms"))
        interval_s = 5.0

    gate = Gate.from_plan(FakePlan())
    assert [str(t) for t in gate.thresholds] == ["p95[10s] < 1ms"]


def test_abort_thresholds_read_successes_and_failures_apart(collector: Collector) -> None:
    """Timeouts at 30 s do not breach p95 (of the successes); failed.p95 sees them."""
    latency = gate_on(collector, abort("p95 < 300ms"), abort("p95[5s] < 300ms"))
    failed = gate_on(collector, abort("failed.p95[5s] < 5s"))
    for second in range(5):
        timeouts = LatencyHistogram()
        timeouts.record_ms(30_000.0)
        ok = interval(second, 20, n=9)
        ok.requests, ok.failures, ok.failed_histogram = 10, 1, timeouts
        collector.add([ok])
    assert latency.check(5.0) is None
    assert "failed.p95[5s] < 5000ms breached at 5s (observed 30000 ms)" in (
        failed.check(5.0) or "")
