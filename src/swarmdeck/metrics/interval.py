"""One endpoint's measurements over one time slice, and their wire form.

An interval is keyed by its start (epoch seconds, aligned to the interval length), the
endpoint (method + name as Locust reports it) and the region of the worker that measured
it. Two intervals with the same key (two workers, a late report) merge exactly.

Latency is kept in two histograms (k6's ``expected_response``): ``histogram`` holds the
successful requests' response times, ``failed_histogram`` the failed ones' (None while
none failed). A refused connection answers in 1 ms and a timeout in 30 s: mixed in, either
would distort the percentiles of the responses the users actually got.

In an open-model run (docs/open-model.md) ``histogram`` holds the response time counted from
when each iteration was due (coordinated-omission correct: the first request of an
iteration that started late waited for its user), and ``service_histogram`` the same
successful requests as Locust measures them, from when each was sent. A closed-model run
has no ``service_histogram``: there the two are one (``service``).

Data recorded before the split (runs stored, or reports sent, by an older swarmdeck) has
failures but no ``failed_histogram``: its ``histogram`` holds every request, failed ones
included, and says so with ``unsplit``. Merging such data with split data keeps the merge
exact by folding the failed histogram back into ``histogram`` (the result is unsplit).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.server_timing import ServerTiming

DEFAULT_REGION = "local"
OTHER_NAME = "(other)"  # the endpoint that request names beyond the cap are folded into
MAX_NAMES = 500  # default cap on distinct request names per run (--max-names)


class EndpointKey(NamedTuple):
    method: str
    name: str


@dataclass
class EndpointInterval:
    start: int  # epoch seconds of the slice's start
    method: str
    name: str
    region: str = DEFAULT_REGION
    requests: int = 0
    failures: int = 0
    bytes: int = 0
    # response times of the successful requests (of every request when ``unsplit``)
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)
    errors: Counter[str] = field(default_factory=Counter)  # failure reason -> count
    # response times of the failed requests; None while none failed (or ``unsplit``)
    failed_histogram: LatencyHistogram | None = None
    # an open-model run: the successful requests' time as Locust measures it, from when each
    # was sent (``histogram`` counts from when its iteration was due); None: the same
    service_histogram: LatencyHistogram | None = None
    # what the successful responses' Server-Timing headers said; None when none had one
    server_timing: ServerTiming | None = None

    @property
    def key(self) -> tuple[int, str, str, str]:
        return (self.start, self.method, self.name, self.region)

    @property
    def endpoint(self) -> EndpointKey:
        return EndpointKey(self.method, self.name)

    @property
    def unsplit(self) -> bool:
        """Recorded before failures had their own histogram: ``histogram`` holds every
        request's response time, failed ones included."""
        return self.failures > 0 and self.failed_histogram is None

    @property
    def service(self) -> LatencyHistogram:
        """The successful requests' time from when each was sent (Locust's measure)."""
        return self.service_histogram if self.service_histogram is not None else self.histogram

    def _merge_service(self, other: EndpointInterval) -> None:
        """Before ``histogram`` merges: keep ``service_histogram`` exact when either side has
        one (a side without one has service == histogram)."""
        if self.service_histogram is None and other.service_histogram is None:
            return
        if self.service_histogram is None:  # never share the other's histogram
            self.service_histogram = LatencyHistogram()
            self.service_histogram.merge(self.histogram)
        self.service_histogram.merge(other.service)

    def merge(self, other: EndpointInterval) -> None:
        self._merge_service(other)
        unsplit = self.unsplit or other.unsplit
        self.requests += other.requests
        self.failures += other.failures
        self.bytes += other.bytes
        self.histogram.merge(other.histogram)
        self.errors.update(other.errors)
        theirs = other.failed_histogram
        if unsplit:  # exact as "every request": fold the failed latencies back in
            if self.failed_histogram is not None:
                self.histogram.merge(self.failed_histogram)
                self.failed_histogram = None
            if theirs is not None:
                self.histogram.merge(theirs)
        elif theirs is not None:
            if self.failed_histogram is None:  # never share the other's histogram
                self.failed_histogram = LatencyHistogram()
            self.failed_histogram.merge(theirs)
        timing = other.server_timing
        if timing is not None:
            if self.server_timing is None:  # never share the other's
                self.server_timing = timing.copy()
            else:
                self.server_timing.merge(timing)

    def to_wire(self) -> dict[str, Any]:
        """Plain types only: travels in Locust's msgpack worker reports."""
        failed = self.failed_histogram
        return {
            "start": self.start, "method": self.method, "name": self.name,
            "region": self.region, "requests": self.requests, "failures": self.failures,
            "bytes": self.bytes, "histogram": self.histogram.encode(),
            "errors": dict(self.errors),
            "failed_histogram": failed.encode() if failed is not None else None,
            **({"service_histogram": self.service_histogram.encode()}
               if self.service_histogram is not None else {}),
            "server_timing": (self.server_timing.encode()
                              if self.server_timing is not None else None),
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> EndpointInterval:
        """The interval ``to_wire`` sent; a report without ``failed_histogram`` (an older
        worker) reads as unsplit when it has failures; one without ``server_timing``, as
        without server timing."""
        failed, service = data.get("failed_histogram"), data.get("service_histogram")
        timing = data.get("server_timing")
        return cls(
            start=int(data["start"]), method=str(data["method"]), name=str(data["name"]),
            region=str(data["region"]), requests=int(data["requests"]),
            failures=int(data["failures"]), bytes=int(data["bytes"]),
            histogram=LatencyHistogram.decode(bytes(data["histogram"])),
            errors=Counter({str(k): int(v) for k, v in data["errors"].items()}),
            failed_histogram=(LatencyHistogram.decode(bytes(failed))
                              if failed is not None else None),
            service_histogram=(LatencyHistogram.decode(bytes(service))
                               if service is not None else None),
            server_timing=ServerTiming.decode(bytes(timing)) if timing is not None else None,
        )
