"""After a run: its verdict. Thresholds, findings and (with --compare-to) the comparison
with a baseline are computed from the store by the pure analysis, and stored back with the
run, so every report of it (terminal, JSON, JUnit, Markdown, HTML, dashboard) shows the same.

    verdict = judge(store, run_id, plan)   # after the engine has finished the run
"""

from __future__ import annotations

from dataclasses import dataclass, field

from swarmdeck.plan import Plan
from swarmdeck.records import (
    Comparison,
    Ending,
    ErrorCounts,
    Finding,
    RunDetails,
    RunStatus,
    ThresholdOutcome,
    decide,
)
from swarmdeck.store import RunRecord, Store


@dataclass(frozen=True)
class Verdict:
    status: RunStatus  # the run's status once the gates are applied
    exit_code: int  # what `swarmdeck run` exits with (an ExitCode, or --exit-code-on-error)
    thresholds: tuple[ThresholdOutcome, ...] = ()
    findings: tuple[Finding, ...] = ()
    comparison: Comparison | None = None
    reasons: list[str] = field(default_factory=list)  # why the gates failed, if they did

    @property
    def failed(self) -> bool:
        return bool(self.reasons)


def judge(store: Store, run_id: int, plan: Plan) -> Verdict:
    """Evaluate the run's gates and findings, store them with the run, and return them
    with the run's status and exit code (records.decide, from how the run ended)."""
    from swarmdeck.verdict import comparison, findings, thresholds

    record = store.get_run(run_id)
    results = tuple(thresholds.evaluate_run(store, record, plan))
    found = tuple(findings.find_for_run(store, record))
    compared = comparison.compare_for_run(store, record, plan)
    reasons = RunDetails(thresholds=results, comparison=compared).gates_failed
    ending = record.details.ending
    if ending is None:  # finished without an ending: an older swarmdeck's run
        ending = Ending.COMPLETED if record.status == RunStatus.PASSED else Ending.CRASHED
    decision = decide(ending, gates_failed=bool(reasons), errors=error_counts(record, plan))
    if decision.errors is not None:  # the errors failed it, no gate did
        reasons = [decision.errors]
    store.record_verdict(
        run_id, thresholds=results, findings=found, comparison=compared,
        status=decision.status if decision.status != record.status else None,
        message=decision.errors if not record.message else None)
    return Verdict(status=decision.status, exit_code=decision.exit_code, thresholds=results,
                   findings=found, comparison=compared, reasons=reasons)


def error_counts(record: RunRecord, plan: Plan) -> ErrorCounts:
    """The run's errors as records.errors_reason reads them: its failed requests, the
    exceptions its tasks raised, and the plan's error-rate thresholds and exit code."""
    return ErrorCounts(
        requests=record.requests, failures=record.failures,
        script_errors=record.details.script_error_count,
        error_threshold=any(t.metric == "error_rate" for t in plan.thresholds),
        exit_code_on_error=plan.exit_code_on_error)
