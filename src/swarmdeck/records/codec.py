"""The one place run records become JSON and JSON becomes records again: the run's stored
details (a JSON column) and the record parts the JSON outputs show.

Stored details carry ``"version"``. Version 1 (no key; runs stored before the typed
records) has the same keys without ``ending``; both read. A reader meeting a newer version
reads the keys it knows. Keys added within a version (``name_groups``, ``open_model``) are
optional:
absent, they read as empty. ``script_errors`` and ``script_errors_log`` (issue 12) are written
only when a run had script errors; runs stored before them keep Locust's own count in
``exceptions`` (still written), which ``RunDetails.script_error_count`` reads. A worker's
``absent`` (the partitions it came back from) is written only when it was away. ``monitors``
(issue 14) is written only for runs with monitors; its forms are in ``records.monitor_codec``.
Version 3 adds ``store_outages`` (issue 13), written only when the store was away during the run;
runs stored before it read as having had none. ``open_model`` is written only for an
open-model run; its forms are in ``records.openmodel_codec``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from swarmdeck.records.comparison import (
    Change,
    Comparison,
    ComparisonRow,
    MonitorMeans,
    RowVerdict,
    RunRef,
    ServerChange,
    SideStats,
)
from swarmdeck.records.details import (
    LocustError,
    NameGroup,
    RunDetails,
    ScriptError,
    StoreOutage,
    WorkerRecord,
)
from swarmdeck.records.evidence import (
    CPU_EVERY_S,
    CpuSample,
    CpuSeries,
    EndpointEvidence,
    EvidenceRecord,
    UserClassEvidence,
)
from swarmdeck.records.monitor_codec import monitor_source_from_json, monitor_source_to_json
from swarmdeck.records.openmodel_codec import (  # the open model's forms
    open_model_from_json,
    open_model_to_json,
)
from swarmdeck.records.status import Ending
from swarmdeck.records.verdict import Finding, OutageEvidence, ThresholdOutcome

DETAILS_VERSION = 3

JSONDict = dict[str, Any]


def _seq(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return list(value) if isinstance(value, list | tuple) else []


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float | str) and str(value).strip() else None


# -- thresholds and findings ----------------------------------------------------------------

def threshold_to_json(t: ThresholdOutcome) -> JSONDict:
    return {"expr": t.expr, "endpoint": t.endpoint, "observed": t.observed,
            "observed_text": t.observed_text, "passed": t.passed, "abort": t.abort}


def threshold_from_json(data: Mapping[str, Any]) -> ThresholdOutcome:
    observed = data.get("observed")
    return ThresholdOutcome(
        expr=str(data.get("expr", "")), endpoint=data.get("endpoint"),
        observed=float(observed) if observed is not None else None,
        observed_text=str(data.get("observed_text", "")), passed=bool(data.get("passed")),
        abort=bool(data.get("abort", False)))


def finding_to_json(f: Finding) -> JSONDict:
    return {"code": f.code, "severity": f.severity, "endpoint": f.endpoint,
            "message": f.message, "evidence": dict(f.evidence), "fix": f.fix}


def finding_from_json(data: Mapping[str, Any]) -> Finding:
    return Finding(code=str(data.get("code", "")), severity=str(data.get("severity", "info")),
                   endpoint=data.get("endpoint"), message=str(data.get("message", "")),
                   evidence=dict(data.get("evidence") or {}), fix=str(data.get("fix", "")))


def outage_evidence_to_json(o: OutageEvidence) -> JSONDict:
    """An ``outage`` finding's evidence, as stored with the run (the keys it has had since
    the finding exists: runs stored before the typed record read the same)."""
    return {"start_s": o.start_s, "end_s": o.end_s, "start_epoch": o.start_epoch,
            "end_epoch": o.end_epoch, "duration_s": o.duration_s, "requests": o.requests,
            "failures": o.failures, "outage_failures": o.outage_failures,
            "kinds": dict(o.kinds), "reasons": dict(o.reasons), "recovery_s": o.recovery_s,
            "recovered_at_s": o.recovered_at_s,
            "baseline_failure_share": o.baseline_failure_share,
            "baseline_p50_ms": o.baseline_p50_ms}


def outage_evidence_of(f: Finding) -> OutageEvidence | None:
    """The evidence of an ``outage`` finding, typed; None for any other finding, or one
    without its window. Keys missing from the stored evidence read as 0, empty or None."""
    data = f.evidence
    start_s, end_s = _optional_float(data.get("start_s")), _optional_float(data.get("end_s"))
    if f.code != "outage" or start_s is None or end_s is None:
        return None
    return OutageEvidence(
        start_s=start_s, end_s=end_s, start_epoch=_int(data.get("start_epoch")) or 0,
        end_epoch=_int(data.get("end_epoch")) or 0, duration_s=_int(data.get("duration_s")) or 0,
        requests=_int(data.get("requests")) or 0, failures=_int(data.get("failures")) or 0,
        outage_failures=_int(data.get("outage_failures")) or 0,
        kinds={str(k): int(v) for k, v in (data.get("kinds") or {}).items()},
        reasons={str(k): int(v) for k, v in (data.get("reasons") or {}).items()},
        recovery_s=_int(data.get("recovery_s")),
        recovered_at_s=_optional_float(data.get("recovered_at_s")),
        baseline_failure_share=_optional_float(data.get("baseline_failure_share")),
        baseline_p50_ms=_optional_float(data.get("baseline_p50_ms")))


# -- comparison and evidence ----------------------------------------------------------------

def _run_ref_to_json(r: RunRef | None) -> JSONDict | None:
    if r is None:
        return None
    return {"run_id": r.run_id, "ref": r.ref, "started_at": r.started_at.isoformat(),
            "host": r.host, "tags": dict(r.tags)}


def _run_ref_from_json(data: Mapping[str, Any]) -> RunRef:
    run_id = int(data["run_id"])
    return RunRef(run_id=run_id, ref=str(data.get("ref", run_id)),
                  started_at=datetime.fromisoformat(str(data["started_at"])),
                  host=str(data.get("host", "")),
                  tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()})


def _side_to_json(s: SideStats | None) -> JSONDict | None:
    if s is None:
        return None
    return {"requests": s.requests, "rps": s.rps, "p50_ms": s.p50_ms, "p95_ms": s.p95_ms,
            "p99_ms": s.p99_ms, "error_rate": s.error_rate}


def _side_from_json(data: Mapping[str, Any] | None) -> SideStats | None:
    if not isinstance(data, Mapping):
        return None
    return SideStats(requests=int(data.get("requests", 0)), rps=float(data.get("rps", 0.0)),
                     p50_ms=_optional_float(data.get("p50_ms", 0.0)),
                     p95_ms=_optional_float(data.get("p95_ms", 0.0)),
                     p99_ms=_optional_float(data.get("p99_ms", 0.0)),
                     error_rate=float(data.get("error_rate", 0.0)))


def _change_to_json(c: Change) -> JSONDict:
    u = c.unit
    return {f"change_{u}": c.change, f"ci_low_{u}": c.ci_low, f"ci_high_{u}": c.ci_high,
            "significant": c.significant}


def _optional_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _change_from_json(data: Mapping[str, Any]) -> Change:
    unit: Literal["pct", "pp"] = "pp" if "change_pp" in data else "pct"
    return Change(change=_optional_float(data.get(f"change_{unit}")),
                  ci_low=_optional_float(data.get(f"ci_low_{unit}")),
                  ci_high=_optional_float(data.get(f"ci_high_{unit}")),
                  significant=bool(data.get("significant")), unit=unit)


def _row_to_json(r: ComparisonRow) -> JSONDict:
    return {"method": r.method, "name": r.name, "overall": r.overall,
            "base": _side_to_json(r.base), "candidate": _side_to_json(r.candidate),
            "changes": {metric: _change_to_json(c) for metric, c in r.changes.items()},
            "verdict": r.verdict.value}


def _row_from_json(data: Mapping[str, Any]) -> ComparisonRow:
    changes = data.get("changes") or {}
    return ComparisonRow(
        method=str(data.get("method", "")), name=str(data.get("name", "")),
        overall=bool(data.get("overall", False)), base=_side_from_json(data.get("base")),
        candidate=_side_from_json(data.get("candidate")),
        changes={str(m): _change_from_json(c) for m, c in changes.items()
                 if isinstance(c, Mapping)},
        verdict=RowVerdict(str(data.get("verdict", RowVerdict.NOT_ENOUGH_DATA))))


def comparison_to_json(c: Comparison) -> JSONDict:
    """The ``compare --json`` output and the run summary's ``"comparison"`` (docs/compare.md).
    A comparison that could not run (``error``) has no ``confidence`` and ``min_change``."""
    data: JSONDict = {"base": _run_ref_to_json(c.base),
                      "candidate": _run_ref_to_json(c.candidate)}
    if c.error is not None:
        data["error"] = c.error
    data["metric"] = c.metric
    if c.latency != "from_send":  # open-model runs (written only then: older ones read as sent)
        data["latency"] = c.latency
    if c.error is None:
        data |= {"confidence": c.confidence, "min_change": c.min_change}
    data |= {"rows": [_row_to_json(r) for r in c.rows], "budgets": list(c.budgets),
             "budget_failures": list(c.budget_failures), "passed": c.passed}
    if c.monitors:
        data["monitors"] = [{"name": m.name, "unit": m.unit, "base_mean": m.base,
                             "candidate_mean": m.candidate, "change_pct": m.change_pct}
                            for m in c.monitors]
    if c.server:
        data["server"] = [{"method": x.method, "name": x.name, "metric": x.metric,
                           "unit": x.unit, "base": x.base, "candidate": x.candidate}
                          for x in c.server]
    return data


def _server_change_from_json(data: Mapping[str, Any]) -> ServerChange:
    unit: Literal["ms", "queries"] = "queries" if data.get("unit") == "queries" else "ms"
    return ServerChange(method=str(data.get("method", "")), name=str(data.get("name", "")),
                        metric=str(data.get("metric", "")),
                        base=_optional_float(data.get("base")),
                        candidate=_optional_float(data.get("candidate")), unit=unit)


def comparison_from_json(data: Mapping[str, Any]) -> Comparison:
    """A comparison from its JSON, as stored with runs since comparisons exist (their form
    has only grown: ``server`` since Server-Timing, absent before; ``passed`` is read from
    ``budget_failures``, which it always mirrored)."""
    base = data.get("base")
    error = data.get("error")
    return Comparison(
        base=_run_ref_from_json(base) if isinstance(base, Mapping) else None,
        candidate=_run_ref_from_json(data["candidate"]),
        metric=str(data.get("metric", "p95")),
        confidence=float(data.get("confidence", 0.95)),
        min_change=float(data.get("min_change", 0.10)),
        rows=tuple(_row_from_json(r) for r in _seq(data, "rows") if isinstance(r, Mapping)),
        budgets=tuple(str(b) for b in _seq(data, "budgets")),
        budget_failures=tuple(str(f) for f in _seq(data, "budget_failures")),
        error=str(error) if error is not None else None,
        monitors=tuple(MonitorMeans(str(m.get("name", "")), str(m.get("unit", "")),
                                    _optional_float(m.get("base_mean")),
                                    _optional_float(m.get("candidate_mean")))
                       for m in _seq(data, "monitors") if isinstance(m, Mapping)),
        latency=str(data.get("latency", "from_send")),
        server=tuple(_server_change_from_json(x) for x in _seq(data, "server")
                     if isinstance(x, Mapping)))


def _str_or_none(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _status_key(code: int | None) -> str:
    return "none" if code is None else str(code)


def endpoint_evidence_to_json(e: EndpointEvidence) -> JSONDict:
    return {"method": e.method, "name": e.name,
            "status": {_status_key(code): n for code, n in e.status.items()},
            "csrf_400": e.csrf_400, "csrf_sample": e.csrf_sample,
            "login_redirects": e.login_redirects}


def endpoint_evidence_from_json(data: Mapping[str, Any]) -> EndpointEvidence:
    return EndpointEvidence(
        method=str(data["method"]), name=str(data["name"]),
        status={None if k == "none" else int(k): int(n)
                for k, n in (data.get("status") or {}).items()},
        csrf_400=int(data.get("csrf_400") or 0), csrf_sample=_str_or_none(data, "csrf_sample"),
        login_redirects=int(data.get("login_redirects") or 0))


def user_class_to_json(c: UserClassEvidence) -> JSONDict:
    return {"weight": c.weight, "fixed_count": c.fixed_count, "wait": c.wait,
            "wait_s": list(c.wait_s), "error": c.error}


def user_class_from_json(data: Mapping[str, Any]) -> UserClassEvidence:
    return UserClassEvidence(
        weight=int(data.get("weight", 1) or 0), fixed_count=int(data.get("fixed_count") or 0),
        wait=str(data.get("wait", "unknown")),
        wait_s=tuple(float(s) for s in data.get("wait_s") or []),
        error=_str_or_none(data, "error"))


def cpu_series_to_json(s: CpuSeries) -> JSONDict:
    return {"role": s.role,
            "samples": [[p.at_s, p.cpu_pct] + ([] if p.busy_pct is None else [p.busy_pct])
                        for p in s.samples]}


def cpu_series_from_json(data: Mapping[str, Any]) -> CpuSeries:
    samples = [s for s in data.get("samples") or [] if len(s) >= 2]  # older: [t, cpu]
    return CpuSeries(role=str(data.get("role", "")), samples=tuple(
        CpuSample(float(s[0]), float(s[1]), float(s[2]) if len(s) > 2 else None)
        for s in samples))


def evidence_to_json(e: EvidenceRecord) -> JSONDict:
    """The stored form, and what a worker sends the master (engine/evidence.py)."""
    return {"endpoints": [endpoint_evidence_to_json(x) for x in e.endpoints],
            "names_folded": e.names_folded, "servers": list(e.servers),
            "debugger_pages": e.debugger_pages, "debugger_endpoint": e.debugger_endpoint,
            "user_classes": {k: user_class_to_json(c) for k, c in e.user_classes.items()},
            "cpu": {k: cpu_series_to_json(s) for k, s in e.cpu.items()},
            "cpu_every_s": e.cpu_every_s}


def evidence_from_json(data: Mapping[str, Any]) -> EvidenceRecord:
    """Missing keys read as nothing seen; a malformed part raises (TypeError, ValueError,
    KeyError or AttributeError)."""
    return EvidenceRecord(
        endpoints=tuple(endpoint_evidence_from_json(x) for x in _seq(data, "endpoints")),
        names_folded=int(data.get("names_folded") or 0),
        servers=tuple(str(s) for s in _seq(data, "servers")),
        debugger_pages=int(data.get("debugger_pages") or 0),
        debugger_endpoint=_str_or_none(data, "debugger_endpoint"),
        user_classes={str(k): user_class_from_json(c)
                      for k, c in (data.get("user_classes") or {}).items()},
        cpu={str(k): cpu_series_from_json(s) for k, s in (data.get("cpu") or {}).items()},
        cpu_every_s=float(data.get("cpu_every_s") or CPU_EVERY_S))


# -- workers and script errors --------------------------------------------------------------

def worker_to_json(w: WorkerRecord) -> JSONDict:
    """``absent`` (added within version 2, optional): only when the worker was away;
    ``iterations`` (added within version 2, optional): an open-model run's only."""
    data: JSONDict = {"id": w.id, "region": w.region, "hostname": w.hostname,
                      "joined_at": w.joined_at, "lost_at": w.lost_at}
    if w.absent:
        data["absent"] = [[start, end] for start, end in w.absent]
    if w.iterations is not None:
        scheduled, started, dropped = w.iterations
        data["iterations"] = {"scheduled": scheduled, "started": started, "dropped": dropped}
    return data


