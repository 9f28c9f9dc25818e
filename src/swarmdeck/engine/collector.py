"""On the master (a local run is its own master): merge intervals as they arrive, keep the
last seconds in memory for the live view, and flush to the store at least every 2 s."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice

from swarmdeck.analysis.summary import EndpointSummary, aggregate, summarize, summarize_endpoint
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.store import Store

LIVE_WINDOW_S = 10


@dataclass(frozen=True)
class LiveStats:
    """What the live view shows: cumulative counts and the last LIVE_WINDOW_S seconds."""

    requests: int
    failures: int
    window_s: int
    window: EndpointSummary  # all endpoints, last window
    endpoints: list[EndpointSummary]  # per endpoint, last window


class Collector:
    def __init__(self, store: Store, run_id: int, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.run_id = run_id
        self.clock = clock
        self._pending: dict[tuple[int, str, str, str], EndpointInterval] = {}
        self._users: list[tuple[float, int]] = []
        self._recent: deque[EndpointInterval] = deque()
        self.requests = 0
        self.failures = 0
        self.flushed_requests = 0
        self._first_start: int | None = None
        self.intervals_added = 0  # how many intervals add() received, for added_since()
        self._newest = 0

    def add(self, intervals: Iterable[EndpointInterval]) -> None:
        for interval in intervals:
            if self._first_start is None or interval.start < self._first_start:
                self._first_start = interval.start
            self.requests += interval.requests
            self.failures += interval.failures
            self._recent.append(interval)
            self.intervals_added += 1
            self._newest = max(self._newest, interval.start)
            pending = self._pending.get(interval.key)
            if pending is None:  # a private copy: the live deque keeps the original intact
                pending = self._pending[interval.key] = EndpointInterval(
                    start=interval.start, method=interval.method, name=interval.name,
                    region=interval.region)
            pending.merge(interval)
        # keep only the live window (also under -q, where live() is never called)
        horizon = self._newest - 2 * LIVE_WINDOW_S
        while self._recent and self._recent[0].start < horizon:
            self._recent.popleft()

    def added_since(self, count: int) -> list[EndpointInterval]:
        """The intervals received after the first ``count`` (read-only: for the abort gate,
        which reads every second, so they are still among the recent ones)."""
        new = self.intervals_added - count
        if new <= 0:
            return []
        return list(islice(reversed(self._recent), min(new, len(self._recent))))[::-1]

    def add_users(self, users: int) -> None:
        self._users.append((self.clock(), users))

    def flush(self) -> None:
        """Write everything pending to the store (one transaction per call)."""
        pending, self._pending = list(self._pending.values()), {}
        users, self._users = self._users, []
        if pending:
            self.store.add_intervals(self.run_id, pending)
            self.flushed_requests += sum(i.requests for i in pending)
        if users:
            self.store.add_user_counts(self.run_id, users)
        self.store.heartbeat(self.run_id)

    def live(self, busiest: int = 8) -> LiveStats:
        """The last complete seconds (at most LIVE_WINDOW_S; fewer early in the run): the
        totals and the ``busiest`` endpoints only, so the cost stays flat with many names."""
        now = int(self.clock())
        horizon = now - LIVE_WINDOW_S
        while self._recent and self._recent[0].start < horizon:
            self._recent.popleft()
        span = LIVE_WINDOW_S
        if self._first_start is not None:
            span = max(1, min(LIVE_WINDOW_S, now - self._first_start))
        per_endpoint = aggregate(self._recent)
        top = sorted(per_endpoint, key=lambda k: -per_endpoint[k].requests)[:busiest]
        window, _ = summarize(per_endpoint, float(span), totals_only=True)
        endpoints = [summarize_endpoint(per_endpoint[k], float(span)) for k in top]
        return LiveStats(self.requests, self.failures, span, window, endpoints)
