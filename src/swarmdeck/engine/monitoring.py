"""The run's monitors, seen from the load generator: a child process samples them
(``python -m swarmdeck.monitors.child``, which imports no gevent: its threads and sockets
block for real and never stall this process's loop); a greenlet here reads its lines,
cooperatively, into points for the pump to store and events for the live view.

    monitoring = Monitoring(plan.monitors)
    warnings = monitoring.start(required=plan.monitor_required)   # CouldNotRun if required
    ...  every flush: store.add_monitor_points(run_id, monitoring.take())
    monitoring.stop(); details.monitors = monitoring.sources(t0)
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Sequence
from typing import Any

import gevent
import gevent.event
import gevent.subprocess

from swarmdeck.errors import CouldNotRun
from swarmdeck.monitors.spec import MonitorSpec
from swarmdeck.monitors.tracker import Tracker
from swarmdeck.records.monitor_codec import line_to_message, message_to_line
from swarmdeck.records.monitors import MonitorPoint, MonitorSource

log = logging.getLogger(__name__)

START_TIMEOUT_S = 20.0  # the child's start and its sources' first connections
STOP_TIMEOUT_S = 15.0  # its last words (PostgreSQL's top queries)
MAX_PENDING = 200_000  # points kept while the store cannot take them
SETTLE_AFTER_TICK_S = 0.3  # at the end: the monitors' last tick has been read by then


class Monitoring:
    def __init__(self, specs: Sequence[MonitorSpec]) -> None:
        self.specs = list(specs)
        self.tracker = Tracker(self.specs)
        self._points: list[MonitorPoint] = []
        self._events: list[str] = []
        self._process: Any = None
        self._reader: Any = None
        self._ready = gevent.event.Event()
        self._started = False  # the child said "ready"
        self._done = gevent.event.Event()

    def start(self, required: bool = False) -> list[str]:
        """Start sampling; a warning line per source that could not be reached (with
        ``required``: CouldNotRun instead, and nothing keeps running)."""
        self._process = gevent.subprocess.Popen(
            [sys.executable, "-m", "swarmdeck.monitors.child"], stdin=gevent.subprocess.PIPE,
            stdout=gevent.subprocess.PIPE, text=True, bufsize=1)
        self._process.stdin.write(message_to_line("specs", specs=[s.text for s in self.specs])
                                  + "\n")
        self._process.stdin.flush()
        self._reader = gevent.spawn(self._read)
        if not self._ready.wait(START_TIMEOUT_S) or not self._started:
            self.stop()
            raise CouldNotRun("the monitor process did not start sampling (within "
                              f"{START_TIMEOUT_S:.0f} s)", "run again with --debug")
        warnings, self._events = self._events, []
        if required and warnings:
            self.stop()
            failing = self.tracker.failing()
            raise CouldNotRun(
                f"monitor {failing[0] if failing else '?'} could not be reached and "
                "--monitor-required is set: " + "; ".join(
                    s.message or "" for s in self.tracker.states if s.failing)[:300],
                "start the source first, fix the SPEC, or drop --monitor-required")
        return warnings

    def _read(self) -> None:
        assert self._process is not None
        try:
            for line in self._process.stdout:
                if not line.strip():
                    continue
                try:
                    message = line_to_message(line)
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("monitor process said something unexpected: %s", exc)
                    continue
                self._handle(message)
        finally:
            self._ready.set()
            self._done.set()

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "batch":
            points, event = self.tracker.batch(message["batch"])
            if len(self._points) < MAX_PENDING:
                self._points.extend(points)
            if event:
                self._events.append(event)
        elif kind == "open":
            event = self.tracker.opened(int(message["m"]), message.get("error"))
            if event:
                self._events.append(event)
        elif kind == "ready":
            self._started = True
            self._ready.set()
        elif kind == "final":
            self.tracker.final(int(message["m"]), message["top_queries"])

    def take(self) -> list[MonitorPoint]:
        """The points received since the last call."""
        points, self._points = self._points, []
        return points

    def give_back(self, points: list[MonitorPoint]) -> None:
        """Points the store could not take: kept (up to a bound) for the next flush."""
        self._points = points[:MAX_PENDING] + self._points

    def events(self) -> list[str]:
        """Sources lost or back since the last call, one line each."""
        events, self._events = self._events, []
        return events

    def failing(self) -> list[str]:
        return self.tracker.failing()

    def stop(self, settle: bool = False) -> None:
        """End sampling and wait (a bounded time) for the sources' last words; with
        ``settle``, first let the second the run ended in be sampled (at most ~1 s)."""
        process = self._process
        if process is None:
            return
        if settle:
            now = time.time()
            gevent.sleep(math.floor(now) + 1 + SETTLE_AFTER_TICK_S - now)
        self._process = None
        try:
            process.stdin.close()
        except OSError:
            pass
        if not self._done.wait(STOP_TIMEOUT_S):
            log.warning("the monitor process did not finish in time; stopping it")
        try:
            process.wait(timeout=5)
        except gevent.subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._reader is not None:
            self._reader.kill()

    def sources(self, t0: float) -> tuple[MonitorSource, ...]:
        return self.tracker.sources(t0)


class RunMonitors:
    """The pump's side of the monitors (engine/run.py): start them before the run record,
    store their points with every flush, print sources lost or back, stop the run when a
    required one is lost, and hand their states to the run's details at the end."""

    def __init__(self, specs: Sequence[MonitorSpec], required: bool) -> None:
        self.monitoring = Monitoring(specs) if specs else None
        self.required = required
        self.warnings: list[str] = []  # at the start: sources not reached
        self.t0 = 0.0

    def start(self) -> None:
        if self.monitoring is not None:
            self.warnings = self.monitoring.start(required=self.required)

    def flush(self, store: Any, run_id: int, say: Any) -> str | None:
        """Store the points received so far (kept for the next flush when the store
        refuses them); print events; why the run must stop (a required source lost)."""
        monitoring = self.monitoring
        if monitoring is None:
            return None
        points = monitoring.take()
        if points:
            try:
                store.add_monitor_points(run_id, points)
            except CouldNotRun as exc:  # a StoreError: the intervals' flush will say so
                log.warning("could not store monitor points (kept for later): %s", exc)
                monitoring.give_back(points)
        for event in monitoring.events():
            say(event)
        failing = monitoring.failing()
        if self.required and failing:
            return f"monitor {failing[0]} was lost and --monitor-required is set"
        return None

    def stop(self, store: Any = None, run_id: int | None = None) -> None:
        """Stop sampling and store the last points (once; safe to call again)."""
        monitoring = self.monitoring
        if monitoring is None:
            return
        monitoring.stop(settle=store is not None)
        if store is not None and run_id is not None:
            points = monitoring.take()
            if points:
                try:
                    store.add_monitor_points(run_id, points)
                except CouldNotRun as exc:
                    log.warning("could not store the last monitor points: %s", exc)

    def sources(self) -> tuple[MonitorSource, ...]:
        return () if self.monitoring is None else self.monitoring.sources(self.t0)

    def summary_lines(self) -> list[str]:
        """A line per source that was not fine throughout, for the run's warnings."""
        return [line for source in self.sources()
                if (line := source.summary_line) is not None]
