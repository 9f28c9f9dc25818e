"""The one interface every monitor source implements, and what it hands back.

A sampler is opened once (``open``: connect, or raise ``SourceError``), asked once a second
for its readings (``sample``: the second that just ended, ``at``, in epoch seconds), and
closed at the end (``finish`` first, for what only the end knows: PostgreSQL's top
queries). Samplers run in their own OS thread each (monitors/runner.py), in a process that
does not import gevent, so their blocking I/O is real blocking I/O.

Counters become rates here, over the time that really passed between two samples
(``Rates``); the first sample of a counter gives no rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from swarmdeck.records.monitors import Reading, TopQuery

__all__ = ["Rates", "Reading", "Sampler", "SourceError", "add_rate", "one_line"]


class SourceError(Exception):
    """The source cannot be reached or read; the message is one line, no secrets."""


class Sampler(Protocol):
    kind: str

    def open(self) -> None: ...
    def sample(self, at: int) -> list[Reading]: ...
    def finish(self) -> tuple[TopQuery, ...]: ...
    def close(self) -> None: ...


class Rates:
    """Counters to per-second rates: ``rate(name, total)`` is None the first time (and
    after a counter went backwards: a restart), else the increase per second since the
    last call for ``name``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._last: dict[str, tuple[float, float]] = {}

    def rate(self, name: str, total: float) -> float | None:
        now = self.clock()
        last = self._last.get(name)
        self._last[name] = (now, total)
        if last is None or now <= last[0] or total < last[1]:
            return None
        return (total - last[1]) / (now - last[0])

    def delta(self, name: str, total: float) -> float | None:
        """The increase since the last call (None the first time or after a reset)."""
        last = self._last.get(name)
        self._last[name] = (self.clock(), total)
        if last is None or total < last[1]:
            return None
        return total - last[1]

    def forget(self) -> None:
        self._last.clear()


def add_rate(out: list[Reading], rates: Rates, name: str, total: float, unit: str) -> None:
    """Append the rate of counter ``name`` to ``out`` when there is one."""
    value = rates.rate(name, total)
    if value is not None:
        out.append(Reading(name, value, unit))


def one_line(exc: BaseException) -> str:
    """An exception as one short line (no traceback, first line only)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__
