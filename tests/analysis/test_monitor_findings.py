"""Findings from the target's monitor series: what ran out when latency rose, kept apart
from the load generator's own saturation."""

from __future__ import annotations

from swarmdeck.analysis.findings import FindingInputs, find
from swarmdeck.analysis.knee import Step
from swarmdeck.analysis.monitor_findings import monitor_findings
from swarmdeck.analysis.outages import SecondSeries
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.records.monitors import MonitorSeries

T0 = 1_700_000_000


def series(name: str, values: list[float], unit: str = "%") -> MonitorSeries:
    return MonitorSeries(name, "process:1", unit, tuple((float(t), v)
                                                        for t, v in enumerate(values)))


def steps(p95_ms: list[float]) -> list[Step]:
    out = []
    for t, ms in enumerate(p95_ms):
        h = LatencyHistogram()
        for _ in range(20):
            h.record_ms(ms)
        out.append(Step(start=T0 + t, seconds=1, users=10, requests=20, histogram=h))
    return out


# 20 s: calm, then 10 s where latency rose, then calm again
LATENCY = [20.0] * 5 + [200.0] * 10 + [20.0] * 5
BUSY = [30.0] * 5 + [97.0] * 10 + [30.0] * 5


def codes(found: list[object]) -> list[str]:
    return [f.code for f in found]  # type: ignore[attr-defined]


def test_workers_saturated_while_latency_rose_and_the_cpu_was_not() -> None:
    (finding,) = monitor_findings([series("gunicorn.utilization", BUSY),
                                   series("cpu", [20.0] * 20)], steps(LATENCY), T0)
    assert finding.code == "workers-saturated"
    assert finding.evidence["hot_s"] == 10 and finding.evidence["p95_hot_ms"] > 150
    assert finding.evidence["cpu_saturated"] is False and "gthread" in finding.fix
    assert "between 5 s and 15 s" in finding.message


def test_a_cpu_bound_server_is_named_and_so_are_its_saturated_workers() -> None:
    found = monitor_findings([series("gunicorn.utilization", BUSY), series("cpu", BUSY)],
                             steps(LATENCY), T0)
    assert codes(found) == ["server-cpu-bound", "workers-saturated"]
    assert found[1].evidence["cpu_saturated"] is True


def test_busy_without_a_latency_rise_is_no_finding() -> None:
    assert monitor_findings([series("cpu", BUSY)], steps([20.0] * 20), T0) == []
    short = [30.0] * 17 + [97.0] * 3  # three hot seconds are not enough
    assert monitor_findings([series("cpu", short)], steps([20.0] * 17 + [300.0] * 3), T0) == []


def test_saturated_throughout_says_so() -> None:
    (finding,) = monitor_findings([series("cpu", [95.0] * 20)], steps([300.0] * 20), T0)
    assert "throughout the run" in finding.message and finding.evidence["p95_other_ms"] is None


def test_db_connections_near_max_connections() -> None:
    found = monitor_findings([series("pg.connections", [50.0] * 5 + [99.0] * 4, ""),
                              series("pg.max_connections", [100.0] * 9, "")], [], T0)
    assert codes(found) == ["db-connections-exhausted"] and found[0].severity == "error"
    assert monitor_findings([series("pg.connections", [80.0] * 9, ""),
                             series("pg.max_connections", [100.0] * 9, "")], [], T0) == []


def test_worker_restarts_are_counted_with_their_times() -> None:
    (finding,) = monitor_findings([series("worker_restarts", [0, 0, 0, 1, 1, 1, 2], "")],
                                  [], T0)
    assert finding.evidence["restarts"] == 2 and finding.evidence["at_s"] == [3.0, 6.0]
    assert monitor_findings([series("worker_restarts", [0, 0, 0], "")], [], T0) == []


def test_memory_growth_has_its_rate_per_hour() -> None:
    grows = [100e6 + 200_000 * t for t in range(120)]  # 200 kB/s: 720 MB per hour
    (finding,) = monitor_findings([series("rss", grows, "B")], [], T0)
    assert finding.code == "memory-growth"
    assert abs(finding.evidence["bytes_per_hour"] - 720e6) < 1e6
    assert "720 MB per hour" in finding.message
    flat = [100e6 + (t % 7) * 1e5 for t in range(120)]
    assert monitor_findings([series("rss", flat, "B")], [], T0) == []
    # per-worker series are not the tree's
    assert monitor_findings([series("worker.12.rss", grows, "B")], [], T0) == []


def test_the_run_s_findings_include_the_server_s_and_keep_the_generator_s_apart() -> None:
    inputs = FindingInputs(steps=steps(LATENCY), series=SecondSeries(started_at=T0),
                           monitors=[series("gunicorn.utilization", BUSY)])
    assert "workers-saturated" in codes(find(inputs))
    assert "generator-saturated" not in codes(find(inputs))
