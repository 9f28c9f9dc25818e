"""The data document of a run's HTML report (and of the dashboard's run page): a JSON-able
dict built from the store only, never from live runner state, so that any past run (or a
run still in progress) renders from what is stored.

    doc = run_document(store, run_id)                 # one run
    doc = compare_document(store, base_id, cand_id)   # two runs and their comparison

Shape (``schema`` 1): ``header``, ``totals``, ``endpoints`` (table rows, with the failed
requests' ``failed_latency`` and what the server said, ``server``, as in the JSON
summary), ``timeline``
(overall, ``t`` in seconds since the run's start), ``endpoint_timelines`` (one step for
all endpoints, possibly coarser than the overall one to bound the work), ``distributions``
(log-spaced response-time buckets per endpoint key and ``"Aggregated"``), ``failures``
(grouped by reason), ``stages``, ``regions``, ``thresholds``, ``findings``, ``outages``
(the ``outage`` findings' windows, for the charts to mark), ``comparison``,
``script_errors`` (as in the JSON summary), ``monitors`` (the target side's series on the
timeline's grid, report/monitor_document.py; null without monitors), ``iterations`` (an
open-model run's scheduled, started and dropped iterations per second and start lag p95 on
the timeline's grid, report/iterations_document.py; null in a closed-model run). Latency (percentiles,
charts, distributions) is of the successful requests; in an open-model run
(``header.latency`` ``"from_due"``) it counts from when each iteration was due, and
``header.open_model`` holds its iterations.
Endpoints are keyed ``"METHOD name"`` (data: ``endpoint_key``); what is shown of one is
its ``label`` (``swarmdeck.labels.endpoint_label``), carried by every endpoint row, failure
endpoint and comparison row, so that the page never rebuilds it. Documented in
docs/report.md.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from swarmdeck.analysis.server_split import server_json
from swarmdeck.analysis.summary import TOTAL_NAME, EndpointSummary
from swarmdeck.labels import endpoint_label
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.records.codec import comparison_from_json, comparison_to_json, outage_evidence_of
from swarmdeck.records.verdict import Finding
from swarmdeck.report.iterations_document import iterations_part
from swarmdeck.report.model import (
    Pairs,
    RunReport,
    load_report,
    per_endpoint,
    stage_json,
    summary_numbers,
)
from swarmdeck.report.monitor_document import monitors_part
from swarmdeck.store import Store

SCHEMA = 1
MAX_POINTS = 400  # per chart line
ENDPOINT_POINT_BUDGET = 4000  # endpoints x points for the per-endpoint timelines
STEPS = (1, 10, 60, 300, 600, 1800, 3600)  # 10 s and 60 s multiples read rollups
BUCKETS_PER_DECADE = 12
MAX_REASONS = 100
MAX_TEXT = 2000  # characters kept of one failure reason
_PLAN_HIDDEN = frozenset({"db_url", "token", "sources", "quiet", "debug", "json_path",
                          "master_bind", "host", "locustfile", "tags"})


def endpoint_key(method: str, name: str) -> str:
    """How the document keys an endpoint: ``"GET /cart"`` (just the name without method).
    A key, not a label: a request named ``GET /cart`` is keyed ``"GET GET /cart"`` and
    labelled ``GET /cart``."""
    return f"{method} {name}" if method else name


def choose_step(duration_s: float, endpoints: int = 1, max_points: int = MAX_POINTS,
                budget: int = ENDPOINT_POINT_BUDGET) -> int:
    """The finest chart step (from ``STEPS``) that keeps a line under ``max_points`` and
    all endpoints' lines together under ``budget`` points (each point is a histogram to
    read and three percentiles to compute: the budget bounds the report's time)."""
    for step in STEPS:
        points = duration_s / step
        if points <= max_points and points * max(endpoints, 1) <= budget:
            return step
    return max(STEPS[-1], math.ceil(duration_s / max_points / 3600) * 3600)


