"""The arrival-rate executor: releases each iteration of a schedule when it falls due, into
the pool of one of the (adapted) User classes, on top of Locust's runner.

Locust's runner still starts and stops the users (``runner.start`` for the users started
before the first iteration, ``runner.spawn_users`` when a pool grows, ``runner.quit`` at
the end, with its stop timeout); the executor only decides when each iteration starts.
The schedule's clock starts once those first users have finished ``on_start`` (k6
initialises its pre-allocated VUs first too), so that a slow login is not a late first
iteration.

With several User classes, iteration ``k`` goes to a class chosen by a low-discrepancy
sequence over their weights, the same on every generator, so each class gets its share of
the rate; a pool holds at most its share of ``--max-users``.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

import gevent
import numpy as np
from locust import User
from locust.runners import STATE_RUNNING

from swarmdeck.engine.openmodel.counter import IterationCounter
from swarmdeck.engine.openmodel.pool import Pool
from swarmdeck.engine.openmodel.users import adapt, weights
from swarmdeck.plan.arrival import ArrivalSchedule

log = logging.getLogger(__name__)

SLACK_S = 0.002  # an iteration due within this is released now (a wake-up costs more)
EXPIRE_EVERY_S = 0.1  # while sleeping, drop waiting iterations this often
MAX_BATCH = 256  # iterations released at once at most (far behind: the users run between)
BACKLOGGED_S = 0.01  # how long the executor naps while every user has an iteration waiting
READY_TIMEOUT_S = 60.0  # the longest wait for the first users' on_start
_GOLDEN = 0.6180339887498949


def _shares(classes: list[type[User]]) -> list[tuple[str, float]]:
    """(class name, the top of its cumulative share in [0, 1]) for each class."""
    given = weights(classes)
    total = sum(given.values())
    running, result = 0.0, []
    for name, weight in given.items():
        running += weight / total
        result.append((name, running))
    return result


class ArrivalExecutor:
    def __init__(self, schedule: ArrivalSchedule, classes: list[type[User]], *,
                 max_users: int, max_lag_s: float, counter: IterationCounter,
                 clock: Callable[[], float] = time.time, index: int = 0,
                 count: int = 1) -> None:
        self.schedule = schedule
        self.counter = counter
        self.clock = clock
        self.index, self.count = index, count
        self._shares = _shares(classes)
        shares = dict(weights(classes))
        total = sum(shares.values())
        self.pools: dict[str, Pool] = {
            name: Pool(name, max_users=max(1, round(max_users * share / total)),
                       max_lag_s=max_lag_s, counter=counter, grow=self._grow,
                       clock=clock)
            for name, share in shares.items()}
        self.classes = [adapt(cls, self.pools.__getitem__) for cls in classes]
        self.runner: Any = None
        self.started_at: float | None = None  # epoch s: when iteration 0 was due
        # a capacity search: the schedules one after another (engine/openmodel/capacity.py)
        self.next_schedule: Callable[[], ArrivalSchedule | None] | None = None
        # when the schedule it just gave starts: now, or (a worker of a distributed search)
        # the time the master gave it (engine/openmodel/chunks.py)
        self.start_of: Callable[[], float] | None = None
        self.ended = False

    def bind(self, runner: Any) -> None:
        self.runner = runner

    def _grow(self, name: str, count: int) -> None:
        self.runner.spawn_users({name: count})

    @property
    def idle(self) -> int:
        return sum(len(p.idle) for p in self.pools.values())

    def quiet(self) -> bool:
        """No iteration is under way or waiting: every user is idle."""
        return (self.runner is not None and self.idle >= self.runner.user_count
                and not any(p.backlog for p in self.pools.values()))

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Until Locust has started the first users and each has finished on_start (or
        ``timeout_s``: the schedule then starts anyway, with what is ready)."""
        deadline = self.clock() + timeout_s
        while self.clock() < deadline:
            runner = self.runner
            if runner.state == STATE_RUNNING and 0 < runner.user_count <= self.idle:
                return
            gevent.sleep(0.02)
        log.warning("only %d of %d users finished on_start within %gs: starting the "
                    "schedule anyway", self.idle, self.runner.user_count, timeout_s)

    def _sleep_until(self, when: float) -> None:
        while True:
            wait = when - self.clock()
            if wait <= SLACK_S:
                return
            gevent.sleep(min(wait, EXPIRE_EVERY_S))
            for pool in self.pools.values():
                pool.expire()

    def run(self, on_end: Callable[[], None] = lambda: None) -> None:
        """Release every iteration on time (the executor's greenlet), then close the pools
        and call ``on_end`` (the run stops its users). With ``next_schedule`` (a capacity
        search), one schedule after another from it, each starting when it is given, until
        it gives None."""
        try:
            self.wait_ready()
            self.started_at = self.clock()
            if self.next_schedule is None:
                self._release(self.schedule, self.started_at)
            else:
                while (schedule := self.next_schedule()) is not None:
                    self._release(schedule, self.clock() if self.start_of is None
                                  else self.start_of())
            self._drain()
        finally:
            self.close()
        on_end()

    def _release(self, schedule: ArrivalSchedule, start: float) -> None:
        """Release each iteration when it falls due (within ``SLACK_S``): all those due by
        then at once, in a batch per pool. A chunk's due times become a list once (bisect
        and slices on it cost less, at each wake-up, than numpy's calls)."""
        tops = np.array([top for _, top in self._shares])
        pools = [self.pools[name] for name, _ in self._shares]
        clock = self.clock
        for ks, offsets in schedule.chunks(self.index, self.count):
            dues: list[float] = (start + offsets).tolist()
            # iteration k's pool: the first whose share's top is above (k * golden + 0.5) % 1
            which: list[int] | None = None if len(pools) == 1 else np.minimum(
                np.searchsorted(tops, (ks * _GOLDEN + 0.5) % 1.0, side="right"),
                len(pools) - 1).tolist()
            first, total = 0, len(dues)
            while first < total:
                self._sleep_until(dues[first])
                last = min(bisect_right(dues, clock() + SLACK_S, first + 1, total),
                           first + MAX_BATCH)
                if which is None:
                    pools[0].release_many(dues[first:last])
                else:
                    for i, pool in enumerate(pools):
                        mine = [due for due, w in zip(dues[first:last], which[first:last])
                                if w == i]
                        if mine:
                            pool.release_many(mine)
                if last - first == MAX_BATCH:  # far behind: let the users run meanwhile
                    gevent.sleep(0)
                elif all(pool.backlog and len(pool.backlog) >= pool.size for pool in pools):
                    # every user has an iteration waiting for it: what falls due meanwhile
                    # would only wait behind those, so release it in one batch, later
                    gevent.sleep(BACKLOGGED_S)
                first = last
        self._sleep_until(start + schedule.total_s)

    def _drain(self) -> None:
        """After the last iteration fell due: those still waiting may start as users free
        up, for up to ``max_lag`` (then they are dropped)."""
        while any(pool.backlog for pool in self.pools.values()):
            gevent.sleep(EXPIRE_EVERY_S / 10)
            for pool in self.pools.values():
                pool.expire()

    def close(self) -> None:
        if not self.ended:
            self.ended = True
            for pool in self.pools.values():
                pool.close()
