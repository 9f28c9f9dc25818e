"""An open-model run's iterations on a chart's time grid: per second over each step, the
start lag's p95 from the step's merged histograms, gaps left as gaps."""

from __future__ import annotations

import pytest

from swarmdeck.analysis.iterations import IterationPoint, iterations_on_grid
from swarmdeck.metrics.iterations import IterationInterval

T0 = 1_000_000.4  # a run starts within a second


def second(at: int, scheduled: int, started: int, dropped: int = 0,
           lag_us: int = 500) -> IterationInterval:
    interval = IterationInterval(start=at, scheduled=scheduled, started=started,
                                 dropped=dropped)
    for _ in range(started):
        interval.lag.record(lag_us)
    return interval


def test_one_second_steps_follow_the_timeline_s_grid() -> None:
    series = [second(1_000_000, 50, 50), second(1_000_001, 100, 90, 10, lag_us=250_000),
              second(1_000_003, 100, 100)]
    grid = [0.0, 0.6, 1.6, 2.6]  # as the timeline rounds starts: max(start - t0, 0)
    points = iterations_on_grid(series, T0, grid, 1)
    assert points[0] == IterationPoint(50, 50, 0, pytest.approx(0.5, rel=0.01))
    assert points[1] is not None and (points[1].started, points[1].dropped) == (90, 10)
    assert points[1].lag_p95_ms == pytest.approx(250, rel=0.01)
    assert points[2] is None  # nothing stored for that second: a gap, not a zero
    assert points[3] is not None and points[3].scheduled == 100


def test_a_coarser_step_gives_rates_per_second_and_the_step_s_p95() -> None:
    series = [second(1_000_000 + s, 100, 100 if s != 7 else 80, 0 if s != 7 else 20,
                     lag_us=1_000 if s != 7 else 400_000) for s in range(20)]
    points = iterations_on_grid(series, 1_000_000, [0, 10], 10)
    first, last = points
    assert first is not None and last is not None
    assert (first.scheduled, first.started, first.dropped) == (100, 98, 2)
    assert first.lag_p95_ms == pytest.approx(400, rel=0.01)  # 80 of 980 were late: 8%
    assert last.lag_p95_ms == pytest.approx(1.0, rel=0.01) and last.dropped == 0


def test_nothing_started_has_no_lag() -> None:
    points = iterations_on_grid([second(1_000_000, 100, 0, 100)], 1_000_000, [0], 1)
    assert points == [IterationPoint(100, 0, 100, None)]