def worker_from_json(data: Mapping[str, Any]) -> WorkerRecord:
    lost = data.get("lost_at")
    counts = data.get("iterations")
    iterations = ((int(counts.get("scheduled", 0)), int(counts.get("started", 0)),
                   int(counts.get("dropped", 0))) if isinstance(counts, Mapping) else None)
    return WorkerRecord(id=str(data.get("id", "")), region=str(data.get("region", "")),
                        hostname=str(data.get("hostname", "")),
                        joined_at=float(data.get("joined_at") or 0.0),
                        lost_at=float(lost) if lost is not None else None,
                        absent=tuple((float(a), float(b)) for a, b in _seq(data, "absent")),
                        iterations=iterations)


def error_to_json(e: LocustError) -> JSONDict:
    return {"count": e.count, "msg": e.message, "nodes": list(e.nodes)}


def error_from_json(data: Mapping[str, Any]) -> LocustError:
    return LocustError(count=int(data.get("count", 0)), message=str(data.get("msg", "")),
                       nodes=tuple(str(n) for n in data.get("nodes", [])))


# -- script errors, grouped ----------------------------------------------------------------

def script_error_to_json(e: ScriptError) -> JSONDict:
    """Stored with the run, in the JSON summary's ``script_errors.groups`` and sent by
    workers (engine/script_errors.py)."""
    return {"type": e.type, "file": e.file, "line": e.line, "count": e.count,
            "first_at": e.first_at, "last_at": e.last_at, "message": e.message}


