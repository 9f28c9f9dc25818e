"""What saturated first, from what the server said (pure): requests queued for a worker
(the time in front of the app rising while the app's own stays flat) and the database
(db's share of the app's time rising), read over a capacity search's steps like the
monitors' series."""

from __future__ import annotations

import pytest
from tests.analysis.test_saturation import STEPS, series

from swarmdeck.analysis.saturation import saturation
from swarmdeck.analysis.server_saturation import StepTiming, step_timing
from swarmdeck.metrics.server_timing import ServerTiming

# STEPS: 50, 100, 200 (fails), 150, 175 (fails), 150 confirmed


def timing(client: float, app: float, *, queue: float | None = None,
           db: float | None = None, n: int = 40) -> StepTiming | None:
    """``n`` responses of one step, each the same."""
    parts = [f"app;dur={app}"] + ([f"queue;dur={queue}"] if queue is not None else []) + (
        [f'db;dur={db};desc="5 queries"'] if db is not None else [])
    header = ", ".join(parts)
    st = ServerTiming()
    st.add_headers([header] * n, client * n)
    return step_timing([st])


def test_the_queue_metric_rising_while_the_app_stays_flat_is_a_worker_queue() -> None:
    timings = [timing(22, 20, queue=1), timing(23, 20, queue=2), timing(120, 21, queue=95),
               timing(52, 20, queue=30), timing(90, 22, queue=66), timing(50, 20, queue=29)]
    found = saturation([], STEPS, timings)
    first = found[0]
    # at 150/s (lower than 200/s, run before it) the queue was 30 ms, past max(10 ms, 3x the
    # 1 ms at 50/s, the app's own 20 ms)
    assert (first.series, first.reached, first.rate, first.step) == (
        "server-timing.queue", True, 150, 3)
    assert (first.value, first.limit, first.unit, first.source) == (30, 20, "ms",
                                                                   "Server-Timing")
    assert "queued for a worker" in first.what


def test_without_a_queue_metric_the_time_in_front_is_the_client_s_minus_the_app_s() -> None:
    timings = [timing(22, 20), timing(23, 20), timing(120, 21), timing(26, 20),
               timing(90, 22), timing(25, 20)]
    first = saturation([], STEPS, timings)[0]
    assert (first.series, first.reached, first.rate) == ("server-timing.wait", True, 175)
    assert first.value == pytest.approx(68, abs=0.2)


def test_a_wait_shorter_than_the_app_s_own_time_is_not_a_queue_for_a_worker() -> None:
    # the wait grew (2 ms to 50), but the app's own time grew more (20 to 60 ms): requests
    # did not wait for a worker as long as a worker took
    timings = [timing(22, 20), timing(40, 30), timing(110, 60), timing(100, 60),
               timing(105, 60), timing(100, 60)]
    found = saturation([], STEPS, timings)
    assert not any(s.reached for s in found)
    assert (found[0].series, found[0].rate, found[0].value, found[0].limit) == (
        "server-timing.wait", 200, 50, 60)
    # twice as long as the app took: a queue for a worker, whatever the app did
    timings[4] = timing(180, 60)
    first = saturation([], STEPS, timings)[0]
    assert (first.reached, first.rate) == (True, 175)


def test_the_database_s_share_rising_names_the_database() -> None:
    # db 5 of 20 ms (25%) at 50/s; at 150/s 9 of 24 (37.5%); at 175/s 24 of 36 ms (67%):
    # its share rose 42 points and its time 5x while the rest of the app held at 12-15 ms
    timings = [timing(21, 20, db=5), timing(21, 20, db=6), timing(45, 40, db=30),
               timing(25, 24, db=9), timing(41, 36, db=24), timing(25, 24, db=9)]
    found = saturation([], STEPS, timings)
    db = next(s for s in found if s.series == "server-timing.db")
    assert (db.reached, db.rate, db.step, db.unit) == (True, 175, 4, "%")
    assert db.value == pytest.approx(66.7, abs=0.1) and db.limit == 40
    assert "database" in db.what


def test_server_timing_and_monitors_are_ordered_together_by_rate() -> None:
    timings = [timing(22, 20, queue=1), timing(23, 20, queue=2), timing(120, 21, queue=95),
               timing(52, 20, queue=30), timing(90, 22, queue=66), timing(50, 20, queue=29)]
    found = saturation([series("gunicorn.utilization", [30, 60, 100, 70, 90, 75])], STEPS,
                       timings)
    assert [(s.series, s.rate) for s in found if s.reached] == [
        ("server-timing.queue", 150), ("gunicorn.utilization", 175)]


def test_too_few_responses_or_no_header_say_nothing() -> None:
    few = [timing(22, 20, queue=1, n=5), timing(90, 20, queue=70, n=5)] * 3
    assert saturation([], STEPS, few) == ()
    assert saturation([], STEPS, [None] * 6) == ()
    assert saturation([], STEPS) == ()
    assert step_timing([]) is None and step_timing([ServerTiming()]) is None
