"""The comparison of a run with another (``swarmdeck compare``, ``run --compare-to``): per
endpoint and overall, both runs' numbers, each change with its confidence interval, and a
verdict; then the ``--max-regression`` budgets and whether they held.

Built by ``swarmdeck.analysis.compare`` (the rows) and ``swarmdeck.verdict.comparison``
(the runs and the budgets); its JSON form (``records.codec.comparison_to_json``) is the
``compare --json`` output and the run summary's ``"comparison"`` (docs/compare.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from swarmdeck.labels import endpoint_label

# the changes of a row, in this order; error_rate in percentage points, the others in %
CHANGE_METRICS = ("p50", "p95", "p99", "rps", "error_rate")


class RowVerdict(StrEnum):
    """What a row says about the comparison's metric (docs/compare.md)."""

    SLOWER = "slower"
    FASTER = "faster"
    NO_SIGNIFICANT_CHANGE = "no significant change"
    NOT_ENOUGH_DATA = "not enough data"
    ONLY_IN_BASE = "only in base"
    ONLY_IN_CANDIDATE = "only in candidate"

    @property
    def compared(self) -> bool:
        """Both runs had enough data on the row for its changes to count."""
        return self in (RowVerdict.SLOWER, RowVerdict.FASTER,
                        RowVerdict.NO_SIGNIFICANT_CHANGE)


@dataclass(frozen=True)
class RunRef:
    """One of the two runs compared, and how the user named it (``baseline:main``)."""

    run_id: int
    ref: str  # as given: a run id, "last", "baseline:NAME"
    started_at: datetime
    host: str
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``run 3 (baseline:main)``, or ``run 3`` when it was named by its id."""
        return f"run {self.run_id}" + (f" ({self.ref})" if self.ref != str(self.run_id) else "")


@dataclass(frozen=True)
class SideStats:
    """One run's numbers on a row, from the exact merged HDR histograms: percentiles of the
    successful requests (None when none succeeded)."""

    requests: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    error_rate: float  # a fraction: 0.012 is 1.2 %

    def value(self, metric: str) -> float | None:
        """The value of ``p50``, ``p95``, ``p99``, ``rps`` or ``error_rate``."""
        values = {"p50": self.p50_ms, "p95": self.p95_ms, "p99": self.p99_ms,
                  "rps": self.rps, "error_rate": self.error_rate}
        return values[metric]


@dataclass(frozen=True)
class Change:
    """The candidate's change against the base and its confidence interval: relative, in
    percent (``unit="pct"``, latency and requests/s), or in percentage points
    (``unit="pp"``, the error rate). ``None`` where it cannot be computed (a base of 0)."""

    change: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool  # the CI excludes 0 and the change is at least the practical minimum
    unit: Literal["pct", "pp"] = "pct"

    @property
    def suffix(self) -> str:
        return "%" if self.unit == "pct" else " pp"


@dataclass(frozen=True)
class ComparisonRow:
    """One endpoint (or the overall row, every endpoint merged) in both runs."""

    method: str
    name: str
    overall: bool
    base: SideStats | None  # None: the run never called it
    candidate: SideStats | None
    changes: Mapping[str, Change]  # by metric (CHANGE_METRICS); empty unless in both runs
    verdict: RowVerdict

    @property
    def label(self) -> str:
        """``overall`` or ``GET /cart`` (``swarmdeck.labels.endpoint_label``)."""
        return "overall" if self.overall else endpoint_label(self.method, self.name)

    @property
    def significant(self) -> bool:
        """Any of its changes is significant."""
        return any(c.significant for c in self.changes.values())


@dataclass(frozen=True)
class MonitorMeans:
    """A monitor series' mean in both runs (``swarmdeck compare`` shows them side by side;
    no verdict: a mean of a second-by-second series is context, not a measured change)."""

    name: str
    unit: str
    base: float | None  # None: the run had no such series
    candidate: float | None

    @property
    def change_pct(self) -> float | None:
        if self.base is None or self.candidate is None or self.base == 0:
            return None
        return 100.0 * (self.candidate - self.base) / abs(self.base)


@dataclass(frozen=True)
class ServerChange:
    """One endpoint's median of one server-side measure in both runs, from what the server
    said (``Server-Timing``): the queries per request, or a metric's time (``app``, ``db``,
    ``tpl``, ``queue``). The server's own numbers side by side; no bootstrap, no verdict."""

    method: str
    name: str
    metric: str  # "queries", or the Server-Timing metric's name
    base: float | None  # the base run's median (ms, or queries); None: it did not say
    candidate: float | None
    unit: Literal["ms", "queries"] = "ms"

    @property
    def label(self) -> str:
        return endpoint_label(self.method, self.name)


@dataclass(frozen=True)
class Comparison:
    """Two runs compared, with budgets applied. When the base could not be resolved
    (``run --compare-to`` a missing baseline), ``error`` says why, ``base`` and ``rows`` are
    empty and a budget given fails (a gate that cannot be checked does not pass)."""

    base: RunRef | None
    candidate: RunRef
    metric: str = "p95"  # the verdicts' metric: p50, p95, p99 or rps
    confidence: float = 0.95
    min_change: float = 0.10  # the practical minimum of a significant change (relative)
    rows: tuple[ComparisonRow, ...] = ()  # the overall row first
    budgets: tuple[str, ...] = ()  # as the user wrote them, normalised: "p95=+10%"
    budget_failures: tuple[str, ...] = ()  # one sentence per broken budget
    error: str | None = None
    monitors: tuple[MonitorMeans, ...] = ()  # the monitor series' means, by name
    # what the latency counts from: "from_send" (closed-model runs, as Locust measures),
    # "from_due" (open-model runs: from when each iteration was due), "mixed" (one of each)
    latency: str = "from_send"
    # per endpoint in both runs, the server-side medians (when either run had Server-Timing)
    server: tuple[ServerChange, ...] = ()

    @property
    def passed(self) -> bool:
        """Every budget held."""
        return not self.budget_failures
