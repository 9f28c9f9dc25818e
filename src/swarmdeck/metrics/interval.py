"""One endpoint's measurements over one time slice, and their wire form.

An interval is keyed by its start (epoch seconds, aligned to the interval length), the
endpoint (method + name as Locust reports it) and the region of the worker that measured
it. Two intervals with the same key (two workers, a late report) merge exactly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from swarmdeck.metrics.histogram import LatencyHistogram

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
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)
    errors: Counter[str] = field(default_factory=Counter)  # failure reason -> count

    @property
    def key(self) -> tuple[int, str, str, str]:
        return (self.start, self.method, self.name, self.region)

    @property
    def endpoint(self) -> EndpointKey:
        return EndpointKey(self.method, self.name)

    def merge(self, other: EndpointInterval) -> None:
        self.requests += other.requests
        self.failures += other.failures
        self.bytes += other.bytes
        self.histogram.merge(other.histogram)
        self.errors.update(other.errors)

    def to_wire(self) -> dict[str, Any]:
        """Plain types only: travels in Locust's msgpack worker reports."""
        return {
            "start": self.start, "method": self.method, "name": self.name,
            "region": self.region, "requests": self.requests, "failures": self.failures,
            "bytes": self.bytes, "histogram": self.histogram.encode(),
            "errors": dict(self.errors),
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> EndpointInterval:
        return cls(
            start=int(data["start"]), method=str(data["method"]), name=str(data["name"]),
            region=str(data["region"]), requests=int(data["requests"]),
            failures=int(data["failures"]), bytes=int(data["bytes"]),
            histogram=LatencyHistogram.decode(bytes(data["histogram"])),
            errors=Counter({str(k): int(v) for k, v in data["errors"].items()}),
        )
