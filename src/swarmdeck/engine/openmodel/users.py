"""The locustfile's User classes, adapted to the open model without changing them.

Each class gets a subclass of the same name whose users, instead of sleeping ``wait_time``
between tasks, wait for the pool to hand them the next iteration: Locust's own loop
(``User.run`` and ``TaskSet.run``: task weights, nested TaskSets, ``on_start`` once per
user, ``on_stop``, ``RescheduleTask``, errors caught) runs every task, so one task is one
iteration and a locustfile runs unmodified. The first iteration is awaited at the end of
``on_start``; the others in ``wait_time``, which Locust calls after each task with the user
marked as waiting, so that stopping the run stops an idle user at once.

A TaskSet with its own ``wait_time`` keeps it between its own tasks (its tasks are then
not iterations of their own); the common case, a ``wait_time`` on the User, is replaced.

Locust sleeps for whatever ``wait_time`` returns (``TaskSet._sleep``; 0 still yields to
the hub). A user that had to wait for its iteration has yielded already: its wait_time
returns ``WAITED`` and its task set's sleep skips that second yield (the user's own task
set is given a ``_sleep`` that does; elsewhere WAITED is a sleep of 0). A user that found
its iteration waiting returns 0: it yields once, as a closed-model user does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent
from locust import User
from locust.exception import StopUser
from locust.user.task import LOCUST_STATE_RUNNING, LOCUST_STATE_STOPPING, LOCUST_STATE_WAITING

from swarmdeck.engine.openmodel.pool import Pool, Slot

OPEN_MODEL = "_swarmdeck_open_model"  # set on the adapted classes
WAITED = -1.0  # wait_time's answer when the user has yielded already


def _sleep(seconds: float) -> None:
    """Locust's ``TaskSet._sleep``, without the sleep after a wait for the iteration."""
    if seconds != WAITED:
        gevent.sleep(seconds)


def adapt(cls: type[User], pool_of: Callable[[str], Pool]) -> type[User]:
    """A subclass of ``cls`` (same name) whose users run iterations from ``pool_of(name)``."""
    name = cls.__name__
    original_on_start: Callable[[User], None] = cls.on_start
    original_on_stop: Callable[[User], Any] = cls.on_stop

    def slot_of(user: User) -> Slot:
        slot: Slot | None = user.__dict__.get("_swarmdeck_slot")
        if slot is None:
            slot = user.__dict__["_swarmdeck_slot"] = Slot()
        return slot

    def on_start(self: User) -> None:
        pool = pool_of(name)
        taskset = self.__dict__.get("_taskset_instance")  # Locust's DefaultTaskSet
        if taskset is not None and hasattr(taskset, "_sleep"):
            taskset._sleep = _sleep
        pool.join()
        try:
            original_on_start(self)
        except BaseException:
            pool.leave()
            self.__dict__["_swarmdeck_left"] = True
            raise
        # the first iteration: wait as Locust's TaskSet.wait does, stoppable at once
        if self._state == LOCUST_STATE_STOPPING:
            raise StopUser()
        self._state = LOCUST_STATE_WAITING
        pool.take(slot_of(self))
        if self._state == LOCUST_STATE_STOPPING:  # pragma: no cover - stop() kills waiters
            raise StopUser()
        self._state = LOCUST_STATE_RUNNING

    def wait_time(self: User) -> float:
        slot = slot_of(self)
        pool_of(name).take(slot)
        return WAITED if slot.waited else 0.0

    def on_stop(self: User) -> Any:
        if not self.__dict__.pop("_swarmdeck_left", False):
            pool_of(name).leave()
        return original_on_stop(self)

    namespace: dict[str, Any] = {
        "on_start": on_start, "wait_time": wait_time, "on_stop": on_stop,
        "__module__": cls.__module__, "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__, OPEN_MODEL: True,
    }
    return type(name, (cls,), namespace)


def weights(classes: list[type[User]]) -> dict[str, float]:
    """Each class's share of the iterations: its ``weight`` (a class with weight 0 and a
    ``fixed_count`` gets weight 1)."""
    return {c.__name__: float(c.weight) if c.weight > 0 else 1.0 for c in classes}
