"""The iterations of one generator, per slice: scheduled, started (with their start lag),
dropped. Like the recorder's intervals, a slice is handed out once it has ended. Start lags
are kept as a list, recorded into the slice's histogram at once when it is handed out
(``record_many``). Free of Locust and gevent imports."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from swarmdeck.metrics.interval import DEFAULT_REGION
from swarmdeck.metrics.iterations import IterationInterval


class IterationCounter:
    def __init__(self, *, interval_s: int = 1, region: str = DEFAULT_REGION,
                 clock: Callable[[], float] = time.time) -> None:
        self.interval_s = interval_s
        self.region = region
        self.clock = clock
        self._open: dict[int, IterationInterval] = {}
        self._lags: dict[int, list[int]] = {}  # slice start -> its start lags (µs), unrecorded
        # the second ``started`` last counted in: its slice and lags (reset when handed out)
        self._second = -1
        self._current: IterationInterval | None = None
        self._current_lags: list[int] = []
        # whole-run totals, for the pool's and the live view's questions
        self.scheduled_total = 0
        self.started_total = 0
        self.dropped_total = 0

    def _slice(self, now: float) -> IterationInterval:
        second = int(now)
        start = second - second % self.interval_s
        current = self._open.get(start)
        if current is None:
            current = self._open[start] = IterationInterval(start=start, region=self.region)
        return current

    def scheduled(self, count: int = 1) -> None:
        self._slice(self.clock()).scheduled += count
        self.scheduled_total += count

    def started(self, due: float, at: float) -> None:
        current = self._current
        if int(at) != self._second or current is None:
            current = self._current = self._slice(at)
            self._second = int(at)
            self._current_lags = self._lags.setdefault(current.start, [])
        current.started += 1
        self._current_lags.append(int(max(at - due, 0.0) * 1_000_000 + 0.5))
        self.started_total += 1

    def dropped(self, count: int = 1) -> None:
        if count:
            self._slice(self.clock()).dropped += count
            self.dropped_total += count

    def take_closed(self) -> list[IterationInterval]:
        """The slices that have ended (each handed out once)."""
        now = self.clock()
        current = int(now) - int(now) % self.interval_s
        closed = [start for start in self._open if start < current]
        if closed:
            self._current = None
        return [self._handed(self._open.pop(start)) for start in closed]

    def take_all(self) -> list[IterationInterval]:
        taken = [self._handed(i) for i in self._open.values()]
        self._open.clear()
        self._current = None
        return taken

    def _handed(self, interval: IterationInterval) -> IterationInterval:
        lags = self._lags.pop(interval.start, None)
        if lags:
            interval.lag.record_many(np.asarray(lags, dtype=np.int64))
        return interval
