"""What the verdict stores with a run: each threshold's result and each finding (and the
typed evidence of an ``outage`` finding, which the report's charts mark)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ThresholdOutcome:
    """One threshold of the plan, evaluated on the stored run."""

    expr: str  # as the user wrote it, normalised: "p95 < 300ms"
    endpoint: str | None  # "GET /cart", or None for all endpoints
    observed: float | None  # in the metric's unit (ms, a fraction, req/s); None: no data
    observed_text: str  # "80 ms", "6%", or "no requests to GET /cart"
    passed: bool
    abort: bool = False  # an abort threshold (checked during the run)

    @property
    def where(self) -> str:
        return f"{self.expr} on {self.endpoint}" if self.endpoint else self.expr


@dataclass(frozen=True)
class Finding:
    """A diagnosis of the run (docs/findings.md): what, where, the evidence and the fix."""

    code: str  # e.g. "csrf-missing"
    severity: str  # "error" | "warning" | "info"
    endpoint: str | None
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)  # JSON-able, per code
    fix: str = ""


@dataclass(frozen=True)
class OutageEvidence:
    """The evidence of an ``outage`` finding (analysis/target_findings.py): a window in
    which the target was down, and its recovery. Stored as the finding's evidence
    (``records.codec.outage_evidence_to_json``); the charts shade its window."""

    start_s: float  # seconds since the run's start, as on the charts
    end_s: float
    start_epoch: int  # epoch second of the window's first second
    end_epoch: int  # epoch second just after its last one
    duration_s: int = 0
    requests: int = 0
    failures: int = 0
    outage_failures: int = 0  # failures of an outage kind (no response, 502/503/504)
    kinds: Mapping[str, int] = field(default_factory=dict)  # kind -> count
    reasons: Mapping[str, int] = field(default_factory=dict)  # the most frequent reasons
    recovery_s: int | None = None  # after the window; None: not recovered within the run
    recovered_at_s: float | None = None  # since the run's start
    baseline_failure_share: float | None = None  # before the window
    baseline_p50_ms: float | None = None
