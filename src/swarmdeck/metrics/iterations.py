"""The open model's iterations over one time slice, and their wire form.

Per second (the run's interval) and region: how many iterations fell due (``scheduled``),
how many a pooled user started (``started``) and how many were dropped (``dropped``: no
user was free within ``--max-lag``, or the run ended first), and the start lag of those
started (when a user picked the iteration up, minus when it was due), in an HDR histogram.
Each is counted in the second it happened: an iteration due at 10.9 s and dropped at 11.9 s
is scheduled in second 10 and dropped in second 11 (k6's ``dropped_iterations`` too). Over a
whole run, ``scheduled == started + dropped``.

Two slices with the same key (two workers, a late report) merge exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import DEFAULT_REGION


@dataclass
class IterationInterval:
    start: int  # epoch seconds of the slice's start
    region: str = DEFAULT_REGION
    scheduled: int = 0
    started: int = 0
    dropped: int = 0
    lag: LatencyHistogram = field(default_factory=LatencyHistogram)  # µs, started ones

    @property
    def key(self) -> tuple[int, str]:
        return (self.start, self.region)

    def merge(self, other: IterationInterval) -> None:
        self.scheduled += other.scheduled
        self.started += other.started
        self.dropped += other.dropped
        self.lag.merge(other.lag)

    def to_wire(self) -> dict[str, Any]:
        """Plain types only: travels in Locust's msgpack worker reports."""
        return {"start": self.start, "region": self.region, "scheduled": self.scheduled,
                "started": self.started, "dropped": self.dropped, "lag": self.lag.encode()}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> IterationInterval:
        return cls(start=int(data["start"]), region=str(data["region"]),
                   scheduled=int(data["scheduled"]), started=int(data["started"]),
                   dropped=int(data["dropped"]),
                   lag=LatencyHistogram.decode(bytes(data["lag"])))


def merged(intervals: list[IterationInterval], *, start: int = 0,
           region: str = "*") -> IterationInterval:
    """One slice holding all of ``intervals`` (which are not changed)."""
    total = IterationInterval(start=start, region=region)
    for interval in intervals:
        total.merge(interval)
    return total
