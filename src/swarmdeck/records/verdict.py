"""What the verdict stores with a run: each threshold's result and each finding."""

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