def script_error_from_json(data: Mapping[str, Any]) -> ScriptError:
    """A malformed group raises (TypeError, ValueError or AttributeError)."""
    return ScriptError(type=str(data.get("type", "")), file=str(data.get("file", "")),
                       line=int(data.get("line") or 0), count=int(data.get("count") or 0),
                       first_at=float(data.get("first_at") or 0.0),
                       last_at=float(data.get("last_at") or 0.0),
                       message=str(data.get("message", "")))


# -- request names grouped into templates ------------------------------------------------

def name_group_to_json(g: NameGroup) -> JSONDict:
    return {"method": g.method, "template": g.template, "names": g.names, "exact": g.exact,
            "samples": list(g.samples)}


def name_group_from_json(data: Mapping[str, Any]) -> NameGroup:
    return NameGroup(method=str(data.get("method", "")), template=str(data.get("template", "")),
                     names=int(data.get("names") or 0), exact=bool(data.get("exact", True)),
                     samples=tuple(str(s) for s in _seq(data, "samples")))


# -- the times the store did not answer ----------------------------------------------------

def store_outage_to_json(o: StoreOutage) -> JSONDict:
    """Stored with the run, and the JSON summary's ``store_outages`` (with ``seconds``)."""
    return {"began_at": o.began_at, "ended_at": o.ended_at, "seconds": o.seconds,
            "failed_writes": o.failed_writes, "reason": o.reason}


