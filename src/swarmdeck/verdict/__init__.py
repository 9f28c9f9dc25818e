"""After a run: its verdict. Thresholds, findings and (with --compare-to) the comparison
with a baseline are computed from the store by the pure analysis, and stored back with the
run, so every report of it (terminal, JSON, JUnit, Markdown, HTML, dashboard) shows the same.

    verdict = judge(store, run_id, plan)   # after the engine has finished the run
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swarmdeck.plan import Plan
from swarmdeck.records.codec import comparison_to_json
from swarmdeck.records.comparison import Comparison
from swarmdeck.store import Store

# A run that the engine ended as one of these can still fail its gates.
_GATED = ("passed", "degraded")


@dataclass(frozen=True)
class Verdict:
    status: str  # the run's status once the gates are applied
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    comparison: Comparison | None = None
    reasons: list[str] = field(default_factory=list)  # why the gates failed, if they did

    @property
    def failed(self) -> bool:
        return bool(self.reasons)


def judge(store: Store, run_id: int, plan: Plan) -> Verdict:
    """Evaluate the run's gates and findings, store them with the run, and return them."""
    from swarmdeck.verdict import comparison, findings, thresholds

    record = store.get_run(run_id)
    results = thresholds.evaluate_run(store, record, plan)
    found = findings.find_for_run(store, record)
    compared = comparison.compare_for_run(store, record, plan)
    reasons = [f"threshold {r['expr']}"
               + (f" on {r['endpoint']}" if r.get("endpoint") else "")
               + f" failed: observed {r['observed_text']}"
               for r in results if not r["passed"]]
    if compared is not None:
        reasons += compared.budget_failures
    status = record.status
    if reasons and status in _GATED:
        status = "failed"
    analysis: dict[str, Any] = {"thresholds": results, "findings": found}
    if compared is not None:
        analysis["comparison"] = comparison_to_json(compared)
    store.record_verdict(run_id, analysis, status=status if status != record.status else None)
    return Verdict(status=status, thresholds=results, findings=found, comparison=compared,
                   reasons=reasons)
