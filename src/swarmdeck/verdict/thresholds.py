"""The plan's thresholds, evaluated on the run's stored data (never on live state).

Thresholds without a window read the whole-run data per endpoint (the rollups); their rps is
over the run's duration, as the summary's is. Windowed ones read the run's series at the
plan's interval and take the worst window. Thresholds on monitor series (``monitor:cpu``)
read the run's monitor series (analysis/monitor_thresholds.py).
"""

from __future__ import annotations

from swarmdeck.analysis.monitor_thresholds import evaluate_monitor
from swarmdeck.analysis.threshold_expr import MONITOR
from swarmdeck.analysis.thresholds import (
    Threshold,
    ThresholdResult,
    evaluate,
    evaluate_total,
    in_scope,
    show,
)
from swarmdeck.plan import Plan
from swarmdeck.records import ThresholdOutcome
from swarmdeck.store import Store
from swarmdeck.store.records import RunRecord


def outcome(result: ThresholdResult, no_requests_to: str | None = None) -> ThresholdOutcome:
    """What is stored of a threshold's result."""
    t = result.threshold
    text = (f"no requests to {no_requests_to}" if no_requests_to is not None
            else result.missing if result.observed is None and result.missing
            else show(t.metric, result.observed))
    return ThresholdOutcome(expr=str(t), endpoint=t.endpoint, observed=result.observed,
                            observed_text=text, passed=result.passed, abort=t.abort)


def evaluate_run(store: Store, record: RunRecord, plan: Plan) -> list[ThresholdOutcome]:
    """One outcome per threshold of ``plan``. An endpoint threshold whose endpoint had no requests
    fails, saying so (a misspelt name must not pass silently)."""
    thresholds: tuple[Threshold, ...] = plan.thresholds
    if not thresholds:
        return []
    totals = list(store.endpoint_data(record.id).values())
    step = max(1, int(plan.interval_s))
    results: list[ThresholdOutcome] = []
    monitors = (store.monitor_series(record.id) if any(t.metric == MONITOR
                                                       for t in thresholds) else [])
    for threshold in thresholds:
        if threshold.metric == MONITOR:
            found = evaluate_monitor(threshold, monitors)
            results.append(ThresholdOutcome(
                expr=str(threshold), endpoint=None, observed=found.observed,
                observed_text=found.observed_text, passed=found.passed))
            continue
        scoped = [i for i in totals if in_scope(threshold, i)]
        if threshold.endpoint is not None and not any(i.requests for i in scoped):
            results.append(outcome(ThresholdResult(threshold, None, False, ""),
                                       no_requests_to=threshold.endpoint))
            continue
        if threshold.window_s is None:
            result = evaluate_total(threshold, scoped, record.duration_s())
        else:
            # streamed slot by slot: a long run's histograms never all sit in memory
            result = evaluate(threshold, store.iter_series(record.id, step), float(step))
        results.append(outcome(result))
    return results
