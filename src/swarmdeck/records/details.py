"""Everything a run keeps besides its metadata and its measurements: how it ended, what
Locust counted, warnings, script errors, the generators' evidence, the workers, the
request names grouped into templates, the times the store did not answer, and the verdict (thresholds, findings, comparison). Stored as one JSON column through
``records.codec``; a new kind of per-run data is a new field here and its codec lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from swarmdeck.records.comparison import Comparison
from swarmdeck.records.evidence import EvidenceRecord
from swarmdeck.records.monitors import MonitorSource
from swarmdeck.records.openmodel import OpenModelRecord
from swarmdeck.records.status import Ending
from swarmdeck.records.verdict import Finding, ThresholdOutcome


@dataclass(frozen=True)
class LocustError:
    """An exception a task raised, as Locust's runner counted it (``runner.exceptions``)."""

    count: int
    message: str
    nodes: tuple[str, ...] = ()  # the generators it happened on


@dataclass(frozen=True)
class ScriptError:
    """Exceptions raised by the script's tasks (or ``on_start``), grouped by exception type
    and place: the innermost frame in the user's own files (the locustfile and the modules
    beside it), else the innermost frame. Counted on every generator (engine/script_errors.py)
    and merged on the master: counts add, ``first_at`` is the earliest, ``last_at`` the latest."""

    type: str  # the exception's class name, e.g. "JSONDecodeError"
    file: str  # relative to the locustfile's folder when inside it, else as Python names it
    line: int
    count: int
    first_at: float  # epoch seconds
    last_at: float
    message: str  # one sample, str(exception), bounded

    @property
    def where(self) -> str:
        """``public_pages.py:31`` (the file alone without a line)"""
        return f"{self.file}:{self.line}" if self.line else (self.file or "?")


@dataclass(frozen=True)
class WorkerRecord:
    """A worker that joined a distributed run."""

    id: str
    region: str
    hostname: str
    joined_at: float  # epoch seconds
    lost_at: float | None = None  # epoch seconds, when it was lost mid-run
    # (from, to) epoch seconds: silent, then heard from again (a partition that healed);
    # its reports of those seconds arrived late and were merged
    absent: tuple[tuple[float, float], ...] = ()
    # an open-model run: (scheduled, started, dropped) iterations, as its reports said
    iterations: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class StoreOutage:
    """A time the results database did not answer the run's writer (engine/storing.py):
    from its first failed write to the first one that succeeded again. Meanwhile the run
    went on, its results kept in the run's journal and written in order once it answered."""

    began_at: float  # epoch seconds: the first write that failed
    ended_at: float | None  # the first that succeeded again; None: still away at the end
    failed_writes: int  # attempts that failed, retries included
    reason: str  # the first failure, one line (the URL's password masked)

    @property
    def seconds(self) -> float | None:
        """How long the store was away; None when it was still away at the end."""
        return None if self.ended_at is None else max(self.ended_at - self.began_at, 0.0)


@dataclass(frozen=True)
class NameGroup:
    """Request names the generators recorded under one template (engine/naming.py): ids in
    URLs grouped automatically, so that nothing is merged without a trace."""

    method: str
    template: str  # the endpoint's name: "/items/{id}"
    names: int  # distinct original names it absorbed
    exact: bool = True  # False: ``names`` is an estimate (within a few %, beyond 256)
    samples: tuple[str, ...] = ()  # the first few of them


@dataclass(frozen=True)
class RunDetails:
    ending: Ending | None = None  # None while running, and for runs stored before endings
    locust_requests: int | None = None  # Locust's own counters at the end
    locust_failures: int | None = None
    warnings: tuple[str, ...] = ()
    exceptions: tuple[LocustError, ...] = ()  # Locust's own count, per distinct traceback
    evidence: EvidenceRecord | None = None
    workers: tuple[WorkerRecord, ...] = ()
    refused: Mapping[str, str] = field(default_factory=dict)  # worker id -> why
    name_groups: tuple[NameGroup, ...] = ()  # request names grouped into templates
    # the verdict, stored after the run by swarmdeck.verdict.judge
    thresholds: tuple[ThresholdOutcome, ...] = ()
    findings: tuple[Finding, ...] = ()
    comparison: Comparison | None = None
    # script errors, grouped (swarmdeck's own count), and the file holding their tracebacks
    script_errors: tuple[ScriptError, ...] = ()
    script_errors_log: str | None = None
    # the target side's monitors (swarmdeck.monitors): how each went; their series are
    # stored in their own tables
    monitors: tuple[MonitorSource, ...] = ()
    # the times the results database did not answer the run's writer (details version 3)
    store_outages: tuple[StoreOutage, ...] = ()
    open_model: OpenModelRecord | None = None  # an open-model run's pool (and capacity search)

    @property
    def script_error_count(self) -> int:
        """How many exceptions the script's tasks raised: swarmdeck's grouped count, or
        Locust's own (``exceptions``) when larger (a run stored before the groups existed,
        or a worker whose last report was lost)."""
        return max(sum(e.count for e in self.script_errors),
                   sum(e.count for e in self.exceptions))

    @property
    def gates_failed(self) -> list[str]:
        """Why the gates failed, one sentence each (empty when they held)."""
        reasons = [f"threshold {t.where} failed: observed {t.observed_text}"
                   for t in self.thresholds if not t.passed]
        if self.comparison is not None:
            reasons += self.comparison.budget_failures
        return reasons
