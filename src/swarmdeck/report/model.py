"""A run as every report shows it, assembled from the store (never from live runner state),
so that any past run renders exactly as it did when it ended."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from swarmdeck.analysis.iterations import IterationSummary, summarize_iterations
from swarmdeck.analysis.monitor_series import thinned
from swarmdeck.analysis.server_split import server_json
from swarmdeck.analysis.summary import EndpointSummary, summarize, summarize_endpoint
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.plan import ShapeSpec
from swarmdeck.records import (
    CapacityStep,
    Comparison,
    Finding,
    NameGroup,
    OpenModelRecord,
    RunStatus,
    ScriptError,
    StoreOutage,
    ThresholdOutcome,
    WorkerRecord,
    codec,
)
from swarmdeck.records.monitor_codec import monitor_series_to_json, monitor_source_to_json
from swarmdeck.records.monitors import MonitorSeries, MonitorSource
from swarmdeck.records.openmodel_codec import open_model_to_json
from swarmdeck.store import RunMeta, RunRecord, Store

Pairs = dict[tuple[EndpointKey, str], EndpointInterval]  # Store.endpoint_region_data


@dataclass(frozen=True)
class StageReport:
    """One stage of a built-in shape, e.g. the step shape's ``peak``: its own percentiles."""

    name: str
    start_s: float
    end_s: float
    users: int
    totals: EndpointSummary
    rate: float | None = None  # an arrival shape's: iterations/s at the stage's end


@dataclass(frozen=True)
class LocustCounts:
    """Locust's own counters at the end of the run (they should equal the totals)."""

    requests: int
    failures: int


