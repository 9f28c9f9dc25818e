"""One User class's pool of users, and the iterations waiting for them.

The executor *releases* each iteration when it falls due: a free (idle) user takes it at
once; with none free, it waits in the backlog, and the pool asks for one more user when it
may still grow (``max_users``). A user that finishes an iteration *takes* the oldest one
waiting, or becomes idle. An iteration that has waited longer than ``max_lag_s`` is dropped
(with 0, at once: k6's semantics). Whatever waits when the schedule ends is dropped too, so
that over a run ``scheduled == started + dropped``.

A user that takes an iteration late (it waited for a user) starts it late: its latency is
counted from when it was due (``on_iteration``: the recorder), so the wait is not hidden.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from gevent import get_hub
from gevent.hub import Waiter

from swarmdeck.engine.openmodel.counter import IterationCounter


class Slot:
    """One user's place in the pool: where an iteration is handed to it while it is idle
    (the executor sets ``due`` and has the hub switch to the user's ``waiter``)."""

    __slots__ = ("due", "waited", "waiter")

    def __init__(self) -> None:
        self.waiter: Waiter[float] | None = None
        self.due: float | None = None
        self.waited = False  # whether its last ``take`` waited (yielded to the hub)


class Pool:
    def __init__(self, name: str, *, max_users: int, max_lag_s: float,
                 counter: IterationCounter, grow: Callable[[str, int], None],
                 on_iteration: Callable[[float], None] = lambda due: None,
                 clock: Callable[[], float] = time.time) -> None:
        self.name = name  # the User class
        self.max_users = max_users
        self.max_lag_s = max_lag_s
        self.counter = counter
        self.grow = grow  # start this many more users of this class
        self.on_iteration = on_iteration  # in the user's greenlet, before its iteration
        self.clock = clock
        self.backlog: deque[float] = deque()  # due times of iterations waiting for a user
        self.idle: deque[Slot] = deque()
        self.size = 0  # users that joined (started their on_start) and have not left
        self.growing = 0  # users asked for that have not joined yet
        self.closed = False
        self._later = get_hub().loop.run_callback  # (in the hub, right after this greenlet)

    # -- the executor's side -------------------------------------------------------------

    def release(self, due: float) -> None:
        """An iteration falls due."""
        self.release_many([due])

    def release_many(self, dues: list[float]) -> None:
        """Iterations fall due (in order): each to an idle user, the rest wait for one (or,
        with ``max_lag`` 0, are dropped); the pool asks for a user for each that waits,
        while it may grow."""
        self.counter.scheduled(len(dues))
        self.expire()
        if self.closed:
            self.counter.dropped(len(dues))
            return
        idle, handed = self.idle, 0
        while idle and handed < len(dues):
            slot = idle.popleft()
            slot.due = dues[handed]
            assert slot.waiter is not None
            self._later(slot.waiter.switch, slot.due)
            handed += 1
        if handed == len(dues):
            return
        waiting = dues[handed:] if handed else dues
        more = min(len(waiting), self.max_users - self.size - self.growing)
        if more > 0:
            self.growing += more
            self.grow(self.name, more)
        if self.max_lag_s <= 0:
            self.counter.dropped(len(waiting))
        else:
            self.backlog.extend(waiting)

    def expire(self) -> None:
        """Drop the iterations that have waited too long."""
        backlog = self.backlog
        if not backlog:
            return
        horizon = self.clock() - self.max_lag_s
        dropped = 0
        while backlog and backlog[0] < horizon:
            backlog.popleft()
            dropped += 1
        self.counter.dropped(dropped)

    def close(self) -> None:
        """The schedule ended: drop what still waits; no iteration comes any more."""
        self.closed = True
        self.counter.dropped(len(self.backlog))
        self.backlog.clear()

    # -- a user's side (in its own greenlet) ---------------------------------------------

    def join(self) -> None:
        self.size += 1
        if self.growing:
            self.growing -= 1

    def leave(self) -> None:
        self.size = max(self.size - 1, 0)

    def take(self, slot: Slot) -> float:
        """Block until an iteration is this user's; returns when it was due. Killed while
        idle (the run stops), the user leaves the idle queue; an iteration handed to it in
        that moment counts as dropped."""
        backlog = self.backlog
        if backlog and backlog[0] < self.clock() - self.max_lag_s:
            self.expire()
        if backlog:
            due = backlog.popleft()
            slot.waited = False
        else:
            slot.due = None
            slot.waited = True
            waiter = slot.waiter = Waiter()
            self.idle.append(slot)
            try:
                due = waiter.get()
            except BaseException:
                if slot.due is not None:
                    self.counter.dropped()
                else:
                    try:
                        self.idle.remove(slot)
                    except ValueError:
                        pass
                raise
            finally:
                slot.waiter = None
        now = self.clock()
        self.counter.started(due, now)
        self.on_iteration(due)
        return due
