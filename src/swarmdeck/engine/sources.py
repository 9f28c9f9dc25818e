"""Where the run's pump takes intervals from: one interface, whatever kind of run.

The pump (``LocalRun._pump`` in run.py) asks its source once a second for the intervals
that are ready and, after the users have stopped, for everything left; it hands both to the
collector. A local run's source is its own recorder (``RecorderSource``); a master's is what
its welcomed workers sent in Locust's worker reports and in their final flush
(``WorkerReports``). Free of Locust imports, so both are tested on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from swarmdeck.engine.handshake import REPORT_KEY
from swarmdeck.engine.recorder import Recorder
from swarmdeck.metrics.interval import EndpointInterval


class IntervalSource(Protocol):
    def take_closed(self) -> list[EndpointInterval]:
        """The intervals ready since the last call (each handed out once)."""
        ...

    def take_final(self) -> list[EndpointInterval]:
        """Once the users have stopped: everything still held."""
        ...


class RecorderSource:
    """A local run: this process's recorder, whose slices close as the clock moves on."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def take_closed(self) -> list[EndpointInterval]:
        return self.recorder.take_closed()

    def take_final(self) -> list[EndpointInterval]:
        return self.recorder.take_all()


class WorkerReports:
    """A master: the intervals in its workers' reports, decoded and kept until the pump
    takes them. A worker sends all it holds (its current second too), so one key may
    arrive in pieces; the collector's subscribers merge them."""

    def __init__(self) -> None:
        self._received: list[EndpointInterval] = []

    def receive(self, report: Mapping[str, Any]) -> None:
        """A worker report or final flush (``{REPORT_KEY: [wire intervals], ...}``) from a
        welcomed worker; the master checks that it is one."""
        wire = report.get(REPORT_KEY)
        if wire:
            self._received.extend(EndpointInterval.from_wire(i) for i in wire)

    def take_closed(self) -> list[EndpointInterval]:
        taken, self._received = self._received, []
        return taken

    def take_final(self) -> list[EndpointInterval]:
        """The master has waited for every live worker's final flush (``_flush_workers``)
        before the pump's last call, so this is everything received."""
        return self.take_closed()
