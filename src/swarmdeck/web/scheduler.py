"""Firing schedules: ``swarmdeck serve`` ticks every ``SCHEDULER_TICK_S`` seconds (each
Gunicorn worker does; the store's ``claim`` lets one of them start each run). A tick
starts, for every schedule with a due time since it last fired, one run (the missed ones
of a stopped server fold into one, at start-up). The clock is injectable for the tests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from swarmdeck.errors import SwarmdeckError
from swarmdeck.launch import cron
from swarmdeck.store.platform import Schedules
from swarmdeck.store.schedules import Schedule
from swarmdeck.web.launcher import Launcher
from swarmdeck.web.principal import Principal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Firing:
    schedule_id: int
    due: datetime
    launch_id: int | None
    message: str | None


def schedule_args(schedule: Schedule) -> tuple[str, ...]:
    args: list[str] = []
    if schedule.options.get("compare_to"):
        args += ["--compare-to", str(schedule.options["compare_to"])]
    for budget in schedule.options.get("max_regression") or ():
        args += ["--max-regression", str(budget)]
    return tuple(args)


def actor(schedule: Schedule) -> Principal:
    """Who a schedule's runs are started as: a tester named after it."""
    return Principal(f"schedule-{schedule.id}", "tester", via="none")


class Scheduler:
    def __init__(self, schedules: Schedules, launcher: Launcher,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.schedules = schedules
        self.launcher = launcher
        self.clock = clock
        self._stop = threading.Event()

    def tick(self) -> list[Firing]:
        """Start the runs that are due now; what was fired."""
        now = self.clock()
        fired = []
        for schedule in self.schedules.all():
            due = cron.due(schedule.cron, schedule.since, now)
            if due is None or not self.schedules.claim(schedule, due):
                continue
            launch_id, message = None, None
            try:
                launch_id = self.launcher.start(schedule.test_id, actor(schedule),
                                                schedule_args(schedule)).id
            except SwarmdeckError as exc:
                message = str(exc)
                log.warning("schedule %s did not start its run: %s", schedule.id, exc)
            self.schedules.record_firing(schedule.id, launch_id, message)
            fired.append(Firing(schedule.id, due, launch_id, message))
        return fired

    def run_in_background(self, every_s: float) -> threading.Thread:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.tick()
                except SwarmdeckError as exc:  # e.g. the database is away for a moment
                    log.warning("the scheduler could not tick: %s", exc)
                self._stop.wait(every_s)

        thread = threading.Thread(target=loop, name="swarmdeck-scheduler", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
