"""The recorder of an open-model run: every successful request in two histograms.

``histogram`` gets the response time counted from when the request's iteration was due —
for the first request of an iteration, its wait for a user and its start lag plus the time
Locust measured; for the others, the time Locust measured (the iteration was already under
way) — and ``service_histogram`` the time Locust measured, from when the request was sent.
A closed model hides a stall because busy users send late and time only from the send
(coordinated omission); counting from when the iteration was due does not. Failed
requests' times (``failed_histogram``) are counted from the due time too. What the server
said (``Server-Timing``) is split against the time from the send: the server cannot see
how long an iteration waited for a user.

Which request is an iteration's first: the pool tells the recorder, in the user's greenlet,
when that user's iteration was due (``begin_iteration``); the next request recorded in that
greenlet is the first and takes the due time with it. The hot path stays an append (two);
the rest is the closed model's recorder (engine/recorder.py).
"""

from __future__ import annotations

from typing import Any

from gevent import getcurrent

from swarmdeck.engine.recorder import Recorder, _Batch, _micros
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval


class _OpenBatch(_Batch):
    __slots__ = ("service",)

    def __init__(self, method: str, endpoint: str) -> None:
        super().__init__(method, endpoint)
        self.service: list[float] = []  # as Locust measured them; ``times``: from the due time


def _service_of(interval: EndpointInterval) -> LatencyHistogram:
    service = interval.service_histogram
    if service is None:
        service = interval.service_histogram = LatencyHistogram()
    return service


class OpenRecorder(Recorder):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._due: dict[Any, float] = {}  # greenlet -> when its iteration was due (epoch s)

    def begin_iteration(self, due: float) -> None:
        """In the user's greenlet, as its iteration starts."""
        self._due[getcurrent()] = due

    def _new_batch(self, method: str, endpoint: str) -> _Batch:
        return _OpenBatch(method, endpoint)

    def on_request(self, request_type: str, name: str, response_time: float | None,
                   response_length: int | None, response: Any = None, context: Any = None,
                   exception: BaseException | None = None, start_time: Any = None,
                   url: Any = None, **_: Any) -> None:
        measured = response_time or 0.0
        due = self._due.pop(getcurrent(), None)
        now = self.clock()
        if due is None:
            total = measured
        else:  # the iteration's first request: from when it was due
            sent = start_time if isinstance(start_time, float) else now - measured / 1000.0
            total = measured + max(sent - due, 0.0) * 1000.0
        if exception is None and now < self._fold_at:
            batch = self._batches.get((request_type, name))
            if batch is not None:
                kind = self._kinds.get(response.__class__)
                if kind is not None and response.status_code == 200 and (
                        kind or not response.history):
                    batch.times.append(total)
                    batch.service.append(measured)  # type: ignore[attr-defined]
                    if response_length:
                        batch.bytes += response_length
                    batch.last = response
                    timing = self._timing_of[response.__class__](response)
                    if timing is not None:  # the server's split: of the time from the send
                        timings = batch.timings
                        timings.append(timing)
                        batch.timed_ms += measured
                        if len(timings) >= self.timing_chunk:
                            self._fold_timings(batch)
                    return
        interval = self._record(request_type, name, total, response_length, response,
                                exception, measured)
        if exception is None:
            _service_of(interval).record(int(measured * 1000 + 0.5))

    def _fold(self, now: float | None) -> None:
        start = int(self._fold_at) - self.interval_s
        for batch in [*self._batches.values(), *self._dropped]:
            service: list[float] = batch.service  # type: ignore[attr-defined]
            if service:
                interval = self._interval(start, batch.method, batch.endpoint)
                _service_of(interval).record_many(_micros(service))
                batch.service = []  # type: ignore[attr-defined]
        super()._fold(now)
