"""The open model's parts without a network: the pool (hand-over, backlog, drops, growth),
the iteration counter, and the recorder that counts from the due time."""

from __future__ import annotations

from typing import Any

import gevent
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.engine.openmodel.counter import IterationCounter
from swarmdeck.engine.openmodel.pool import Pool, Slot
from swarmdeck.engine.openmodel.recorder import OpenRecorder
from swarmdeck.engine.recorder import Recorder
from swarmdeck.metrics.iterations import IterationInterval


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def pool_of(clock: Clock, *, max_users: int = 2, max_lag_s: float = 1.0) -> tuple[Pool, list[str]]:
    grown: list[str] = []
    pool = Pool("Visitor", max_users=max_users, max_lag_s=max_lag_s,
                counter=IterationCounter(clock=clock), grow=lambda name, n: grown.extend([name] * n), clock=clock)
    return pool, grown


def test_an_idle_user_takes_the_iteration_at_once() -> None:
    clock = Clock(100.0)
    pool, grown = pool_of(clock)
    pool.join()
    taken: list[float] = []
    worker = gevent.spawn(lambda: taken.append(pool.take(Slot())))
    gevent.sleep(0)
    assert len(pool.idle) == 1
    pool.release(100.0)
    worker.join(timeout=1)
    assert taken == [100.0] and grown == [] and not pool.backlog
    assert pool.counter.started_total == 1


def test_without_a_free_user_the_pool_grows_and_the_iteration_waits_then_is_late() -> None:
    clock = Clock(100.0)
    pool, grown = pool_of(clock, max_users=2)
    pool.release(100.0)
    assert grown == ["Visitor"] and list(pool.backlog) == [100.0]
    pool.join()  # the new user arrives 0.3 s later, and takes the oldest iteration
    clock.now = 100.3
    assert pool.take(Slot()) == 100.0
    lag = pool.counter.take_all()[0].lag
    assert lag.max_us == 300_000


def test_an_iteration_waiting_longer_than_max_lag_is_dropped() -> None:
    clock = Clock(100.0)
    pool, grown = pool_of(clock, max_users=1, max_lag_s=0.5)
    pool.join()
    for due in (100.0, 100.2, 100.4):  # the one user is busy: all three wait
        clock.now = due
        pool.release(due)
    assert grown == [] and len(pool.backlog) == 3
    clock.now = 100.75  # the first two have waited more than 0.5 s
    assert pool.take(Slot()) == 100.4
    counted = pool.counter
    assert (counted.scheduled_total, counted.started_total, counted.dropped_total) == (3, 1, 2)


def test_max_lag_0_drops_at_once_as_k6_does() -> None:
    clock = Clock(100.0)
    pool, grown = pool_of(clock, max_users=1, max_lag_s=0.0)
    pool.release(100.0)
    assert grown == ["Visitor"] and not pool.backlog  # asked for a user, dropped this one
    assert pool.counter.dropped_total == 1


def test_what_waits_when_the_schedule_ends_is_dropped() -> None:
    clock = Clock(100.0)
    pool, _ = pool_of(clock, max_users=0)
    pool.release(100.0)
    pool.release(100.1)
    pool.close()
    pool.release(100.2)
    counted = pool.counter
    assert (counted.scheduled_total, counted.started_total, counted.dropped_total) == (3, 0, 3)


def test_a_user_stopped_while_idle_leaves_the_pool() -> None:
    clock = Clock(100.0)
    pool, _ = pool_of(clock)
    pool.join()
    worker = gevent.spawn(pool.take, Slot())
    gevent.sleep(0)
    worker.kill()
    assert not pool.idle
    pool.release(100.0)  # nobody idle: it waits instead of vanishing with the dead user
    assert list(pool.backlog) == [100.0]


@settings(max_examples=60, deadline=None)
@given(events=st.lists(st.tuples(st.sampled_from(["release", "take", "tick"]),
                                 st.floats(min_value=0.0, max_value=0.7)), max_size=40),
       max_lag=st.sampled_from([0.0, 0.25, 1.0]))
def test_every_iteration_is_started_or_dropped_exactly_once(
        events: list[tuple[str, float]], max_lag: float) -> None:
    clock = Clock(100.0)
    pool, _ = pool_of(clock, max_users=3, max_lag_s=max_lag)
    for _ in range(3):
        pool.join()
    for kind, step in events:
        clock.now += step
        if kind == "release":
            pool.release(clock.now)
        else:
            pool.expire()
            if kind == "take" and pool.backlog:
                pool.take(Slot())
    pool.close()
    counted = pool.counter
    assert counted.scheduled_total == counted.started_total + counted.dropped_total
    slices = counted.take_all()
    assert sum(s.scheduled for s in slices) == counted.scheduled_total
    assert sum(s.lag.count for s in slices) == counted.started_total