def run_document(store: Store, run_id: int, *, max_points: int = MAX_POINTS,
                 endpoint_point_budget: int = ENDPOINT_POINT_BUDGET) -> dict[str, Any]:
    """Everything the report page shows of one run (see the module docstring). Its
    header, totals, endpoints, stages, regions, thresholds, findings and comparison are
    the run's ``RunReport`` (``load_report``), with the JSON summary's numbers."""
    record = store.get_run(run_id)
    now = datetime.now(UTC)  # one end for a running run's charts and its report
    duration = record.duration_s(now)
    # the table and the regions fold the whole run per (endpoint, region): a finished run
    # has it in its whole-run rows; a running one's is gathered from the series read
    pairs = store.endpoint_region_data(run_id) if record.rolled_up else None
    count = len({key for key, _ in pairs}) if pairs is not None else len(
        store.endpoint_keys(run_id))
    step = choose_step(duration, count, max_points, endpoint_point_budget)
    t0 = record.meta.started_at.timestamp()
    gathered: Pairs = {}
    timeline, endpoint_timelines = _timelines(
        store.iter_series(run_id, step, by_region=True), store.user_counts(run_id), step,
        t0, t0 + duration, gathered if pairs is None else None)
    if pairs is None:
        pairs = gathered
    report = load_report(store, run_id, pairs, record, now)
    summary = report.to_json()
    endpoints = per_endpoint(pairs)
    return {
        "kind": "run",
        "schema": SCHEMA,
        "generated_at": now.isoformat(timespec="seconds"),
        "header": _header(report, summary),
        "totals": _row(report.totals),
        "endpoints": [{**_row(e), "server": server_json(e.server)} for e in report.endpoints],
        "timeline": timeline,
        "endpoint_timelines": endpoint_timelines,
        "distributions": _distributions(endpoints),
        "failures": _failures(endpoints),
        "stages": [{**_row(st.totals), **stage_json(st), "key": st.name, "method": "",
                    "label": st.name}
                   for st in report.stages],
        "regions": {name: _row(s) for name, s in report.regions.items()}
        if len(report.regions) > 1 else {},
        "thresholds": summary["thresholds"],
        "findings": summary["findings"],
        "outages": outage_marks(report.findings),
        "comparison": _labelled(summary.get("comparison")),
        "script_errors": summary["script_errors"],
        "monitors": monitors_part(report.monitors, report.monitor_sources, timeline,
                                  duration, _num),
        "iterations": iterations_part(store.iteration_series(run_id) if report.open else [],
                                      timeline, t0, duration, _num),
    }