def store_outage_from_json(data: Mapping[str, Any]) -> StoreOutage:
    ended = data.get("ended_at")
    return StoreOutage(began_at=float(data.get("began_at") or 0.0),
                       ended_at=float(ended) if ended is not None else None,
                       failed_writes=int(data.get("failed_writes") or 0),
                       reason=str(data.get("reason", "")))


# -- the run's details ----------------------------------------------------------------------

def details_to_json(d: RunDetails) -> JSONDict:
    """The stored form (the ``runs.details`` column)."""
    data: JSONDict = {
        "version": DETAILS_VERSION,
        "ending": d.ending.value if d.ending is not None else None,
        "locust_requests": d.locust_requests, "locust_failures": d.locust_failures,
        "warnings": list(d.warnings),
        "exceptions": [error_to_json(e) for e in d.exceptions],
        "workers": [worker_to_json(w) for w in d.workers],
        "refused": dict(d.refused),
        "thresholds": [threshold_to_json(t) for t in d.thresholds],
        "findings": [finding_to_json(f) for f in d.findings],
    }
    if d.name_groups:
        data["name_groups"] = [name_group_to_json(g) for g in d.name_groups]
    if d.evidence is not None:
        data["evidence"] = evidence_to_json(d.evidence)
    if d.comparison is not None:
        data["comparison"] = comparison_to_json(d.comparison)
    if d.script_errors:
        data["script_errors"] = [script_error_to_json(e) for e in d.script_errors]
    if d.script_errors_log is not None:
        data["script_errors_log"] = d.script_errors_log
    if d.monitors:
        data["monitors"] = [monitor_source_to_json(m) for m in d.monitors]
    if d.store_outages:
        data["store_outages"] = [store_outage_to_json(o) for o in d.store_outages]
    if d.open_model is not None:
        data["open_model"] = open_model_to_json(d.open_model)
    return data


