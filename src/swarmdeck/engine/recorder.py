"""On every load-generating process: each request into an HDR histogram, per endpoint per
interval, listening on Locust's ``events.request`` (the same event Locust's stats use, so
the counts agree with Locust's own). Free of Locust imports, so it is tested on its own."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from swarmdeck.metrics.interval import DEFAULT_REGION, EndpointInterval

log = logging.getLogger(__name__)

OTHER = "(other)"


class Recorder:
    def __init__(self, *, interval_s: int = 1, region: str = DEFAULT_REGION,
                 max_names: int = 500, clock: Callable[[], float] = time.time,
                 describe_error: Callable[[BaseException], str] = repr) -> None:
        self.interval_s = interval_s
        self.region = region
        self.max_names = max_names
        self.clock = clock
        self.describe_error = describe_error  # the engine passes Locust's StatsError.parse_error
        self._open: dict[tuple[int, str, str], EndpointInterval] = {}
        self._names: set[tuple[str, str]] = set()
        self.folded: set[tuple[str, str]] = set()  # names beyond the cap, for the warning

    def interval_start(self, now: float) -> int:
        second = int(now)
        return second - second % self.interval_s

    def on_request(self, request_type: str, name: str, response_time: float | None,
                   response_length: int | None, exception: BaseException | None = None,
                   **_: Any) -> None:
        endpoint = (request_type, name)
        if endpoint not in self._names:
            if len(self._names) >= self.max_names:
                if endpoint not in self.folded:
                    if not self.folded:
                        log.warning("more than %d distinct request names: folding the rest "
                                    "into %r; group them with name=", self.max_names, OTHER)
                    self.folded.add(endpoint)
                endpoint = (request_type, OTHER)
            else:
                self._names.add(endpoint)
        start = self.interval_start(self.clock())
        key = (start, endpoint[0], endpoint[1])
        interval = self._open.get(key)
        if interval is None:
            interval = self._open[key] = EndpointInterval(
                start=start, method=endpoint[0], name=endpoint[1], region=self.region)
        interval.requests += 1
        interval.bytes += response_length or 0
        interval.histogram.record_ms(response_time or 0.0)
        if exception is not None:
            interval.failures += 1
            interval.errors[self.describe_error(exception)] += 1

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
