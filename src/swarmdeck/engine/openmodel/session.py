"""An open-model run's parts, wired for engine/run.py: the executor and its pools, the
recorder that counts from the due time, the iteration counter, and the path of the
iteration counts to the store and the live view."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import gevent
from locust import User

from swarmdeck.analysis.iterations import IterationSummary, summarize_iterations
from swarmdeck.engine.collector import LIVE_WINDOW_S
from swarmdeck.engine.openmodel.counter import IterationCounter
from swarmdeck.engine.openmodel.executor import ArrivalExecutor
from swarmdeck.engine.openmodel.recorder import OpenRecorder
from swarmdeck.metrics.iterations import IterationInterval
from swarmdeck.plan import Plan
from swarmdeck.plan.arrival import ArrivalSchedule
from swarmdeck.records import OpenModelRecord
from swarmdeck.store import Store

SPAWN_WARNING = "Your selected spawn rate is very high"


class _QuietSpawnRate(logging.Filter):
    """The first users start at once (as k6's pre-allocated VUs): Locust's warning about a
    spawn rate above 100/s does not apply."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(SPAWN_WARNING)


class OpenModelRun:
    def __init__(self, plan: Plan, classes: list[type[User]], *, region: str,
                 interval_s: int, clock: Callable[[], float] = time.time,
                 schedule: ArrivalSchedule | None = None, index: int = 0,
                 count: int = 1) -> None:
        schedule = schedule if schedule is not None else plan.schedule
        assert schedule is not None, "not an open-model plan"
        self.schedule = schedule
        self.first_users, self.max_users = plan.pool()
        self.max_lag_s = plan.max_lag_s
        self.clock = clock
        self.counter = IterationCounter(interval_s=interval_s, region=region, clock=clock)
        self.recorder: OpenRecorder | None = None
        self.executor = ArrivalExecutor(
            schedule, classes, max_users=self.max_users, max_lag_s=plan.max_lag_s,
            counter=self.counter, on_iteration=self._on_iteration, clock=clock,
            index=index, count=count)
        self.greenlet: Any = None
        self._pending: list[IterationInterval] = []
        self._recent: deque[IterationInterval] = deque()

    @property
    def classes(self) -> list[type[User]]:
        """The locustfile's User classes, adapted (engine/openmodel/users.py)."""
        return self.executor.classes

    def make_recorder(self, **kwargs: Any) -> OpenRecorder:
        self.recorder = OpenRecorder(**kwargs)
        return self.recorder

    def _on_iteration(self, due: float) -> None:
        if self.recorder is not None:
            self.recorder.begin_iteration(due)

    # -- the run ----------------------------------------------------------------------

    def start(self, runner: Any, on_end: Callable[[], None]) -> None:
        """Start the first users (Locust's runner) and the executor; ``on_end`` once the
        schedule is over (or the executor failed)."""
        self.executor.bind(runner)
        logging.getLogger("locust.runners").addFilter(_QuietSpawnRate())
        runner.start(self.first_users, float(self.first_users))
        self.greenlet = gevent.spawn(self.executor.run)
        self.greenlet.link(lambda _: on_end())

    def tick(self) -> None:
        """Once a second: the iteration counts of the seconds that ended."""
        self._take(self.counter.take_closed())

    def _take(self, intervals: list[IterationInterval]) -> None:
        self._pending.extend(intervals)
        self._recent.extend(intervals)
        horizon = int(self.clock()) - 2 * LIVE_WINDOW_S
        while self._recent and self._recent[0].start < horizon:
            self._recent.popleft()

    def flush(self, store: Store, run_id: int) -> None:
        pending, self._pending = self._pending, []
        if pending:
            store.add_iterations(run_id, pending)

    def finish(self, store: Store, run_id: int) -> None:
        """The users have stopped: close the pools, store every count left."""
        if self.greenlet is not None:
            self.greenlet.unlink_all()
            self.greenlet.kill()
        self.executor.close()
        self._take(self.counter.take_all())
        self.flush(store, run_id)

    def live(self) -> IterationSummary | None:
        now = int(self.clock())
        window = [i for i in self._recent if now - LIVE_WINDOW_S <= i.start < now]
        started = self.executor.started_at
        if started is None or not window:
            return None
        span = max(1, min(LIVE_WINDOW_S, now - min(i.start for i in window)))
        target = self.schedule.rate_at(max(self.clock() - started, 0.0))
        return summarize_iterations(window, float(span), target)

    def record(self, generators: int = 1) -> OpenModelRecord:
        return OpenModelRecord(first_users=self.first_users, max_users=self.max_users,
                               max_lag_s=self.max_lag_s, generators=generators)
