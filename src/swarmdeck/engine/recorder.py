"""On every load-generating process: each request into an HDR histogram, per endpoint per
interval, listening on Locust's ``events.request`` (the same event Locust's stats use, so
the counts agree with Locust's own). Each request is recorded under its endpoint
(engine/endpoints.py: its name, the template its ids group into, or the catch-all past the
cap). Successes and failures go into separate histograms (``EndpointInterval.histogram``
and ``failed_histogram``). Free of Locust imports, so it is tested on its own.

The listener is the generator's hot path, so the common case is kept to an append: a
request that succeeded with a 200, of a name already seen, whose response needs no closer
look (no redirects followed), has its response time appended to its name's `_Batch`; once
the interval's slice has ended, each batch is folded into its interval's histogram at
once (``LatencyHistogram.record_many``, numpy) and the observer (the evidence) is told the
count. Anything else — a failure, another status, a new name, a response of a kind not
seen before, the first request past the slice's end — takes the full path (``_record``),
which records it directly. Both paths give the same intervals (tests/engine/
test_recorder.py checks it against a request-by-request model).

A successful response's ``Server-Timing`` header is kept too: on the hot path only its raw
entry is taken from the headers mapping (engine/timing_headers.py, one dict lookup) and
appended to the batch; the fold parses the batch's headers and records them into the
interval's ``server_timing`` (metrics/server_timing.py). A batch that reaches
``TIMING_CHUNK`` headers within its second has them folded then (``_fold_timings``), while
they are still in the processor's caches: read a second later, a busy endpoint's headers
cost twice as much. The full path parses at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from swarmdeck.engine import timing_headers
from swarmdeck.engine.endpoints import EndpointNames
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import DEFAULT_REGION, EndpointInterval
from swarmdeck.metrics.server_timing import ServerTiming

TIMING_CHUNK = 1024  # Server-Timing headers a batch holds before they are folded


class RequestObserver(Protocol):
    """Told of every request after its endpoint is known (the run's evidence)."""

    def observe(self, request_type: str, endpoint: str, response: Any) -> None:
        """One request, by the full path."""

    def observe_ok(self, request_type: str, endpoint: str, count: int, sample: Any) -> None:
        """``count`` requests answered 200 with nothing more to look at; ``sample`` is
        the last of their responses."""


class _Batch:
    """One request name's plain successes since the last fold (the hot path appends)."""

    __slots__ = ("bytes", "endpoint", "last", "method", "timed_ms", "times", "timings")

    def __init__(self, method: str, endpoint: str) -> None:
        self.method = method
        self.endpoint = endpoint
        self.times: list[float] = []  # response times, ms
        self.bytes = 0
        self.last: Any = None  # the latest response (the observer samples its headers)
        self.timings: list[Any] = []  # raw Server-Timing entries (timing_headers)
        self.timed_ms = 0.0  # the response times of the responses that had one, summed


def _micros(times_ms: list[float]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Response times (ms) as whole µs, rounded as ``int(ms * 1000 + 0.5)``."""
    try:
        ms = np.asarray(times_ms, dtype=np.float64)
    except (TypeError, ValueError):  # a custom client's None or odd value
        ms = np.asarray([float(t or 0.0) for t in times_ms], dtype=np.float64)
    return (ms * 1000.0 + 0.5).astype(np.int64)


class Recorder:
    timing_chunk = TIMING_CHUNK

    def __init__(self, *, interval_s: int = 1, region: str = DEFAULT_REGION,
                 names: EndpointNames | None = None, clock: Callable[[], float] = time.time,
                 describe_error: Callable[[Any], str] = repr,
                 observer: RequestObserver | None = None) -> None:
        self.interval_s = interval_s
        self.region = region
        self.names = names if names is not None else EndpointNames()
        self.clock = clock
        self.describe_error = describe_error  # the engine passes Locust's StatsError.parse_error
        # also told of every request: the evidence. One listener on Locust's event instead
        # of two: the hot path pays one call
        self.observer = observer
        self._open: dict[tuple[int, str, str], EndpointInterval] = {}
        self._fold_at = 0.0  # the end of the slice the batches belong to
        self._batches: dict[tuple[str, str], _Batch] = {}  # (method, name) -> its batch
        self._dropped: list[_Batch] = []  # batches left out of _batches, not yet folded
        self._resets = self.names.resets
        # response class -> True: never looked at closer; False: only when it followed
        # redirects (requests' ``history``); None: always by the full path
        self._kinds: dict[type, bool | None] = {}
        # response class -> its Server-Timing reader (engine/timing_headers.py)
        self._timing_of: dict[type, timing_headers.Reader] = {}

    def interval_start(self, now: float) -> int:
        second = int(now)
        return second - second % self.interval_s

    def on_request(self, request_type: str, name: str, response_time: float | None,
                   response_length: int | None, response: Any = None, context: Any = None,
                   exception: BaseException | None = None, start_time: Any = None,
                   url: Any = None, **_: Any) -> None:
        """Called for every request: kept short, it is the generator's hot path (Locust's
        arguments are named so that no dict is built for them)."""
        if exception is None and self.clock() < self._fold_at:
            batch = self._batches.get((request_type, name))
            if batch is not None:
                kind = self._kinds.get(response.__class__)
                if kind is not None and response.status_code == 200 and (
                        kind or not response.history):
                    batch.times.append(response_time)  # type: ignore[arg-type]
                    if response_length:
                        batch.bytes += response_length
                    batch.last = response
                    timing = self._timing_of[response.__class__](response)
                    if timing is not None:
                        timings = batch.timings
                        timings.append(timing)
                        batch.timed_ms += response_time  # type: ignore[operator]
                        if len(timings) >= self.timing_chunk:
                            self._fold_timings(batch)
                    return
        self._record(request_type, name, response_time, response_length, response, exception)

    def _record(self, request_type: str, name: str, response_time: float | None,
                response_length: int | None, response: Any,
                exception: BaseException | None,
                sent_ms: float | None = None) -> EndpointInterval:
        """The full path: one request recorded directly (into the interval returned).
        ``sent_ms``: the time from the send, for the Server-Timing split, when
        ``response_time`` counts from elsewhere (the open model's due time)."""
        now = self.clock()
        if now >= self._fold_at:
            self._fold(now)
        names = self.names
        endpoint = names.endpoint(request_type, name)
        if names.resets != self._resets:  # its cache started over: so do the batches
            self._resets = names.resets
            self._dropped.extend(self._batches.values())
            self._batches.clear()
        interval = self._interval(self.interval_start(now), request_type, endpoint)
        interval.requests += 1
        if response_length:
            interval.bytes += response_length
        if exception is None:
            interval.histogram.record(int((response_time or 0.0) * 1000 + 0.5))
            self._admit(request_type, name, endpoint, response)
            reader = self._timing_of.get(response.__class__)
            value = timing_headers.header_value(reader(response)) if reader else None
            if value is not None:
                _server_timing(interval).add_headers(
                    [value], (response_time if sent_ms is None else sent_ms) or 0.0)
        else:  # failures have their own histogram (a refused connection answers in 1 ms)
            interval.failures += 1
            interval.errors[self.describe_error(exception)] += 1
            failed = interval.failed_histogram
            if failed is None:
                failed = interval.failed_histogram = LatencyHistogram()
            failed.record(int((response_time or 0.0) * 1000 + 0.5))
        if self.observer is not None:
            self.observer.observe(request_type, endpoint, response)
        return interval

    def _new_batch(self, method: str, endpoint: str) -> _Batch:
        return _Batch(method, endpoint)

    def _admit(self, request_type: str, name: str, endpoint: str, response: Any) -> None:
        """After a success by the full path: the next requests of this name may take the
        hot path, if its responses are of a kind the hot path can read."""
        cls = response.__class__
        if cls not in self._kinds:
            if not isinstance(getattr(response, "status_code", None), int):
                self._kinds[cls] = None  # not an HTTP response (a custom client's event)
            else:
                self._kinds[cls] = not hasattr(response, "history")
                self._timing_of[cls] = timing_headers.reader_for(response)
        if self._kinds[cls] is not None and (request_type, name) not in self._batches:
            self._batches[(request_type, name)] = self._new_batch(request_type, endpoint)

    def _interval(self, start: int, method: str, endpoint: str) -> EndpointInterval:
        key = (start, method, endpoint)
        interval = self._open.get(key)
        if interval is None:
            interval = self._open[key] = EndpointInterval(
                start=start, method=method, name=endpoint, region=self.region)
        return interval

    def _fold(self, now: float | None) -> None:
        """Each batch into its interval (the slice ending at ``_fold_at``); with ``now``,
        the batches then belong to the slice holding ``now``."""
        start = int(self._fold_at) - self.interval_s
        for batch in [*self._batches.values(), *self._dropped]:
            times = batch.times
            if not times:
                continue
            interval = self._interval(start, batch.method, batch.endpoint)
            interval.requests += len(times)
            interval.bytes += batch.bytes
            interval.histogram.record_many(_micros(times))
            if batch.timings:
                self._fold_timings(batch, interval)
            if self.observer is not None:
                self.observer.observe_ok(batch.method, batch.endpoint, len(times), batch.last)
            batch.times, batch.bytes, batch.last = [], 0, None
        self._dropped.clear()
        if now is not None:
            self._fold_at = float(self.interval_start(now) + self.interval_s)

    def _fold_timings(self, batch: _Batch, interval: EndpointInterval | None = None) -> None:
        """The batch's Server-Timing headers into its interval (the slice ending at
        ``_fold_at``)."""
        if interval is None:
            interval = self._interval(int(self._fold_at) - self.interval_s, batch.method,
                                      batch.endpoint)
        _server_timing(interval).add_headers(
            timing_headers.header_values(batch.timings), batch.timed_ms)
        batch.timings, batch.timed_ms = [], 0.0

    def take_closed(self) -> list[EndpointInterval]:
        """Intervals that can no longer receive requests (their slice has ended)."""
        now = self.clock()
        if now >= self._fold_at:
            self._fold(now)
        current = self.interval_start(now)
        closed = [k for k in self._open if k[0] < current]
        return [self._open.pop(k) for k in closed]

    def take_all(self) -> list[EndpointInterval]:
        self._fold(None)
        intervals = list(self._open.values())
        self._open.clear()
        return intervals

    def attach(self, events: Any) -> None:
        events.request.add_listener(self.on_request)

    def detach(self, events: Any) -> None:
        events.request.remove_listener(self.on_request)


def _server_timing(interval: EndpointInterval) -> ServerTiming:
    timing = interval.server_timing
    if timing is None:
        timing = interval.server_timing = ServerTiming()
    return timing
