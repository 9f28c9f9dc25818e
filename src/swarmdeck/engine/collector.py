"""On the master (a local run is its own master): every interval the run's source hands
over goes, once, to each of the collector's subscribers: the store buffer (merged by key,
flushed at least every 2 s as one batch to the run's writer, which journals it and writes
it to the store: swarmdeck.journal), the live view's window, and the abort gate.

Subscribers get the interval itself and must not change it (they merge it into their own
state). One key may arrive in pieces (two workers, a late report): they add, never replace.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from swarmdeck.analysis.summary import LiveStats, aggregate, summarize, summarize_endpoint
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.store import Batch

LIVE_WINDOW_S = 10


class Subscriber(Protocol):
    def add(self, interval: EndpointInterval) -> None: ...


class BatchSink(Protocol):
    """Where flushed batches go: the run's writer (journal.JournaledWriter)."""

    def submit(self, batch: Batch) -> None: ...


class StoreBuffer:
    """What the next flush hands the writer: intervals merged by key, the user counts (an
    empty batch: a heartbeat)."""

    def __init__(self, sink: BatchSink) -> None:
        self.sink = sink
        self._pending: dict[tuple[int, str, str, str], EndpointInterval] = {}
        self._users: list[tuple[float, int]] = []
        self.flushed_requests = 0

    def add(self, interval: EndpointInterval) -> None:
        pending = self._pending.get(interval.key)
        if pending is None:  # a private copy: other subscribers keep the original intact
            pending = self._pending[interval.key] = EndpointInterval(
                start=interval.start, method=interval.method, name=interval.name,
                region=interval.region)
        pending.merge(interval)

    def add_users(self, at: float, users: int) -> None:
        self._users.append((at, users))

    def flush(self) -> None:
        """Hand everything pending to the writer as one batch."""
        pending, self._pending = tuple(self._pending.values()), {}
        users, self._users = tuple(self._users), []
        self.sink.submit(Batch(None, pending, users))
        self.flushed_requests += sum(i.requests for i in pending)


class LiveWindow:
    """The last seconds' intervals, for the live view; older ones are forgotten as new ones
    arrive (also under -q, where nothing asks for the statistics)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._recent: deque[EndpointInterval] = deque()
        self._first_start: int | None = None
        self._newest = 0

    def __len__(self) -> int:
        return len(self._recent)

    def add(self, interval: EndpointInterval) -> None:
        start = interval.start
        if self._first_start is None or start < self._first_start:
            self._first_start = start
        if start > self._newest:
            self._newest = start
            self._forget(start - 2 * LIVE_WINDOW_S)
        elif start < self._newest - 2 * LIVE_WINDOW_S:
            return  # a late report, long out of the window
        self._recent.append(interval)

    def _forget(self, horizon: int) -> None:
        while self._recent and self._recent[0].start < horizon:
            self._recent.popleft()

    def stats(self, requests: int, failures: int, busiest: int = 8) -> LiveStats:
        """The last complete seconds (at most LIVE_WINDOW_S; fewer early in the run): the
        totals and the ``busiest`` endpoints only, so the cost stays flat with many names."""
        now = int(self.clock())
        horizon = now - LIVE_WINDOW_S
        self._forget(horizon)
        span = LIVE_WINDOW_S
        if self._first_start is not None:
            span = max(1, min(LIVE_WINDOW_S, now - self._first_start))
        per_endpoint = aggregate(i for i in self._recent if i.start >= horizon)
        top = sorted(per_endpoint, key=lambda k: -per_endpoint[k].requests)[:busiest]
        window, _ = summarize(per_endpoint, float(span), totals_only=True)
        endpoints = [summarize_endpoint(per_endpoint[k], float(span)) for k in top]
        return LiveStats(requests, failures, span, window, endpoints)


class Collector:
    def __init__(self, sink: BatchSink, *, subscribers: Iterable[Subscriber] = (),
                 clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.buffer = StoreBuffer(sink)
        self.window = LiveWindow(clock)
        self._subscribers: list[Subscriber] = [self.buffer, self.window, *subscribers]
        self.requests = 0  # cumulative, for the live view
        self.failures = 0

    def subscribe(self, subscriber: Subscriber) -> None:
        """From now on, hand ``subscriber`` every interval that arrives."""
        self._subscribers.append(subscriber)

    def add(self, intervals: Iterable[EndpointInterval]) -> None:
        subscribers = self._subscribers
        for interval in intervals:
            self.requests += interval.requests
            self.failures += interval.failures
            for subscriber in subscribers:
                subscriber.add(interval)

    def add_users(self, users: int) -> None:
        self.buffer.add_users(self.clock(), users)

    def flush(self) -> None:
        self.buffer.flush()

    @property
    def flushed_requests(self) -> int:
        return self.buffer.flushed_requests

    def live(self, busiest: int = 8) -> LiveStats:
        return self.window.stats(self.requests, self.failures, busiest)