def details_from_json(data: Mapping[str, Any] | None) -> RunDetails:
    """A run's details from its stored form, of any version (``None``: a running run)."""
    if not data:
        return RunDetails()
    ending = str(data.get("ending"))
    evidence, comparison = data.get("evidence"), data.get("comparison")
    open_model = data.get("open_model")
    return RunDetails(
        ending=Ending(ending) if ending in set(Ending) else None,
        locust_requests=_int(data.get("locust_requests")),
        locust_failures=_int(data.get("locust_failures")),
        warnings=tuple(str(w) for w in _seq(data, "warnings")),
        exceptions=tuple(error_from_json(e) for e in _seq(data, "exceptions")),
        evidence=evidence_from_json(evidence) if isinstance(evidence, Mapping) else None,
        workers=tuple(worker_from_json(w) for w in _seq(data, "workers")),
        refused={str(k): str(v) for k, v in (data.get("refused") or {}).items()},
        name_groups=tuple(name_group_from_json(g) for g in _seq(data, "name_groups")
                          if isinstance(g, Mapping)),
        thresholds=tuple(threshold_from_json(t) for t in _seq(data, "thresholds")),
        findings=tuple(finding_from_json(f) for f in _seq(data, "findings")),
        comparison=(comparison_from_json(comparison) if isinstance(comparison, Mapping)
                    else None),
        script_errors=tuple(script_error_from_json(e) for e in _seq(data, "script_errors")
                            if isinstance(e, Mapping)),
        script_errors_log=_str_or_none(data, "script_errors_log"),
        monitors=tuple(monitor_source_from_json(m) for m in _seq(data, "monitors")
                       if isinstance(m, Mapping)),
        store_outages=tuple(store_outage_from_json(o) for o in _seq(data, "store_outages")
                            if isinstance(o, Mapping)),
        open_model=(open_model_from_json(open_model) if isinstance(open_model, Mapping)
                    else None),
    )