def test_the_counter_hands_out_each_second_once() -> None:
    clock = Clock(10.2)
    counter = IterationCounter(clock=clock)
    counter.scheduled()
    counter.started(10.0, 10.25)
    clock.now = 11.5
    counter.dropped(2)
    closed = counter.take_closed()
    assert [(c.start, c.scheduled, c.started, c.dropped) for c in closed] == [(10, 1, 1, 0)]
    assert closed[0].lag.max_us == 250_000
    assert [(c.start, c.dropped) for c in counter.take_all()] == [(11, 2)]


def test_iteration_intervals_merge_and_travel_exactly() -> None:
    one = IterationInterval(start=5, region="eu", scheduled=3, started=2, dropped=1)
    one.lag.record(1500)
    two = IterationInterval.from_wire(one.to_wire())
    assert two == one
    two.merge(one)
    assert (two.scheduled, two.started, two.dropped, two.lag.count) == (6, 4, 2, 2)


# -- the recorder: from the due time, and as Locust measured -------------------------------

class Response:
    status_code = 200

    def __init__(self) -> None:
        self.history: list[Any] = []
        self.headers: dict[str, str] = {}


def test_the_first_request_of_an_iteration_counts_from_when_it_was_due() -> None:
    clock = Clock(1000.5)
    recorder = OpenRecorder(clock=clock)
    recorder.begin_iteration(1000.1)  # due 400 ms before it was sent
    recorder.on_request("GET", "/", 5.0, 2, response=Response(), start_time=1000.5)
    recorder.on_request("GET", "/", 7.0, 2, response=Response(), start_time=1000.51)
    (interval,) = recorder.take_all()
    assert interval.requests == 2
    assert (interval.histogram.min_us, interval.histogram.max_us) == (7_000, 405_000)
    service = interval.service_histogram
    assert service is not None
    assert (service.count, service.min_us, service.max_us) == (2, 5_000, 7_000)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(min_value=0.0, max_value=0.6),  # clock step
                          st.floats(min_value=0.1, max_value=900.0),  # response time
                          st.booleans(),  # the first of an iteration
                          st.booleans()),  # failed
                min_size=1, max_size=60))
def test_the_hot_path_and_the_full_path_record_the_same(
        requests: list[tuple[float, float, bool, bool]]) -> None:
    """Batched or not, each success is in both histograms, failures in the failed one."""
    clock = Clock(500.0)
    recorder = OpenRecorder(clock=clock)
    plain = Recorder(clock=clock)  # the closed model's view of the same requests
    for step, rt, first, failed in requests:
        clock.now += step
        if first:
            recorder.begin_iteration(clock.now - 0.05)
        exception = RuntimeError("x") if failed else None
        for target in (recorder, plain):
            target.on_request("GET", "/a", rt, 1, response=Response(), exception=exception,
                              start_time=clock.now - rt / 1000)
    opened = {i.start: i for i in recorder.take_all()}
    closed = {i.start: i for i in plain.take_all()}
    assert opened.keys() == closed.keys()
    for start, mine in opened.items():
        theirs = closed[start]
        assert mine.requests == theirs.requests and mine.failures == theirs.failures
        assert mine.histogram.count == mine.requests - mine.failures
        assert mine.service == theirs.histogram  # the service time: exactly Locust's
        assert mine.histogram.max_us >= theirs.histogram.max_us


def test_an_interval_with_a_service_histogram_merges_exactly() -> None:
    clock = Clock(10.0)
    recorder = OpenRecorder(clock=clock)
    recorder.begin_iteration(9.9)
    recorder.on_request("GET", "/", 1.0, 1, response=Response(), start_time=10.0)
    (opened,) = recorder.take_all()
    plain = Recorder(clock=clock)
    plain.on_request("GET", "/", 3.0, 1, response=Response())
    (closed,) = plain.take_all()
    closed.merge(opened)  # a side without one: its service time is its histogram
    assert closed.service_histogram is not None
    assert (closed.service_histogram.count, closed.service_histogram.max_us) == (2, 3_000)
    assert closed.histogram.max_us == 101_000
    wire = type(closed).from_wire(closed.to_wire())
    assert wire.service_histogram == closed.service_histogram


