"""What saturated first in a capacity search (pure): the monitored series with a limit, read
over each step's judged seconds in the order of the steps' rates."""

from __future__ import annotations

from swarmdeck.analysis.saturation import saturation
from swarmdeck.records import CapacityStep
from swarmdeck.records.monitors import MonitorSeries


def step(rate: float, start: float, passed: bool = True) -> CapacityStep:
    """A 10 s step judged on its seconds 2 to 10."""
    return CapacityStep(rate=rate, start_s=start, end_s=start + 10, judged_from_s=start + 2,
                        judged_to_s=start + 10, passed=passed, requests=500,
                        achieved_rate=rate, p50_ms=10.0, p95_ms=20.0, error_rate=0.0)


def series(name: str, by_step: list[float], unit: str = "%",
           source: str = "statsd://127.0.0.1:8125") -> MonitorSeries:
    """One value per second, the same through each 10 s step (in run order)."""
    return MonitorSeries(name, source, unit, tuple(
        (float(10 * i + t), v) for i, v in enumerate(by_step) for t in range(10)))


# a search: 50, 100, 200 (fails), 150, 175 (fails), 150 confirmed
STEPS = (step(50, 0), step(100, 10), step(200, 20, False), step(150, 30), step(175, 40, False),
         step(150, 50))


def test_the_series_that_reached_its_limit_at_the_lowest_rate_saturated_first() -> None:
    found = saturation([
        series("gunicorn.utilization", [30, 60, 100, 82, 99, 83]),
        series("cpu", [20, 40, 95, 70, 91, 72], source="process:123"),
        series("rss", [1e8] * 6, unit="B"),  # no limit: not watched
    ], STEPS)
    # the workers were 80% busy at 150/s (the 4th step, lower than 200/s run before it);
    # the CPU only at 175/s
    assert [(s.series, s.reached, s.rate, s.step) for s in found] == [
        ("gunicorn.utilization", True, 150, 3), ("cpu", True, 175, 4)]
    assert (found[0].value, found[0].limit) == (82, 80)


def test_database_connections_against_max_connections() -> None:
    found = saturation([
        series("db.pg.connections", [10, 20, 95, 60, 92, 60], unit="", source="postgresql://"),
        series("db.pg.max_connections", [100] * 6, unit="", source="postgresql://"),
        series("gunicorn.utilization", [30, 60, 100, 70, 90, 75]),
    ], STEPS)
    # both reached their limit at 175/s: first the one further past it (the workers, 90 of
    # 80, against the connections' 92 of 90)
    assert [(s.series, s.rate) for s in found] == [("gunicorn.utilization", 175),
                                                   ("db.pg.connections", 175)]
    assert found[1].limit == 90 and "max_connections 100" in found[1].what


def test_none_reached_names_the_closest_and_without_monitors_says_nothing() -> None:
    found = saturation([series("cpu", [10, 20, 60, 40, 50, 41], source="process:1"),
                        series("host.cpu", [5, 10, 30, 20, 25, 21], source="agent://h:1")],
                       STEPS)
    assert [(s.series, s.reached, s.rate) for s in found] == [("cpu", False, 200),
                                                             ("host.cpu", False, 200)]
    assert found[1].what.startswith("the host's CPU")  # not taken for the process's
    assert saturation([], STEPS) == ()