def outage_marks(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """The windows of the ``outage`` findings (analysis/target_findings.py), in seconds
    since the run's start as on the charts, with what the charts label them with."""
    outages = [o for o in map(outage_evidence_of, findings) if o is not None]
    return [{"start_s": o.start_s, "end_s": o.end_s, "failures": o.outage_failures,
             "recovery_s": o.recovery_s} for o in sorted(outages, key=lambda o: o.start_s)]


def compare_document(store: Store, base_id: int, candidate_id: int) -> dict[str, Any]:
    """Both runs' documents and their comparison: the one stored with the candidate's
    verdict when it was compared with this base (it carries the run's budgets), else
    ``swarmdeck.verdict.comparison.compare_runs``."""
    from swarmdeck.verdict.comparison import compare_runs

    base = run_document(store, base_id)
    candidate = run_document(store, candidate_id)
    stored = candidate.get("comparison")
    comparison = comparison_from_json(stored) if stored else None
    if comparison is None or comparison.base is None or comparison.base.run_id != base_id:
        comparison = compare_runs(store, base_id, candidate_id)
    return {"kind": "compare", "schema": SCHEMA,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "base": base, "candidate": candidate,
            "comparison": _labelled(comparison_to_json(comparison))}


# -- pieces ---------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> float | None:
    """A chart point (a line's value, a bucket's edge) rounded to ``digits`` significant
    digits (what an HDR histogram holds), at most 3 decimals, to keep the document small;
    None stays None. The summary rows are not rounded here: they carry the JSON summary's
    numbers."""
    if value is None or not math.isfinite(value):
        return None
    if value == 0:
        return 0
    decimals = max(0, min(3, digits - 1 - math.floor(math.log10(abs(value)))))
    rounded = round(value, decimals)
    return int(rounded) if decimals == 0 or rounded.is_integer() else rounded


def _row(s: EndpointSummary) -> dict[str, Any]:
    """A summary row (totals, an endpoint, a region): the JSON summary's numbers, keyed."""
    key = endpoint_key(s.method, s.name) if s.name != TOTAL_NAME else TOTAL_NAME
    return {"key": key, "label": endpoint_label(s.method, s.name), "method": s.method,
            "name": s.name, **summary_numbers(s),
            "failure_pct": s.failure_pct, "bytes": s.bytes}


# The header repeats these of the JSON summary as they are there.
_HEADER_FROM_SUMMARY = ("run_id", "status", "message", "host", "locustfile", "users",
                        "shape", "started_at", "ended_at", "duration_s", "tags", "warnings",
                        "locust", "latency")


def _header(report: RunReport, summary: dict[str, Any]) -> dict[str, Any]:
    meta = report.meta
    plan = {k: v for k, v in meta.plan.items()
            if k not in _PLAN_HIDDEN and v not in (None, [], {}, False)}
    return {
        **{key: summary[key] for key in _HEADER_FROM_SUMMARY},
        "open_model": summary.get("open_model"),
        "locustfile_sha256": meta.locustfile_sha256, "plan": plan,
        "spawn_rate": meta.spawn_rate, "run_time_s": meta.run_time_s,
        "interval_s": meta.interval_s,
        "versions": {"swarmdeck": meta.swarmdeck_version, "locust": meta.locust_version,
                     "python": meta.python_version},
        "git_commit": meta.git_commit, "hostname": meta.hostname,
        "workers": len(report.workers), "regions": sorted(report.regions),
    }


def _span(start: float, step: int, t0: float, end: float) -> float:
    """Seconds of ``[start, start + step)`` inside the run (edge steps are partial)."""
    return max(min(start + step, end) - max(start, t0), min(step, 1.0))


@dataclass
class _Point:
    """One chart point, reduced as soon as its interval is read (histograms are big)."""

    requests: int
    failures: int
    p50: int | None
    p95: int | None
    p99: int | None


def _point(iv: EndpointInterval) -> _Point:
    """Counts of every request; percentiles of the successful ones (None without any)."""
    h = iv.histogram
    values = h.percentiles((50, 95, 99)) if h.count else (None, None, None)
    return _Point(iv.requests, iv.failures, *values)


def _line(points: Sequence[_Point | None], starts: Sequence[int], step: int,
          t0: float, end: float) -> dict[str, list[Any]]:
    """requests/s, failures/s and p50/p95/p99 of the successful requests per step (0 and
    None for a step without requests, None without successes); edge steps count only their part inside the run."""
    line: dict[str, list[Any]] = {k: [] for k in ("rps", "fps", "p50", "p95", "p99")}
    for start, point in zip(starts, points):
        span = _span(start, step, t0, end)
        requests, failures = (point.requests, point.failures) if point else (0, 0)
        line["rps"].append(_num(requests / span))
        line["fps"].append(_num(failures / span))
        for name in ("p50", "p95", "p99"):
            value = getattr(point, name) if point and requests else None
            line[name].append(None if value is None else _num(value / 1000))
    return line


def _timelines(intervals: Iterable[EndpointInterval], samples: Sequence[tuple[float, int]],
               step: int, t0: float, end: float, pairs: Pairs | None = None
               ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The overall line (with users) and one per endpoint, on one grid of ``step`` s, from
    intervals per step, endpoint and region in that order (``Store.iter_series`` with
    ``by_region``): each endpoint's step is reduced to its point as soon as it is whole, and
    only the current step's overall histogram is kept. ``pairs``, when given, also gathers
    each (endpoint, region)'s whole-run merge."""
    points: dict[EndpointKey, dict[int, _Point]] = {}
    overall: dict[int, _Point] = {}
    current: EndpointInterval | None = None  # all endpoints, this step
    piece: EndpointInterval | None = None  # one endpoint, this step, the regions so far
    for iv in intervals:
        if pairs is not None:
            total = pairs.get((iv.endpoint, iv.region))
            if total is None:
                total = pairs[iv.endpoint, iv.region] = EndpointInterval(
                    start=iv.start, method=iv.method, name=iv.name, region=iv.region)
            total.merge(iv)
        if piece is not None and (piece.start, piece.endpoint) != (iv.start, iv.endpoint):
            points.setdefault(piece.endpoint, {})[piece.start] = _point(piece)
            piece = None
        if piece is None:
            piece = iv  # not used again by the caller: merging into it is safe
        else:
            piece.merge(iv)
        if current is not None and current.start != iv.start:
            overall[current.start] = _point(current)
            current = None
        if current is None:
            current = EndpointInterval(start=iv.start, method="", name=TOTAL_NAME, region="*")
        current.merge(iv)
    if piece is not None:
        points.setdefault(piece.endpoint, {})[piece.start] = _point(piece)
    if current is not None:
        overall[current.start] = _point(current)
    starts = list(range(min(overall), max(overall) + 1, step)) if overall else []
    t = [round(max(start - t0, 0.0), 1) for start in starts]
    lines = {endpoint_key(key.method, key.name):
             _line([points[key].get(start) for start in starts], starts, step, t0, end)
             for key in sorted(points, key=lambda k: (k.name, k.method))}
    users = [_users_by(samples, start + step) for start in starts]
    return ({"step_s": step, "t": t, "users": users,
             **_line([overall.get(start) for start in starts], starts, step, t0, end)},
            {"step_s": step, "t": t, "series": lines})


def _users_by(samples: Sequence[tuple[float, int]], end: float) -> int | None:
    """The last user count sampled before ``end``."""
    i = bisect_left(samples, end, key=lambda sample: sample[0])
    return samples[i - 1][1] if i else None


def percentiles(histogram: LatencyHistogram, ps: Sequence[float]) -> list[int]:
    """``LatencyHistogram.percentiles`` (kept for the callers of this module)."""
    return histogram.percentiles(ps)


def distribution(histogram: LatencyHistogram) -> dict[str, list[Any]]:
    """Log-spaced buckets (``BUCKETS_PER_DECADE`` per decade of ms) from the first to the
    last non-empty one: ``edges_ms`` has one more entry than ``counts``."""
    if histogram.count == 0:
        return {"edges_ms": [], "counts": []}
    lo, counts = histogram.bucket_counts()
    binned: dict[int, int] = {}
    for offset in np.flatnonzero(counts).tolist():
        value_ms = max(histogram.bucket_floor(lo + offset), 1) / 1000.0
        b = math.floor(math.log10(value_ms) * BUCKETS_PER_DECADE + 1e-9)
        binned[b] = binned.get(b, 0) + int(counts[offset])
    first, last = min(binned), max(binned)
    edges = [_num(10 ** (b / BUCKETS_PER_DECADE)) for b in range(first, last + 2)]
    return {"edges_ms": edges, "counts": [binned.get(b, 0) for b in range(first, last + 1)]}


def _distributions(per_endpoint: dict[EndpointKey, EndpointInterval]
                   ) -> dict[str, dict[str, list[Any]]]:
    total = LatencyHistogram()
    result = {}
    for key, data in sorted(per_endpoint.items(), key=lambda kv: (kv[0].name, kv[0].method)):
        result[endpoint_key(key.method, key.name)] = distribution(data.histogram)
        total.merge(data.histogram)
    return {TOTAL_NAME: distribution(total), **result}


def _failures(per_endpoint: dict[EndpointKey, EndpointInterval]) -> dict[str, Any]:
    """Failures grouped by reason, most frequent first, each with the endpoints it hit."""
    reasons: dict[str, dict[str, int]] = {}
    labels: dict[str, str] = {}
    for key, data in per_endpoint.items():
        for reason, count in data.errors.items():
            if count > 0:
                by = reasons.setdefault(reason, {})
                name = endpoint_key(key.method, key.name)
                labels[name] = endpoint_label(key.method, key.name)
                by[name] = by.get(name, 0) + count
    ordered = sorted(reasons.items(), key=lambda rb: (-sum(rb[1].values()), rb[0]))
    kept = [{"reason": reason if len(reason) <= MAX_TEXT else reason[:MAX_TEXT] + " [...]",
             "count": sum(by.values()),
             "endpoints": [{"key": k, "label": labels[k], "count": c}
                           for k, c in sorted(by.items(), key=lambda kc: (-kc[1], kc[0]))]}
            for reason, by in ordered[:MAX_REASONS]]
    return {"total": sum(sum(by.values()) for by in reasons.values()), "reasons": kept,
            "more_reasons": len(ordered) - len(kept)}


def _labelled(comparison: dict[str, Any] | None) -> dict[str, Any] | None:
    """The comparison's JSON (the summary's shape) with each row's ``label`` added, for the
    page to show (the summary itself is left as it is)."""
    if comparison is None:
        return None
    return {**comparison, "rows": [{**row, "label": "overall" if row.get("overall") else
                                    endpoint_label(str(row.get("method", "")),
                                                   str(row.get("name", "")))}
                                   for row in comparison.get("rows", [])]}
