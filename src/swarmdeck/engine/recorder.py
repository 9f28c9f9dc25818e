"""On every load-generating process: each request into an HDR histogram, per endpoint per
interval, listening on Locust's ``events.request`` (the same event Locust's stats use, so
the counts agree with Locust's own). Each request is recorded under its endpoint
(engine/endpoints.py: its name, the template its ids group into, or the catch-all past the
cap). Successes and failures go into separate histograms (``EndpointInterval.histogram``
and ``failed_histogram``). Free of Locust imports, so it is tested on its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from swarmdeck.engine.endpoints import EndpointNames
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import DEFAULT_REGION, EndpointInterval


class Recorder:
    def __init__(self, *, interval_s: int = 1, region: str = DEFAULT_REGION,
                 names: EndpointNames | None = None, clock: Callable[[], float] = time.time,
                 describe_error: Callable[[Any], str] = repr,
                 observe: Callable[[str, str, Any], None] | None = None) -> None:
        self.interval_s = interval_s
        self.region = region
        self.names = names if names is not None else EndpointNames()
        self._endpoints = self.names.cache  # the same dict: read on the hot path
        self.clock = clock
        self.describe_error = describe_error  # the engine passes Locust's StatsError.parse_error
        # also told of every request (method, endpoint, response): the evidence. One listener
        # on Locust's event instead of two: the hot path pays one call and one name lookup
        self.observe = observe
        self._open: dict[tuple[int, str, str], EndpointInterval] = {}

    def interval_start(self, now: float) -> int:
        second = int(now)
        return second - second % self.interval_s

    def on_request(self, request_type: str, name: str, response_time: float | None,
                   response_length: int | None, response: Any = None, context: Any = None,
                   exception: BaseException | None = None, start_time: Any = None,
                   url: Any = None, **_: Any) -> None:
        """Called for every request: kept short, it is the generator's hot path (Locust's
        arguments are named so that no dict is built for them)."""
        endpoint = self._endpoints.get((request_type, name))
        if endpoint is None:
            endpoint = self.names.endpoint(request_type, name)
        second = int(self.clock())
        start = second - second % self.interval_s
        key = (start, request_type, endpoint)
        interval = self._open.get(key)
        if interval is None:
            interval = self._open[key] = EndpointInterval(
                start=start, method=request_type, name=endpoint, region=self.region)
        interval.requests += 1
        if response_length:
            interval.bytes += response_length
        if exception is None:
            interval.histogram.record(int((response_time or 0.0) * 1000 + 0.5))
        else:  # failures have their own histogram (a refused connection answers in 1 ms)
            interval.failures += 1
            interval.errors[self.describe_error(exception)] += 1
            failed = interval.failed_histogram
            if failed is None:
                failed = interval.failed_histogram = LatencyHistogram()
            failed.record(int((response_time or 0.0) * 1000 + 0.5))
        if self.observe is not None:
            self.observe(request_type, endpoint, response)

    def take_closed(self) -> list[EndpointInterval]:
        """Intervals that can no longer receive requests (their slice has ended)."""
        current = self.interval_start(self.clock())
        closed = [k for k in self._open if k[0] < current]
        return [self._open.pop(k) for k in closed]

    def take_all(self) -> list[EndpointInterval]:
        intervals = list(self._open.values())
        self._open.clear()
        return intervals

    def attach(self, events: Any) -> None:
        events.request.add_listener(self.on_request)

    def detach(self, events: Any) -> None:
        events.request.remove_listener(self.on_request)
