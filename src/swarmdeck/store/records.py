"""The plain records the store takes and returns: a run's metadata, list rows, timelines.

Datetimes are timezone-aware UTC; interval starts and user-count times are epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.records import FINAL_STATUSES, RunDetails, RunStatus

RUN_STATUSES = tuple(s.value for s in RunStatus)
__all__ = ["FINAL_STATUSES", "RUN_STATUSES", "Baseline", "Batch", "RunMeta", "RunRecord",
           "RunRow", "TimelinePoint"]


def run_duration_s(started_at: datetime, ended_at: datetime | None,
                   now: datetime | None = None) -> float:
    """A run's duration, the one rule: its end (or ``now`` while it runs) minus its start,
    never negative."""
    end = ended_at if ended_at is not None else (now or datetime.now(UTC))
    return max((end - started_at).total_seconds(), 0.0)


@dataclass(frozen=True, kw_only=True)
class RunMeta:
    """What a run was: everything needed to tell it apart from, and repeat, another run."""

    host: str
    locustfile: str
    locustfile_sha256: str
    plan: dict[str, Any]
    tags: dict[str, str]
    users: int | None
    spawn_rate: float | None
    run_time_s: float | None
    shape: str | None
    interval_s: float = 1.0
    swarmdeck_version: str
    locust_version: str
    python_version: str
    git_commit: str | None
    started_at: datetime  # UTC
    pid: int
    hostname: str


@dataclass(frozen=True)
class Batch:
    """One flush of a run's writer, written in one transaction: intervals and user-count
    samples (epoch seconds, users). With a ``key`` (the journal's ``<journal id>:<seq>``),
    writing it again changes nothing: it counts once (``Store.apply_batches``)."""

    key: str | None
    intervals: tuple[EndpointInterval, ...] = ()
    users: tuple[tuple[float, int], ...] = ()

    @property
    def requests(self) -> int:
        return sum(i.requests for i in self.intervals)

    @property
    def empty(self) -> bool:
        return not self.intervals and not self.users


@dataclass(frozen=True)
class RunRow:
    """One line of ``swarmdeck runs``; totals come from the run's rollup."""

    id: int
    started_at: datetime
    ended_at: datetime | None
    host: str
    locustfile: str
    users: int | None
    status: RunStatus
    requests: int
    failures: int
    # of the successful requests (of every request for runs stored before the split); None
    # until the run is finished and rolled up, or when no request succeeded
    p95_ms: float | None
    tags: dict[str, str] = field(default_factory=dict)

    def duration_s(self, now: datetime | None = None) -> float:
        """The run's duration: from its start to its end, or to ``now`` while it runs."""
        return run_duration_s(self.started_at, self.ended_at, now)


@dataclass(frozen=True)
class RunRecord:
    """A run as stored: its metadata, how it ended, and the span of its data."""

    id: int
    meta: RunMeta
    status: RunStatus
    ended_at: datetime | None
    message: str | None
    details: RunDetails  # empty while the run is running
    heartbeat_at: datetime
    requests: int
    failures: int
    p95_ms: float | None
    first_interval: int | None  # epoch seconds of the first interval's start
    last_interval: int | None  # epoch seconds of the last interval's start
    rolled_up: bool = field(default=False)  # finished rollups (the whole-run rows) exist
    # the 10 s / 60 s rollups cover every interval starting before this (epoch s); None: none
    rolled_until: int | None = field(default=None)

    def duration_s(self, now: datetime | None = None) -> float:
        """The run's duration: from its start to its end, or to ``now`` while it runs."""
        return run_duration_s(self.meta.started_at, self.ended_at, now)


@dataclass(frozen=True)
class TimelinePoint:
    """Totals over all endpoints and regions for one chart step ``[start, start + step)``."""

    start: int
    requests: int
    failures: int
    p50_ms: float | None  # of the successful requests; None for a step without any
    p95_ms: float | None
    p99_ms: float | None
    users: int | None  # the last user count sampled in or before the step


@dataclass(frozen=True)
class Baseline:
    """A name pointing at a run (``swarmdeck baseline set NAME RUN``)."""

    name: str
    run_id: int
    set_at: datetime  # UTC
