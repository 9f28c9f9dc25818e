"""A run as every report shows it, assembled from the store (never from live runner state),
so that any past run renders exactly as it did when it ended."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from swarmdeck.analysis.summary import EndpointSummary, summarize, summarize_endpoint
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.plan import ShapeSpec
from swarmdeck.records.codec import comparison_from_json, comparison_to_json
from swarmdeck.records.comparison import Comparison
from swarmdeck.store import RunRecord, Store

Pairs = dict[tuple[EndpointKey, str], EndpointInterval]  # Store.endpoint_region_data


@dataclass(frozen=True)
class StageReport:
    """One stage of a built-in shape, e.g. the step shape's ``peak``: its own percentiles."""

    name: str
    start_s: float
    end_s: float
    users: int
    totals: EndpointSummary


@dataclass(frozen=True)
class RunReport:
    run_id: int
    status: str
    message: str | None
    host: str
    locustfile: str
    users: int | None
    shape: str | None
    tags: dict[str, str]
    started_at: datetime
    ended_at: datetime | None
    duration_s: float
    totals: EndpointSummary
    endpoints: list[EndpointSummary]
    regions: dict[str, EndpointSummary]
    warnings: list[str]
    locust: dict[str, int] | None = None  # Locust's own counters at the end, for comparison
    stages: list[StageReport] = field(default_factory=list)
    workers: list[dict[str, Any]] = field(default_factory=list)  # distributed runs only
    # (method, name) -> region -> summary; filled when the run has more than one region
    endpoint_regions: dict[tuple[str, str], dict[str, EndpointSummary]] = field(
        default_factory=dict)
    # The verdict, as stored with the run after it ended (swarmdeck.verdict.judge)
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    comparison: Comparison | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` summary (documented in docs/json-summary.md)."""
        keys = ("requests", "failures", "rps", "avg_ms", "p50_ms", "p90_ms", "p95_ms",
                "p99_ms", "p999_ms", "max_ms")

        def totals(s: EndpointSummary) -> dict[str, Any]:
            return {k: getattr(s, k) for k in keys}

        return {
            "run_id": self.run_id,
            "status": self.status,
            "message": self.message,
            "host": self.host,
            "locustfile": self.locustfile,
            "users": self.users,
            "shape": self.shape,
            "tags": self.tags,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_s": round(self.duration_s, 3),
            "totals": totals(self.totals),
            "endpoints": [
                {"name": e.name, "method": e.method, **totals(e), "bytes": e.bytes,
                 "errors": [{"reason": x.reason, "count": x.count} for x in e.errors],
                 **({"regions": {r: totals(s) for r, s in
                                 self.endpoint_regions[(e.method, e.name)].items()}}
                    if self.endpoint_regions else {})}
                for e in self.endpoints
            ],
            "regions": {name: totals(s) for name, s in self.regions.items()},
            "warnings": self.warnings,
            "locust": self.locust,
            "workers": self.workers,
            "stages": [
                {"name": st.name, "start_s": st.start_s, "end_s": st.end_s, "users": st.users,
                 **totals(st.totals)}
                for st in self.stages
            ],
            "thresholds": self.thresholds,
            "findings": self.findings,
            **({"comparison": comparison_to_json(self.comparison)}
               if self.comparison is not None else {}),
        }


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


def duration_s(run: RunRecord) -> float:
    """From the start to the end, or to now while the run is in progress."""
    meta = run.meta
    end = run.ended_at if run.ended_at is not None else datetime.now(meta.started_at.tzinfo)
    return max((end - meta.started_at).total_seconds(), 0.0)


def load_report(store: Store, run_id: int, pairs: Pairs | None = None,
                run: RunRecord | None = None, duration: float | None = None) -> RunReport:
    """The run's report. When already read: ``pairs``, its
    ``Store.endpoint_region_data``; ``run``, its record, and ``duration`` (``duration_s``)."""
    run = run if run is not None else store.get_run(run_id)
    meta = run.meta
    ended = run.ended_at
    duration = duration if duration is not None else duration_s(run)
    if pairs is None:
        pairs = store.endpoint_region_data(run_id)
    totals, endpoints = summarize(per_endpoint(pairs), duration)
    by_region: dict[str, dict[EndpointKey, EndpointInterval]] = {}
    for (key, region), data in pairs.items():
        by_region.setdefault(region, {})[key] = data
    regions = {name: summarize_endpoint(_merged(data.values()), duration, name=name, method="")
               for name, data in sorted(by_region.items())}
    details = run.details or {}
    return RunReport(
        run_id=run_id, status=run.status, message=run.message, host=meta.host,
        locustfile=meta.locustfile, users=meta.users, shape=meta.shape, tags=dict(meta.tags),
        started_at=meta.started_at, ended_at=ended, duration_s=duration, totals=totals,
        endpoints=endpoints, regions=regions, warnings=list(details.get("warnings", [])),
        locust=({"requests": int(details["locust_requests"]),
                 "failures": int(details["locust_failures"])}
                if "locust_requests" in details else None),
        stages=_stages(store, run_id, meta.plan.get("shape"), meta.started_at, duration),
        workers=list(details.get("workers", [])),
        endpoint_regions=_endpoint_regions(by_region, duration),
        thresholds=list(details.get("thresholds", [])),
        findings=list(details.get("findings", [])),
        comparison=(comparison_from_json(details["comparison"])
                    if details.get("comparison") else None),
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


def _stages(store: Store, run_id: int, shape: dict[str, Any] | None, started_at: datetime,
            duration_s: float) -> list[StageReport]:
    """Per-stage totals of a built-in shape, each from the merged histograms of its window."""
    if not shape:
        return []
    start = int(started_at.timestamp())
    stages = [st for st in ShapeSpec.from_dict(shape).stages() if st.start_s < duration_s]
    reports = []
    for i, stage in enumerate(stages):
        first, last = i == 0, i == len(stages) - 1
        end_s = duration_s if last else stage.end_s  # the last stage runs to the run's end
        data = store.endpoint_data(run_id, None if first else start + stage.start_s,
                                   None if last else start + end_s)
        total, _ = summarize(data, max(end_s - stage.start_s, 1e-9))
        reports.append(StageReport(stage.name, stage.start_s, end_s, stage.users, total))
    return reports
