"""The comparison of two stored runs (``swarmdeck compare``), and of a run with the one
``--compare-to`` names, with ``--max-regression`` budgets applied.

The store supplies each run's per-endpoint series; ``swarmdeck.analysis.compare`` does the
statistics, over blocks of ``block_seconds(duration)``; ``analysis.server_compare`` puts the
server-side medians (Server-Timing) of both runs side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

from swarmdeck.analysis.budgets import Budget
from swarmdeck.analysis.compare import RunSeries, budget_failures, compare
from swarmdeck.analysis.server_compare import compare_server
from swarmdeck.errors import BadInput
from swarmdeck.plan import Plan
from swarmdeck.records.comparison import Comparison, MonitorMeans, RunRef
from swarmdeck.records.monitors import MonitorSeries, is_worker_series
from swarmdeck.store import Store
from swarmdeck.store.records import RunRecord


def block_seconds(duration_s: float) -> int:
    """The bootstrap's block: 1 s up to 2 minutes, 10 s up to 20 minutes, then 60 s (the
    store's rollup steps); between 20 and 120 blocks per run once past 2 minutes, enough
    for the bootstrap and cheap to read (each block of each endpoint is one histogram)."""
    if duration_s <= 120:
        return 1
    return 10 if duration_s <= 1200 else 60


def run_series(store: Store, record: RunRecord) -> RunSeries:
    duration = record.duration_s()
    return RunSeries(store.iter_series(record.id, block_seconds(duration)), duration)


def run_ref(record: RunRecord, ref: str | None = None) -> RunRef:
    """The run as a side of a comparison; ``ref`` is how the user named it (its id)."""
    meta = record.meta
    return RunRef(run_id=record.id, ref=ref if ref is not None else str(record.id),
                  started_at=meta.started_at, host=meta.host, tags=dict(meta.tags))


def latency_of(record: RunRecord) -> str:
    """``from_due`` for an open-model run (its latency counts from when each iteration was
    due), ``from_send`` for a closed-model one."""
    open_model = record.meta.shape == "arrival" or record.details.open_model is not None
    return "from_due" if open_model else "from_send"


def compare_runs(store: Store, base_id: int, candidate_id: int, *, metric: str = "p95",
                 budgets: Sequence[Budget] = (), base_ref: str | None = None,
                 candidate_ref: str | None = None) -> Comparison:
    """Two stored runs compared, and the budgets checked on the comparison."""
    base, candidate = store.get_run(base_id), store.get_run(candidate_id)
    table = compare(run_series(store, base), run_series(store, candidate), metric=metric)
    kinds = {latency_of(base), latency_of(candidate)}
    server = compare_server(store.endpoint_data(base_id), store.endpoint_data(candidate_id))
    return Comparison(latency=kinds.pop() if len(kinds) == 1 else "mixed",
                      base=run_ref(base, base_ref), candidate=run_ref(candidate, candidate_ref),
                      metric=table.metric, confidence=table.confidence,
                      min_change=table.min_change, rows=table.rows,
                      budgets=tuple(str(b) for b in budgets),
                      budget_failures=tuple(budget_failures(table.rows, budgets)),
                      monitors=monitor_means(store.monitor_series(base_id),
                                             store.monitor_series(candidate_id)),
                      server=server)


def monitor_means(base: Sequence[MonitorSeries], candidate: Sequence[MonitorSeries]
                  ) -> tuple[MonitorMeans, ...]:
    """Each monitor series (per-worker ones left out: their pids differ from run to run)
    with its mean in both runs, by name."""
    ours = {s.name: s for s in base if not is_worker_series(s.name)}
    theirs = {s.name: s for s in candidate if not is_worker_series(s.name)}
    return tuple(MonitorMeans(name, (theirs.get(name) or ours[name]).unit,
                              ours[name].mean if name in ours else None,
                              theirs[name].mean if name in theirs else None)
                 for name in sorted(ours.keys() | theirs.keys()))


def compare_for_run(store: Store, record: RunRecord, plan: Plan) -> Comparison | None:
    """None without --compare-to; otherwise the run compared with the run it names, with
    ``budget_failures``: one sentence per significant regression beyond --max-regression."""
    ref = plan.compare_to
    if ref is None:
        return None
    budgets = tuple(plan.max_regression)
    try:
        base_id = store.resolve_ref(ref, before=record.id)
    except BadInput as exc:  # the run is stored: say why it was not compared, in its verdict
        message = f"cannot compare with {ref}: {exc}"
        # a gate that cannot be checked fails, rather than passing unseen
        return Comparison(base=None, candidate=run_ref(record), error=message,
                          budgets=tuple(str(b) for b in budgets),
                          budget_failures=(message,) if budgets else ())
    return compare_runs(store, base_id, record.id, budgets=budgets, base_ref=ref)