@pytest.mark.parametrize("due_after_send", [True, False])
def test_an_iteration_started_early_is_not_made_faster(due_after_send: bool) -> None:
    clock = Clock(20.0)
    recorder = OpenRecorder(clock=clock)
    recorder.begin_iteration(20.001 if due_after_send else 19.9)
    recorder.on_request("GET", "/", 4.0, 1, response=Response(), start_time=20.0)
    (interval,) = recorder.take_all()
    assert interval.histogram.max_us == (4_000 if due_after_send else 104_000)


def test_iterations_go_to_each_user_class_by_its_weight_one_by_one_as_the_rule_says() -> None:
    from locust import User, task

    from swarmdeck.engine.openmodel.executor import _GOLDEN, ArrivalExecutor
    from swarmdeck.plan.arrival import ArrivalSchedule

    class Reader(User):
        weight = 3

        @task
        def read(self) -> None:
            pass

    class Writer(User):
        weight = 1

        @task
        def write(self) -> None:
            pass

    class Runner:
        def spawn_users(self, counts: dict[str, int]) -> None:
            pass

    schedule = ArrivalSchedule.constant(400.0, 5.0)  # 2,000 iterations, all due long ago
    executor = ArrivalExecutor(schedule, [Reader, Writer], max_users=2, max_lag_s=1e9,
                               counter=IterationCounter(clock=lambda: 1000.0),
                               clock=lambda: 1000.0)
    executor.bind(Runner())
    executor._release(schedule, 0.0)
    got = {name: list(pool.backlog) for name, pool in executor.pools.items()}
    expected: dict[str, list[float]] = {"Reader": [], "Writer": []}
    for k, due in schedule.times():
        expected["Reader" if (k * _GOLDEN + 0.5) % 1.0 < 0.75 else "Writer"].append(due)
    assert got == expected
    assert abs(len(got["Reader"]) - 1500) <= 2 and executor.counter.scheduled_total == 2000


@given(st.lists(st.tuples(st.sampled_from(["start", "hand out", "hand out all"]),
                          st.floats(0.0, 0.7)),
                max_size=60))
@settings(max_examples=150, deadline=None)
def test_each_start_is_counted_once_in_the_second_it_happened(
        events: list[tuple[str, float]]) -> None:
    clock = Clock(100.0)
    counter = IterationCounter(clock=clock)
    expected: dict[int, int] = {}
    handed: list[IterationInterval] = []
    for kind, step in events:
        clock.now += step
        if kind == "start":
            counter.started(clock.now - 0.01, clock.now)
            expected[int(clock.now)] = expected.get(int(clock.now), 0) + 1
        elif kind == "hand out":
            handed += counter.take_closed()
        else:
            handed += counter.take_all()
    handed += counter.take_all()
    got: dict[int, int] = {}
    for interval in handed:
        assert interval.lag.count == interval.started
        got[interval.start] = got.get(interval.start, 0) + interval.started
    assert {s: n for s, n in got.items() if n} == expected


def test_while_every_user_has_an_iteration_waiting_the_executor_releases_in_batches() -> None:
    """Behind a backlog, what falls due waits anyway: the executor wakes every 10 ms
    instead of at each iteration's time, and still releases each one, in order."""
    import time

    from locust import User, task

    from swarmdeck.engine.openmodel.executor import ArrivalExecutor
    from swarmdeck.plan.arrival import ArrivalSchedule

    class Visitor(User):
        @task
        def visit(self) -> None:
            pass

    class Runner:
        def spawn_users(self, counts: dict[str, int]) -> None:
            pass

    schedule = ArrivalSchedule.constant(1000.0, 0.2)  # one every ms
    executor = ArrivalExecutor(schedule, [Visitor], max_users=1, max_lag_s=60.0,
                               counter=IterationCounter())
    executor.bind(Runner())
    pool = executor.pools["Visitor"]
    pool.join()  # one user, busy: every iteration waits in the backlog
    batches: list[int] = []
    release_many = pool.release_many

    def counted(dues: list[float]) -> None:
        batches.append(len(dues))
        release_many(dues)

    pool.release_many = counted  # type: ignore[method-assign]
    start = time.time()
    executor._release(schedule, start)
    assert sum(batches) == 200 and pool.counter.scheduled_total == 200
    assert list(pool.backlog) == [start + t for _, t in schedule.times()]
    assert len(batches) <= 40, batches  # at each iteration's time it would be ~100 wake-ups
