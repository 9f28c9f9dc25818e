"""The open model's own cost on the generator, without a network (micro-benchmarks):

1. the recorder's listener per request: the closed model's `Recorder` against the open
   model's `OpenRecorder` (hot path: a 200 of a known name), and the first request of an
   iteration (with `begin_iteration`);
2. the executor: iterations released on schedule and taken by 20 pooled users that do
   nothing else, at rising rates: CPU per iteration (the schedule, the hand-over to a
   user, the counter, the recorder's due time).

    .venv/bin/python bench/open_model.py

Figures: docs/benchmarks.md. A request's own cost (HTTP, Locust's task loop) comes on top
of both and is the same in either model.
"""

from __future__ import annotations

import time

from gevent import monkey

monkey.patch_all()

import gevent
from locust import User, task

from swarmdeck.engine.openmodel.counter import IterationCounter
from swarmdeck.engine.openmodel.executor import ArrivalExecutor
from swarmdeck.engine.openmodel.pool import Slot
from swarmdeck.engine.openmodel.recorder import OpenRecorder
from swarmdeck.engine.recorder import Recorder
from swarmdeck.plan.arrival import ArrivalSchedule

N = 200_000


class Response:
    status_code = 200

    def __init__(self) -> None:
        self.history: list[object] = []
        self.headers: dict[str, str] = {}


def per_request(recorder: Recorder, first: bool = False) -> float:
    """ns per request, the best of 7 rounds of N."""
    response = Response()
    on = recorder.on_request
    on("GET", "/a", 1.0, 10, response=response)  # the name is known: the hot path
    begin = getattr(recorder, "begin_iteration", None)
    now, best = time.time(), []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(N):
            if first and begin is not None:
                begin(now)
            on("GET", "/a", 1.5, 10, response=response, start_time=now)
        best.append((time.perf_counter() - t0) / N * 1e9)
        recorder.take_all()
    return min(best)


class Nobody(User):
    @task
    def nothing(self) -> None:
        pass


class _Runner:
    state = "running"
    user_count = 20

    def spawn_users(self, counts: dict[str, int]) -> None:
        pass


def executor(rate: float, seconds: float = 3.0) -> tuple[float, int, float]:
    """(iterations started per second, dropped, µs of CPU per iteration)."""
    counter = IterationCounter()
    recorder = OpenRecorder()
    run = ArrivalExecutor(ArrivalSchedule.constant(rate, seconds), [Nobody], max_users=20,
                          max_lag_s=1.0, counter=counter, on_iteration=recorder.begin_iteration)
    pool = run.pools["Nobody"]
    run.bind(_Runner())

    def user() -> None:
        pool.join()
        slot = Slot()
        while True:
            pool.take(slot)

    users = [gevent.spawn(user) for _ in range(_Runner.user_count)]
    cpu = time.process_time()
    run.run()
    cpu = time.process_time() - cpu
    gevent.killall(users)
    started = counter.started_total
    return started / seconds, counter.dropped_total, cpu / max(started, 1) * 1e6


def main() -> None:
    per_request(Recorder())  # warm up
    print("recorder listener, ns per request (best of 7 x 200,000)")
    print(f"  closed Recorder, hot path          {per_request(Recorder()):6.0f}")
    print(f"  OpenRecorder, hot path             {per_request(OpenRecorder()):6.0f}")
    print(f"  OpenRecorder, first of an iteration {per_request(OpenRecorder(), True):5.0f}")
    print("executor, 20 users doing nothing, 3 s per rate")
    for rate in (2_000, 5_000, 10_000, 20_000):
        started, dropped, cpu_us = executor(rate)
        print(f"  {rate:6,}/s asked: {started:8,.0f}/s started, {dropped} dropped, "
              f"{cpu_us:4.1f} µs CPU per iteration")


if __name__ == "__main__":
    main()
