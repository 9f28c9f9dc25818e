"""``swarmdeck capacity --workers N`` / ``--expect-workers N``: the search over workers.

The master runs the controller (capacity.py) and sends each next half second of the
schedule to its live workers (chunks.py), ``LEAD_S`` ahead of its start on the common
clock; each worker's executor starts its share of it. A step is judged on the seconds every
live worker has sent (each sends the seconds that just ended every second, besides Locust's
worker reports every 3 s), so a step lasts about as long as on one process. After a failed step the pause lasts
until every live worker said it is quiet (or ``PAUSE_S``). When the search ends, the master
tells the workers; each finishes its iterations under way and says its schedule is over,
and the run ends (session.MasterOpenModel).

A worker lost mid-search: the step under way starts again on the others (what the lost one
measured of it may never arrive), the next chunks are dealt over the workers left, the
search goes on, and the run ends ``degraded`` (exit 4) as a run that lost a worker does.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import gevent

from swarmdeck.engine.distributed import MasterRun
from swarmdeck.engine.openmodel import chunks
from swarmdeck.engine.openmodel.capacity import CapacityRun, Controller
from swarmdeck.engine.openmodel.executor import READY_TIMEOUT_S
from swarmdeck.engine.openmodel.session import MasterOpenModel
from swarmdeck.engine.run import LocalRun, RunView
from swarmdeck.engine.sources import IntervalSource, WorkerReports
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.plan import Plan
from swarmdeck.plan.capacity import CapacitySettings
from swarmdeck.store import Store

LEAD_S = 0.5  # a chunk is sent this long before it starts
SKEW_S = 0.2  # a Locust report that arrived at R holds the seconds before floor(R - SKEW_S)
REPORT_EVERY_S = 1.0  # the workers' MEASURED messages (chunks.py)

log = logging.getLogger(__name__)

Send = Callable[[str, Any, str], None]  # (message, data, worker id)


class MasterCapacity(MasterOpenModel):
    """The master's part of a distributed search: the controller's chunks out to the
    workers, their readiness, quiet and reports in."""

    def __init__(self, plan: Plan, controller: Controller, *, send: Send,
                 live: Callable[[], list[str]], clock: Callable[[], float] = time.time) -> None:
        super().__init__(plan, clock)
        self.controller = controller
        self.send = send
        self.live_workers = live  # the live workers, in the order they joined
        self.clock = clock
        self.ready: set[str] = set()
        self.quiet_after: dict[str, float] = {}  # worker: start of the last chunk it was quiet after
        # worker: every second before this is in the reports it sent (epoch s)...
        self._arrived: dict[str, float] = {}
        self.measured: dict[str, float] = {}  # ...and the collector has had them
        self.next_start: float | None = None  # the start of the chunk being decided
        self.known: set[str] = set()  # the live workers when the search started, or since
        self.loop: Any = None
        self.started = False  # the search has started: the workers taking part are known
        controller.clock = lambda: self.next_start if self.next_start is not None else clock()
        controller.quiet = self.quiet
        controller.measured_before = self.measured_before
        controller.late_s = REPORT_EVERY_S
        self.log.on_add = controller.window.add_iterations
        self.log.rate_at = lambda t: controller.rate

    # -- what the workers say -----------------------------------------------------------

    def on_ready(self, client_id: str) -> None:
        self.ready.add(client_id)

    def on_quiet(self, client_id: str, data: Mapping[str, Any]) -> None:
        start = float(data.get("start", 0.0))
        self.quiet_after[client_id] = max(self.quiet_after.get(client_id, start), start)

    def receive(self, client_id: str, report: Mapping[str, Any]) -> None:
        super().receive(client_id, report)
        until = report.get(chunks.UNTIL_KEY)  # a MEASURED message says; a report: about
        until = float(until) if until is not None else self.clock() - SKEW_S
        self._arrived[client_id] = max(until, self._arrived.get(client_id, until))

    def hand_over(self) -> None:
        """The pump takes the reports received so far (to the collector, and the steps'
        window): the seconds they hold are measured."""
        for cid, until in self._arrived.items():
            self.measured[cid] = max(until, self.measured.get(cid, until))
        self._arrived.clear()

    # -- what the controller asks ---------------------------------------------------------

    def taking_part(self) -> list[str]:
        """The live workers whose executor runs the search: ready when it started (a
        worker that joins later has no users: Locust does not start them mid-run), and not
        ended (one whose executor stopped says so)."""
        return [cid for cid in self.live_workers()
                if (cid in self.ready or not self.started) and cid not in self.done]

    def measured_before(self, now: float) -> int:
        """The first second some live worker may not have reported yet."""
        live = self.taking_part()
        if not live:
            return math.floor(now) - 1
        return min(math.floor(self.measured.get(cid, 0.0)) for cid in live)

    def quiet(self) -> bool:
        """Every live worker was quiet after a chunk that started once the pause began."""
        since = self.controller.paused_at
        return since is not None and all(
            self.quiet_after.get(cid, -math.inf) >= since for cid in self.taking_part())

    # -- the search -------------------------------------------------------------------

    def start(self, runner: Any, on_end: Callable[[], None]) -> None:
        super().start(runner, on_end)
        self.loop = gevent.spawn(self._search)

    def _search(self) -> None:
        try:
            deadline = self.clock() + READY_TIMEOUT_S + 10
            while not set(self.live_workers()) <= self.ready and self.clock() < deadline:
                gevent.sleep(0.05)
            self.started = True
            self.known = set(self.taking_part())
            start, number = self.clock() + LEAD_S, 0
            while True:
                self.next_start = start
                schedule = self.controller.next_schedule()
                live = self.taking_part()
                if schedule is None or not live:
                    break
                for cid, (index, count) in chunks.deal(live, number).items():
                    self.send(chunks.CHUNK,
                              chunks.Chunk(schedule, start, index, count).to_wire(), cid)
                start, number = start + schedule.total_s, number + 1
                gevent.sleep(max(0.0, start - LEAD_S - self.clock()))
            for cid in self.live_workers():
                self.send(chunks.END, None, cid)
        except Exception:  # a bug of ours: end the run, keep what was measured
            log.exception("the search stopped")
            self._end()

    def check(self, live: set[str]) -> None:
        """A worker lost (or whose executor ended before the search did): the step under
        way starts again on the others."""
        taking_part = set(self.taking_part())
        lost = self.known - taking_part
        if lost and self.started and not self.controller.done:
            self.controller.restart_step(
                f"worker {', '.join(sorted(lost))} was lost (its last seconds are missing)")
        self.known = taking_part
        super().check(live)

    def finish(self, store: Store, run_id: int) -> None:
        if self.loop is not None:
            self.loop.kill()
        super().finish(store, run_id)


class StampedReports:
    """The master's interval source for a search: as the pump takes the workers' reports,
    their seconds count as measured (``MasterCapacity.hand_over``)."""

    def __init__(self, reports: WorkerReports, master: MasterCapacity) -> None:
        self.reports = reports
        self.master = master

    def take_closed(self) -> list[EndpointInterval]:
        self.master.hand_over()  # no switch between the two: what was stamped is taken
        return self.reports.take_closed()

    def take_final(self) -> list[EndpointInterval]:
        return self.reports.take_final()


class DistributedCapacityRun(CapacityRun, MasterRun):
    """The search's run on a master: the controller here, the executors on the workers."""

    master: MasterCapacity

    def _orders(self, index: int, count: int) -> dict[str, Any]:
        return {**super()._orders(index, count), chunks.ORDERS_KEY: True}

    def _make_runner(self, env: Any) -> Any:
        runner = super()._make_runner(env)
        runner.register_message(chunks.READY, self._on_ready)
        runner.register_message(chunks.QUIET, self._on_quiet)
        runner.register_message(chunks.MEASURED, self._on_measured)
        return runner

    def _live_in_order(self) -> list[str]:
        return [cid for cid in self.welcomed if cid not in self.lost]

    def _send(self, kind: str, data: Any, client_id: str) -> None:
        self.runner.send_message(kind, data, client_id=client_id)

    def _new_master_open_model(self) -> MasterOpenModel:
        self.master = MasterCapacity(self.plan, self.controller, send=self._send,
                                     live=self._live_in_order)
        return self.master

    def _make_source(self) -> IntervalSource:
        return StampedReports(self.reports, self.master)

    def _on_ready(self, environment: Any, msg: Any, **_: Any) -> None:
        if msg.node_id in self.welcomed:
            self.master.on_ready(msg.node_id)

    def _on_measured(self, environment: Any, msg: Any, **_: Any) -> None:
        """A worker's seconds that just ended: merged as a part of its reports."""
        if isinstance(msg.data, dict):
            self._on_report(msg.node_id, msg.data)

    def _on_quiet(self, environment: Any, msg: Any, **_: Any) -> None:
        if msg.node_id in self.welcomed and isinstance(msg.data, dict):
            self.master.on_quiet(msg.node_id, msg.data)


def capacity_run(settings: CapacitySettings, store: Store, view: RunView,
                 locust_args: list[str] | None = None) -> LocalRun:
    """The search's run: on this process, or over workers (``--workers``,
    ``--expect-workers``)."""
    kind = DistributedCapacityRun if settings.plan.distributed else CapacityRun
    return kind(settings, store, view, locust_args)
