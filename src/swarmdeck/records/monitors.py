"""What the target side was doing (swarmdeck.monitors): each monitor source as the run saw
it, and each per-second series it produced, on the run's clock.

A series' points are stored in their own table (store/monitors.py); a ``MonitorSource``
(its spec with any password masked, how it went, its gaps, and PostgreSQL's top queries)
is kept with the run's details through ``records.codec``. Reports, thresholds and
findings read ``MonitorSeries`` (points in seconds since the run's start).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

# units a series is stored in (a threshold's value is converted to it)
PERCENT = "%"
BYTES = "B"
MILLISECONDS = "ms"
PER_SECOND = "/s"
COUNT = ""


class Reading(NamedTuple):
    """One value a sampler read (monitors/sampler.py)."""

    name: str  # the series (with the monitor's NAME= prefix once the runner names it)
    value: float
    unit: str


@dataclass(frozen=True)
class Batch:
    """What one monitor gave for one second (monitors/runner.py): readings, or an error."""

    monitor: int  # the index of its spec in the run's list
    at: int  # the epoch second the readings describe
    readings: tuple[Reading, ...] = ()
    error: str | None = None  # the source failed this second (one line, no secrets)


@dataclass(frozen=True)
class MonitorPoint:
    """One value of one series over one second: ``at`` is the epoch second the value
    describes (a rate over ``[at, at + 1)``, a gauge read at its end)."""

    series: str  # e.g. "cpu", "gunicorn.utilization", "pg.connections"
    at: int
    value: float
    unit: str = COUNT
    source: str = ""  # the monitor's spec, password masked


TOP_QUERY_TEXT = 500  # characters of a statement's text a monitor keeps


@dataclass(frozen=True)
class TopQuery:
    """A statement from pg_stat_statements, its change over the run."""

    query: str  # normalised by PostgreSQL (constants replaced by $1...), bounded
    calls: int
    total_ms: float
    mean_ms: float
    rows: int


@dataclass(frozen=True)
class MonitorSource:
    """One ``--monitor`` of the run: what it is and how sampling it went."""

    spec: str  # as given, password masked
    kind: str  # process, statsd, postgresql, redis, prometheus, agent
    status: str = "ok"  # ok | unreachable (never connected) | lost (mid-run, some gaps)
    message: str | None = None  # the last error, when not ok
    samples: int = 0  # seconds sampled
    gaps: tuple[tuple[float, float], ...] = ()  # (start_s, end_s) since the run's start
    top_queries: tuple[TopQuery, ...] = ()  # postgresql with pg_stat_statements

    @property
    def summary_line(self) -> str | None:
        """One line for the summary's warnings when the source was not fine throughout."""
        if self.status == "ok":
            return None
        gaps = sum(end - start for start, end in self.gaps)
        what = ("could not be reached" if self.status == "unreachable"
                else f"was lost for {gaps:.0f} s in {len(self.gaps)} gap"
                     f"{'s' if len(self.gaps) != 1 else ''}")
        return f"monitor {self.spec} {what}" + (f": {self.message}" if self.message else "")


@dataclass(frozen=True)
class MonitorSeries:
    """One series over the run: points as (seconds since the run's start, value), in time
    order; a second without a point is a gap."""

    name: str
    source: str
    unit: str
    points: tuple[tuple[float, float], ...]

    @property
    def values(self) -> list[float]:
        return [v for _, v in self.points if math.isfinite(v)]

    @property
    def mean(self) -> float | None:
        values = self.values
        return sum(values) / len(values) if values else None

    @property
    def peak(self) -> float | None:
        values = self.values
        return max(values) if values else None

    def between(self, start_s: float, end_s: float) -> MonitorSeries:
        """The points with ``start_s <= t < end_s``."""
        return MonitorSeries(self.name, self.source, self.unit,
                             tuple(p for p in self.points if start_s <= p[0] < end_s))


def is_worker_series(name: str) -> bool:
    """A per-worker series of a process monitor (``worker.1234.cpu``): shown in the charts
    and the JSON, folded out of the terminal's table."""
    return name.startswith("worker.") or ".worker." in name


def find_series(series: Sequence[MonitorSeries], name: str) -> MonitorSeries | None:
    return next((s for s in series if s.name == name), None)
