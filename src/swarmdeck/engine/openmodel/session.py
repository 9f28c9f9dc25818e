"""An open-model run's parts, wired for the engine: on a load-generating process (a local
run, or a worker) the executor and its pools, the recorder that counts from the due time and
the iteration counter (`OpenModelRun`); on the process that stores the run (a local run, or
the master) the path of the iteration counts to the store and the live view (`IterationLog`).

A distributed run splits the schedule over its workers: worker ``index`` of ``count`` takes
the iterations ``k % count == index`` (plan/arrival.py) and its share of ``--max-users``;
the master sends each worker its part in the welcome (``orders``), the workers report their
iteration counts with Locust's worker reports (``REPORT_KEY``) and say when their schedule
is over (``DONE``).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import gevent
from locust import User

from swarmdeck.analysis.iterations import IterationSummary, summarize_iterations
from swarmdeck.engine.collector import LIVE_WINDOW_S
from swarmdeck.engine.openmodel.counter import IterationCounter
from swarmdeck.engine.openmodel.executor import READY_TIMEOUT_S, ArrivalExecutor
from swarmdeck.engine.openmodel.recorder import OpenRecorder
from swarmdeck.errors import CouldNotRun
from swarmdeck.metrics.iterations import IterationInterval
from swarmdeck.plan import Plan
from swarmdeck.plan.arrival import ArrivalSchedule, schedule_of
from swarmdeck.records import OpenModelRecord
from swarmdeck.store import Store

SPAWN_WARNING = "Your selected spawn rate is very high"
REPORT_KEY = "swarmdeck_iterations"  # in Locust's worker reports, beside the intervals
ORDERS_KEY = "open_model"  # in the welcome: this worker's part of the schedule
DONE = "swarmdeck_open_done"  # a worker's schedule is over


log = logging.getLogger(__name__)


class _QuietSpawnRate(logging.Filter):
    """The first users start at once (as k6's pre-allocated VUs): Locust's warning about a
    spawn rate above 100/s does not apply."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(SPAWN_WARNING)


def share(total: int, index: int, count: int) -> int:
    """Generator ``index``'s share of ``total`` (the first ones take the remainder)."""
    return total // count + (1 if index < total % count else 0)


def orders(plan: Plan, index: int, count: int) -> dict[str, Any]:
    """What the master tells worker ``index`` of ``count`` (plain types: msgpack)."""
    schedule = plan.schedule
    assert schedule is not None
    most = plan.pool()[1]
    return {"schedule": schedule.to_dict(), "index": index, "count": count,
            "max_users": max(1, share(most, index, count)), "max_lag_s": plan.max_lag_s}


class IterationLog:
    """The iteration counts on their way to the store and the live view (the process that
    stores the run): pending until the next flush, the last seconds for the live view."""

    def __init__(self, schedule: ArrivalSchedule, clock: Callable[[], float] = time.time) -> None:
        self.schedule = schedule
        self.clock = clock
        self.started_at: float | None = None  # when the schedule started (epoch s)
        # the target rate at a time into the schedule (a capacity search: its current step's)
        self.rate_at: Callable[[float], float] = schedule.rate_at
        self.on_add: Callable[[list[IterationInterval]], None] = lambda intervals: None
        self._pending: list[IterationInterval] = []
        self._recent: deque[IterationInterval] = deque()

    def add(self, intervals: list[IterationInterval]) -> None:
        if intervals and self.started_at is None:
            self.started_at = min(i.start for i in intervals)
        self.on_add(intervals)
        self._pending.extend(intervals)
        self._recent.extend(intervals)
        horizon = int(self.clock()) - 2 * LIVE_WINDOW_S
        while self._recent and self._recent[0].start < horizon:
            self._recent.popleft()

    def receive(self, report: Mapping[str, Any]) -> list[IterationInterval]:
        """A worker's report or final flush; what it held."""
        wire = report.get(REPORT_KEY)
        intervals = [IterationInterval.from_wire(i) for i in wire] if wire else []
        if intervals:
            self.add(intervals)
        return intervals

    def flush(self, store: Store, run_id: int) -> None:
        """Store the iterations counted so far; kept for the next flush when the store does
        not answer (the run goes on: the intervals' journal says so)."""
        pending, self._pending = self._pending, []
        if pending:
            try:
                store.add_iterations(run_id, pending)
            except CouldNotRun as exc:  # a StoreError
                log.warning("could not store iteration counts (kept for later): %s", exc)
                self._pending = pending + self._pending

    def live(self) -> IterationSummary | None:
        now = int(self.clock())
        window = [i for i in self._recent if now - LIVE_WINDOW_S <= i.start < now]
        if self.started_at is None or not window:
            return None
        span = max(1, min(LIVE_WINDOW_S, now - min(i.start for i in window)))
        target = self.rate_at(max(self.clock() - self.started_at, 0.0))
        return summarize_iterations(window, float(span), target)


class OpenModelRun:
    """A load-generating process's part of an open-model run."""

    def __init__(self, schedule: ArrivalSchedule, classes: list[type[User]], *,
                 first_users: int, max_users: int, max_lag_s: float, region: str,
                 interval_s: int, index: int = 0, count: int = 1,
                 clock: Callable[[], float] = time.time) -> None:
        self.schedule = schedule
        self.first_users, self.max_users, self.max_lag_s = first_users, max_users, max_lag_s
        self.clock = clock
        self.counter = IterationCounter(interval_s=interval_s, region=region, clock=clock)
        self.recorder: OpenRecorder | None = None
        self.executor = ArrivalExecutor(
            schedule, classes, max_users=max_users, max_lag_s=max_lag_s,
            counter=self.counter, clock=clock,
            index=index, count=count)
        self.log = IterationLog(schedule, clock)
        self.greenlet: Any = None

    @classmethod
    def from_plan(cls, plan: Plan, classes: list[type[User]]) -> OpenModelRun:
        schedule = plan.schedule
        assert schedule is not None, "not an open-model plan"
        first, most = plan.pool()
        return cls(schedule, classes, first_users=first, max_users=most,
                   max_lag_s=plan.max_lag_s, region=plan.region,
                   interval_s=int(plan.interval_s))

    @classmethod
    def from_orders(cls, data: Mapping[str, Any], classes: list[type[User]], *, region: str,
                    interval_s: int) -> OpenModelRun:
        """A worker's part, from the master's ``orders``."""
        return cls(schedule_of(data["schedule"]), classes, first_users=0,
                   max_users=int(data["max_users"]), max_lag_s=float(data["max_lag_s"]),
                   region=region, interval_s=interval_s, index=int(data["index"]),
                   count=int(data["count"]))

    @property
    def classes(self) -> list[type[User]]:
        """The locustfile's User classes, adapted (engine/openmodel/users.py)."""
        return self.executor.classes

    def make_recorder(self, **kwargs: Any) -> OpenRecorder:
        self.recorder = OpenRecorder(**kwargs)
        for pool in self.executor.pools.values():  # told in each user's greenlet
            pool.on_iteration = self.recorder.begin_iteration
        return self.recorder

    # -- the run ----------------------------------------------------------------------

    def start(self, runner: Any, on_end: Callable[[], None]) -> None:
        """A local run: start the first users (Locust's runner) and the executor."""
        logging.getLogger("locust.runners").addFilter(_QuietSpawnRate())
        runner.start(self.first_users, float(self.first_users))
        self.run_executor(runner, on_end)

    def run_executor(self, runner: Any, on_end: Callable[[], None]) -> None:
        """Release the iterations (once the users Locust started are ready); ``on_end``
        when the schedule is over, or the executor failed."""
        self.executor.bind(runner)
        self.greenlet = gevent.spawn(self.executor.run)
        self.greenlet.link(lambda _: on_end())

    def tick(self) -> None:
        """Once a second: the iteration counts of the seconds that ended."""
        self.log.add(self.counter.take_closed())

    def flush(self, store: Store, run_id: int) -> None:
        self.log.flush(store, run_id)

    def wire(self, *, final: bool = False) -> list[dict[str, Any]]:
        """A worker's report: what it counted since the last one."""
        taken = self.counter.take_all() if final else self.counter.take_closed()
        return [i.to_wire() for i in taken]

    def stop(self) -> None:
        """The users have stopped: close the pools (what still waits is dropped)."""
        if self.greenlet is not None:
            self.greenlet.unlink_all()
            self.greenlet.kill()
        self.executor.close()

    def finish(self, store: Store, run_id: int) -> None:
        self.stop()
        self.log.add(self.counter.take_all())
        self.log.flush(store, run_id)

    def live(self) -> IterationSummary | None:
        self.log.started_at = self.executor.started_at
        return self.log.live()

    def record(self, generators: int = 1) -> OpenModelRecord:
        return OpenModelRecord(first_users=self.first_users, max_users=self.max_users,
                               max_lag_s=self.max_lag_s, generators=generators)


class MasterOpenModel:
    """The master's part of a distributed open-model run: it starts the first users on its
    workers (Locust spreads them), sends nothing itself, and ends the run once every worker
    still there said its schedule is over."""

    def __init__(self, plan: Plan, clock: Callable[[], float] = time.time) -> None:
        schedule = plan.schedule
        assert schedule is not None, "not an open-model plan"
        self.first_users, self.max_users = plan.pool()
        self.max_lag_s = plan.max_lag_s
        self.log = IterationLog(schedule, clock)
        self.schedule = schedule
        self.done: set[str] = set()
        # per worker: (scheduled, started, dropped) iterations, as its reports said
        self.by_worker: dict[str, tuple[int, int, int]] = {}
        self._on_end: Callable[[], None] = lambda: None
        self._ended = False

    def start(self, runner: Any, on_end: Callable[[], None]) -> None:
        logging.getLogger("locust.runners").addFilter(_QuietSpawnRate())
        self._on_end = on_end
        runner.start(self.first_users, float(self.first_users))
        # a worker that never says it is done does not keep the run going for ever
        gevent.spawn_later(self.schedule.total_s + READY_TIMEOUT_S + self.max_lag_s + 30,
                           self._end)

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._on_end()

    def worker_done(self, client_id: str, live: set[str]) -> None:
        """A worker's schedule is over; the run ends when every live worker's is."""
        self.done.add(client_id)
        self.check(live)

    def check(self, live: set[str]) -> None:
        """End the run once every live worker is done (``live``: after one is lost too)."""
        if live <= self.done:
            self._end()

    def receive(self, client_id: str, report: Mapping[str, Any]) -> None:
        """A welcomed worker's report or final flush: its iteration counts."""
        scheduled, started, dropped = self.by_worker.get(client_id, (0, 0, 0))
        for i in self.log.receive(report):
            scheduled, started, dropped = (scheduled + i.scheduled, started + i.started,
                                           dropped + i.dropped)
        self.by_worker[client_id] = (scheduled, started, dropped)

    def tick(self) -> None:
        """The workers' counts arrive with their reports (``receive``)."""

    def flush(self, store: Store, run_id: int) -> None:
        self.log.flush(store, run_id)

    def finish(self, store: Store, run_id: int) -> None:
        self.log.flush(store, run_id)

    def live(self) -> IterationSummary | None:
        return self.log.live()

    def record(self, generators: int = 1) -> OpenModelRecord:
        return OpenModelRecord(first_users=self.first_users, max_users=self.max_users,
                               max_lag_s=self.max_lag_s, generators=generators)