@dataclass(frozen=True)
class RunReport:
    """A run as every output shows it: the terminal summary, the JSON summary
    (``to_json``), the Markdown and JUnit files, and the HTML report's and the dashboard's
    run document (``report.document``) all render from this one object."""

    run_id: int
    status: RunStatus
    message: str | None
    meta: RunMeta
    ended_at: datetime | None
    duration_s: float  # RunRecord.duration_s: the denominator of every rate in the report
    totals: EndpointSummary
    endpoints: tuple[EndpointSummary, ...]
    regions: Mapping[str, EndpointSummary]
    warnings: tuple[str, ...] = ()
    locust: LocustCounts | None = None
    stages: tuple[StageReport, ...] = ()
    workers: tuple[WorkerRecord, ...] = ()  # distributed runs only
    # (method, name) -> region -> summary; filled when the run has more than one region
    endpoint_regions: Mapping[tuple[str, str], Mapping[str, EndpointSummary]] = field(
        default_factory=dict)
    # The verdict, as stored with the run after it ended (swarmdeck.verdict.judge)
    thresholds: tuple[ThresholdOutcome, ...] = ()
    findings: tuple[Finding, ...] = ()
    comparison: Comparison | None = None
    # exceptions in the script's tasks: the groups, the total (RunDetails.script_error_count)
    # and the file of their tracebacks
    script_errors: tuple[ScriptError, ...] = ()
    script_error_count: int = 0
    script_errors_log: str | None = None
    name_groups: tuple[NameGroup, ...] = ()  # request names grouped into templates
    # the target side (swarmdeck.monitors): each series (points in seconds since the start)
    # and each source's state
    monitors: tuple[MonitorSeries, ...] = ()
    monitor_sources: tuple[MonitorSource, ...] = ()
    store_outages: tuple[StoreOutage, ...] = ()  # times the results database did not answer
    # an open-model run: its iterations (due, started, dropped, start lag) and its pool
    iterations: IterationSummary | None = None
    open_model: OpenModelRecord | None = None

    @property
    def open(self) -> bool:
        """An open-model run: its latency counts from when each iteration was due."""
        return self.iterations is not None or self.open_model is not None

    @property
    def latency(self) -> str:
        """What the percentiles are: ``from_due`` (an open-model run's, from when each
        iteration was due) or ``from_send`` (as Locust measures, from the send)."""
        return "from_due" if self.open else "from_send"

    @property
    def host(self) -> str:
        return self.meta.host

    @property
    def locustfile(self) -> str:
        return self.meta.locustfile

    @property
    def users(self) -> int | None:
        return self.meta.users

    @property
    def shape(self) -> str | None:
        return self.meta.shape

    @property
    def tags(self) -> Mapping[str, str]:
        return self.meta.tags

    @property
    def started_at(self) -> datetime:
        return self.meta.started_at

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` summary (documented in docs/cli.md): its keys and their meaning
        are a public interface."""
        return {
            "run_id": self.run_id,
            "status": self.status.value,
            "message": self.message,
            "host": self.host,
            "locustfile": self.locustfile,
            "users": self.users,
            "shape": self.shape,
            "tags": dict(self.tags),
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_s": json_seconds(self.duration_s),
            "latency": self.latency,
            "totals": summary_numbers(self.totals),
            "endpoints": [
                {"name": e.name, "method": e.method, **summary_numbers(e), "bytes": e.bytes,
                 "errors": [{"reason": x.reason, "count": x.count} for x in e.errors],
                 "server": server_json(e.server),
                 **({"regions": {r: summary_numbers(s) for r, s in
                                 self.endpoint_regions[(e.method, e.name)].items()}}
                    if self.endpoint_regions else {})}
                for e in self.endpoints
            ],
            "regions": {name: summary_numbers(s) for name, s in self.regions.items()},
            "warnings": list(self.warnings),
            "locust": ({"requests": self.locust.requests, "failures": self.locust.failures}
                       if self.locust is not None else None),
            "workers": [codec.worker_to_json(w) for w in self.workers],
            "stages": [stage_json(st) for st in self.stages],
            "thresholds": [codec.threshold_to_json(t) for t in self.thresholds],
            "findings": [codec.finding_to_json(f) for f in self.findings],
            "script_errors": self.script_errors_json(),
            "store_outages": [codec.store_outage_to_json(o) for o in self.store_outages],
            **({"name_groups": [codec.name_group_to_json(g) for g in self.name_groups]}
               if self.name_groups else {}),
            **({"monitors": [monitor_series_to_json(thinned(m)) for m in self.monitors],
                "monitor_sources": [monitor_source_to_json(s) for s in self.monitor_sources]}
               if self.monitors or self.monitor_sources else {}),
            **({"open_model": self.open_model_json()} if self.open else {}),
            **({"comparison": codec.comparison_to_json(self.comparison)}
               if self.comparison is not None else {}),
        }

    def open_model_json(self) -> dict[str, Any] | None:
        """The JSON summary's ``open_model`` (None for a closed-model run)."""
        if not self.open:
            return None
        data: dict[str, Any] = {}
        if self.open_model is not None:
            data = open_model_to_json(self.open_model)
        it = self.iterations
        if it is not None:
            data["iterations"] = {
                "scheduled": it.scheduled, "started": it.started, "dropped": it.dropped,
                "dropped_pct": it.dropped_pct, "dropped_max_per_s": it.dropped_max_per_s,
                "late": it.late, "scheduled_rate": it.target_rate, "started_rate": it.rate,
                "lag_p50_ms": it.lag_p50_ms, "lag_p95_ms": it.lag_p95_ms,
                "lag_p99_ms": it.lag_p99_ms, "lag_max_ms": it.lag_max_ms}
        return data

    def script_errors_json(self) -> dict[str, Any]:
        """The JSON summary's ``script_errors`` (and the run document's)."""
        return {"count": self.script_error_count,
                "groups": [codec.script_error_to_json(e) for e in self.script_errors],
                "log": self.script_errors_log}


# The numbers of a summary row (totals, an endpoint, a region, a stage), in the JSON
# summary and in the run document alike: as summarize_endpoint computed them (percentiles
# in ms of whole microseconds, avg_ms to the µs), unrounded. The latency ones are of the
# successful requests (null when none succeeded); ``failed_latency`` is the failed ones'.
SUMMARY_KEYS = ("requests", "failures", "rps", "avg_ms", "p50_ms", "p90_ms", "p95_ms",
                "p99_ms", "p999_ms", "max_ms")
# said of a run stored before failed requests had their own histogram
UNSPLIT_WARNING = ("this run was stored before failed requests' latency was kept apart: "
                   "its percentiles are of every request, failed ones included")


def summary_numbers(s: EndpointSummary) -> dict[str, Any]:
    return {**{key: getattr(s, key) for key in SUMMARY_KEYS},
            "failed_latency": failed_latency_json(s),
            **({"service_latency": service_latency_json(s)} if s.service_latency else {})}


def service_latency_json(s: EndpointSummary) -> dict[str, float] | None:
    """An open-model run's ``{"p50_ms", "p95_ms", "p99_ms", "max_ms"}`` as Locust measured
    them, from the send."""
    f = s.service_latency
    return None if f is None else {"p50_ms": f.p50_ms, "p95_ms": f.p95_ms,
                                   "p99_ms": f.p99_ms, "max_ms": f.max_ms}


def failed_latency_json(s: EndpointSummary) -> dict[str, float] | None:
    """``{"p50_ms", "p95_ms", "max_ms"}`` of the failed requests; None when none failed."""
    f = s.failed_latency
    return None if f is None else {"p50_ms": f.p50_ms, "p95_ms": f.p95_ms, "max_ms": f.max_ms}


def json_seconds(seconds: float) -> float:
    """A duration as the outputs show it: to the millisecond."""
    return round(seconds, 3)


def stage_json(st: StageReport) -> dict[str, Any]:
    return {"name": st.name, "start_s": st.start_s, "end_s": st.end_s, "users": st.users,
            **({"rate": st.rate} if st.rate is not None else {}),
            **summary_numbers(st.totals)}


def per_endpoint(pairs: Pairs) -> dict[EndpointKey, EndpointInterval]:
    """Each endpoint over all regions (region "*"), from ``Store.endpoint_region_data``."""
    result: dict[EndpointKey, EndpointInterval] = {}
    for (key, _), data in pairs.items():
        target = result.get(key)
        if target is None:
            target = result[key] = EndpointInterval(start=data.start, method=key.method,
                                                    name=key.name, region="*")
        target.merge(data)
    return result


def _merged(intervals: Iterable[EndpointInterval]) -> EndpointInterval:
    total = EndpointInterval(start=0, method="*", name="*", region="*")
    for interval in intervals:
        total.merge(interval)
    return total


def load_report(store: Store, run_id: int, pairs: Pairs | None = None,
                run: RunRecord | None = None, now: datetime | None = None) -> RunReport:
    """The run's report. When already read: ``pairs``, its
    ``Store.endpoint_region_data``; ``run``, its record. ``now``: the end of a running
    run's duration (``RunRecord.duration_s``; default: the current time)."""
    run = run if run is not None else store.get_run(run_id)
    meta, details = run.meta, run.details
    duration = run.duration_s(now)
    if pairs is None:
        pairs = store.endpoint_region_data(run_id)
    totals, endpoints = summarize(per_endpoint(pairs), duration)
    by_region: dict[str, dict[EndpointKey, EndpointInterval]] = {}
    for (key, region), data in pairs.items():
        by_region.setdefault(region, {})[key] = data
    regions = {name: summarize_endpoint(_merged(data.values()), duration, name=name, method="")
               for name, data in sorted(by_region.items())}
    locust = (LocustCounts(details.locust_requests, details.locust_failures or 0)
              if details.locust_requests is not None else None)
    iterations = None
    if details.open_model is not None or meta.shape == "arrival":
        series = store.iteration_series(run_id)
        scheduled = sum(i.scheduled for i in series)
        iterations = summarize_iterations(series, duration,
                                          scheduled / duration if duration > 0 else None)
    return RunReport(
        run_id=run_id, status=run.status, message=run.message, meta=meta,
        ended_at=run.ended_at, duration_s=duration, totals=totals,
        endpoints=tuple(endpoints), regions=regions,
        warnings=(*details.warnings, *((UNSPLIT_WARNING,) if totals.unsplit else ())),
        locust=locust,
        stages=(_steps(store, run_id, details.open_model.steps, meta.started_at)
                if details.open_model is not None and details.open_model.steps else
                _stages(store, run_id, meta.plan.get("shape"), meta.started_at, duration)),
        workers=details.workers, endpoint_regions=_endpoint_regions(by_region, duration),
        thresholds=details.thresholds, findings=details.findings,
        comparison=details.comparison, script_errors=details.script_errors,
        script_error_count=details.script_error_count,
        script_errors_log=details.script_errors_log, name_groups=details.name_groups,
        monitors=tuple(store.monitor_series(run_id, meta.started_at.timestamp())),
        monitor_sources=details.monitors,
        store_outages=details.store_outages,
        iterations=iterations, open_model=details.open_model,
    )


def _endpoint_regions(by_region: dict[str, dict[EndpointKey, EndpointInterval]],
                      duration_s: float) -> dict[tuple[str, str], dict[str, EndpointSummary]]:
    """Each endpoint broken down by region, when there is more than one region."""
    if len(by_region) < 2:
        return {}
    result: dict[tuple[str, str], dict[str, EndpointSummary]] = {}
    for region, data in sorted(by_region.items()):
        for key, interval in data.items():
            result.setdefault((key.method, key.name), {})[region] = summarize_endpoint(
                interval, duration_s, name=key.name, method=key.method)
    return result


def _steps(store: Store, run_id: int, steps: tuple[CapacityStep, ...],
           started_at: datetime) -> tuple[StageReport, ...]:
    """A capacity search's steps as stages: each over the seconds it was judged on."""
    start = started_at.timestamp()
    reports = []
    for step in steps:
        end = step.judged_to_s or step.end_s
        data = store.endpoint_data(run_id, start + step.judged_from_s, start + end)
        total, _ = summarize(data, max(end - step.judged_from_s, 1e-9))
        name = f"{step.rate:g}/s" + (" (confirm)" if step.confirm else "")
        reports.append(StageReport(name, step.start_s, step.end_s, 0, total, step.rate))
    return tuple(reports)


def _stages(store: Store, run_id: int, shape: dict[str, Any] | None, started_at: datetime,
            duration_s: float) -> tuple[StageReport, ...]:
    """Per-stage totals of a built-in shape, each from the merged histograms of its window."""
    if not shape:
        return ()
    start = int(started_at.timestamp())
    stages = [st for st in ShapeSpec.from_dict(shape).stages() if st.start_s < duration_s]
    reports = []
    for i, stage in enumerate(stages):
        first, last = i == 0, i == len(stages) - 1
        end_s = duration_s if last else stage.end_s  # the last stage runs to the run's end
        data = store.endpoint_data(run_id, None if first else start + stage.start_s,
                                   None if last else start + end_s)
        total, _ = summarize(data, max(end_s - stage.start_s, 1e-9))
        reports.append(StageReport(stage.name, stage.start_s, end_s, stage.users, total,
                                   stage.rate))
    return tuple(reports)
