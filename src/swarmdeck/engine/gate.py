"""Thresholds with ``abort=true``, checked once a second while the run goes on: the first
one breached (after its grace period) stops the run, which then ends ``failed``.

The gate subscribes to the collector, which hands it every interval once, however late or
however many arrive at a time. Cheap enough for every second on the load generator: each
interval is folded once into its thresholds' running state (a merged histogram for the
whole run so far, or one per slot of the last window), and a check merges at most one
window's slots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from swarmdeck.analysis.latency import LATENCY_METRICS, latency_of
from swarmdeck.analysis.thresholds import Threshold, holds, in_scope, observe, show
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.plan import Plan


def _num(value: float) -> str:
    return f"{value:g}"


class _Running:
    """One abort threshold's data so far, from the intervals the collector received."""

    def __init__(self, threshold: Threshold, interval_s: float) -> None:
        self.threshold = threshold
        self.interval_s = interval_s
        self.latency = threshold.metric in LATENCY_METRICS
        self.span = (None if threshold.window_s is None
                     else max(1, math.ceil(threshold.window_s / interval_s - 1e-9)))
        self.first: int | None = None
        self.last: int | None = None
        # whole run: one running total; windowed: per slot start, the slot's total. Their
        # ``histogram`` holds the latency the metric reads (``latency_of``: the successful
        # requests', or the failed ones' for failed.*)
        self.total = EndpointInterval(start=0, method="", name="")
        self.slots: dict[int, EndpointInterval] = {}

    def add(self, interval: EndpointInterval) -> None:
        if not in_scope(self.threshold, interval):
            return
        start = interval.start
        self.first = start if self.first is None else min(self.first, start)
        self.last = start if self.last is None else max(self.last, start)
        target = self.total
        if self.span is not None:
            if start not in self.slots:
                self.slots[start] = EndpointInterval(start=start, method="", name="")
            target = self.slots[start]
            horizon = self.last - (self.span + 1) * self.interval_s
            for old in [s for s in self.slots if s < horizon]:
                del self.slots[old]
        target.requests += interval.requests
        target.failures += interval.failures
        if self.latency:
            latency = latency_of(self.threshold.metric, interval)
            if latency is not None:
                target.histogram.merge(latency)

    def observed(self) -> float | None:
        """The metric now: over the whole run so far, or over the latest window."""
        if self.first is None or self.last is None:
            return None
        if self.span is None:
            members = [self.total]
            slots = (self.last - self.first) / self.interval_s + 1
        else:
            slots = min(self.span, (self.last - self.first) / self.interval_s + 1)
            lo = self.last - (slots - 1) * self.interval_s
            members = [i for start, i in self.slots.items() if start >= lo]
        histogram = (LatencyHistogram.merged([m.histogram for m in members])
                     if self.latency and len(members) > 1
                     else members[0].histogram if self.latency and members else None)
        return observe(self.threshold.metric, histogram, sum(m.requests for m in members),
                       sum(m.failures for m in members), slots * self.interval_s)


class Gate:
    def __init__(self, thresholds: Sequence[Threshold] = (), interval_s: float = 1.0) -> None:
        self.thresholds = [t for t in thresholds if t.abort]
        self._running = [_Running(t, interval_s) for t in self.thresholds]

    @classmethod
    def from_plan(cls, plan: Plan) -> Gate:
        return cls(plan.thresholds, float(plan.interval_s))

    def add(self, interval: EndpointInterval) -> None:
        """A subscriber of the collector: every interval the run receives, once."""
        for running in self._running:
            running.add(interval)

    def check(self, elapsed_s: float) -> str | None:
        """The reason to stop the run now, or None: the first abort threshold that fails
        on the data received so far, once its grace period is over."""
        for running in self._running:
            threshold = running.threshold
            if elapsed_s < threshold.grace_s:
                continue
            value = running.observed()
            if value is not None and not holds(threshold, value):
                scope = f" on {threshold.endpoint}" if threshold.endpoint else ""
                return (f"threshold {threshold}{scope} breached at {elapsed_s:.0f}s "
                        f"(observed {show(threshold.metric, value)}); run aborted (abort=true"
                        + (f", grace {_num(threshold.grace_s)}s)" if threshold.grace_s else ")"))
        return None
