"""The run document of a *running* run, kept up to date incrementally for live polling.

A running run has no rollups yet: the report's ``run_document`` merges every raw interval
several times per call (about 100 s for an hour of 30 endpoints), far too slow to poll
every 2 s. Here each running run viewed gets a ``LiveRun`` that folds each raw interval in
once, after it has *settled* (``SETTLE_S`` seconds older than the newest interval: later
writes of the same key, which the store merges, land before that), into:

- per (endpoint, region) totals (histograms);
- per line (each endpoint, and all endpoints) a ladder of time buckets at the chart steps
  the report may pick (1, 10, 60, 300 s), built bottom-up: a closed bucket is reduced to
  its numbers (requests, failures, p50/p95/p99) and its histogram merged one level up.

Each poll reads only the unsettled tail and builds the same document shape as
``swarmdeck.report.document.run_document`` (so ``SwarmdeckReport.update`` draws it),
without stage totals. A run that is no longer running is served by ``run_document`` from
its rollups. Memory: a few dozen histograms (~190 kB each) per line while it runs.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from swarmdeck.analysis.summary import summarize, summarize_endpoint
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.report import document as doc
from swarmdeck.report.model import RunReport
from swarmdeck.store import RunRecord, Store, models
from swarmdeck.store.rows import MEASURE_COLUMNS, copy_interval, from_row

TRACKED = (1, 10, 60, 300)  # the chart steps a live document can use
SETTLE_S = 8
IDLE_S = 300.0  # a cached run nobody polled for this long is dropped
ALL = EndpointKey("", "*")  # the line of all endpoints together


@dataclass(frozen=True)
class Point:
    requests: int
    failures: int
    p50: float | None
    p95: float | None
    p99: float | None


def _point(data: EndpointInterval) -> Point:
    if not data.requests:
        return Point(data.requests, data.failures, None, None, None)
    p50, p95, p99 = doc.percentiles(data.histogram, (50, 95, 99))
    return Point(data.requests, data.failures, p50 / 1000, p95 / 1000, p99 / 1000)


def _fresh(start: int, like: EndpointInterval) -> EndpointInterval:
    return EndpointInterval(start=start, method=like.method, name=like.name, region="*")


@dataclass
class Ladder:
    """One chart line at every tracked step: closed buckets as numbers, open ones as
    histograms. Intervals must arrive in time order."""

    min_step: int = 1  # numbers are kept only from this step up
    steps: list[int] = field(default_factory=lambda: list(TRACKED))
    closed: dict[int, dict[int, Point]] = field(default_factory=dict)
    open: dict[int, EndpointInterval] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.closed = {step: {} for step in self.steps if step >= self.min_step}

    def add(self, interval: EndpointInterval, level: int = 0) -> None:
        step = self.steps[level]
        bucket = interval.start // step * step
        current = self.open.get(step)
        if current is not None and current.start != bucket:
            self._close(level)
            current = None
        if current is None:
            current = self.open[step] = _fresh(bucket, interval)
        current.merge(interval)

    def _close(self, level: int) -> None:
        step = self.steps[level]
        bucket = self.open.pop(step)
        if step in self.closed:
            self.closed[step][bucket.start] = _point(bucket)
        if level + 1 < len(self.steps):
            self.add(bucket, level + 1)

    def settle(self, watermark: int) -> None:
        """Close every open bucket that ends at or before ``watermark``."""
        for level, step in enumerate(self.steps):
            current = self.open.get(step)
            if current is not None and current.start + step <= watermark:
                self._close(level)

    def forget(self, step: int) -> None:
        """Stop keeping numbers at ``step`` (the run is too long for the charts to use it)."""
        self.closed.pop(step, None)

    def points(self, step: int, tail: Iterable[EndpointInterval]) -> dict[int, Point]:
        """Bucket start -> numbers at ``step``: the closed ones, plus the open buckets of
        this and the lower levels and the unsettled ``tail`` merged (in copies)."""
        result = dict(self.closed[step])
        partial: dict[int, EndpointInterval] = {}
        pieces = [self.open[s] for s in self.steps if s <= step and s in self.open]
        for piece in [*pieces, *tail]:
            bucket = piece.start // step * step
            target = partial.get(bucket)
            if target is None:
                target = partial[bucket] = _fresh(bucket, piece)
            target.merge(piece)
        for bucket, data in partial.items():
            result[bucket] = _point(data)
        return result


class LiveRun:
    """The settled state of one running run; ``document()`` adds the unsettled tail."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store = store
        self.run_id = run_id
        self.lock = threading.Lock()
        self.watermark: int | None = None  # intervals starting before this are folded in
        self.totals: dict[tuple[EndpointKey, str], EndpointInterval] = {}
        self.lines: dict[EndpointKey, Ladder] = {}
        self.used = time.monotonic()
        self.min_step = 1  # only grows: a run only gets longer

    def _ladder(self, key: EndpointKey) -> Ladder:
        ladder = self.lines.get(key)
        if ladder is None:
            ladder = self.lines[key] = Ladder(
                min_step=self.min_step, steps=[s for s in TRACKED if s >= self.min_step])
        return ladder

    def _read(self, lo: int | None, hi: int | None) -> Iterator[EndpointInterval]:
        table = models.intervals
        query = select(*(table.c[name] for name in MEASURE_COLUMNS)).where(
            table.c.run_id == self.run_id)
        if lo is not None:
            query = query.where(table.c.start >= lo)
        if hi is not None:
            query = query.where(table.c.start < hi)
        with self.store.engine.connect() as connection:
            rows = connection.execute(query.order_by(table.c.start)).all()
        for row in rows:
            yield from_row(row)

    def _fold(self, upto: int) -> None:
        for interval in self._read(self.watermark, upto):
            key = (interval.endpoint, interval.region)
            total = self.totals.get(key)
            if total is None:
                self.totals[key] = copy_interval(interval)
            else:
                total.merge(interval)
            self._ladder(ALL).add(interval)
            self._ladder(interval.endpoint).add(interval)
        for ladder in self.lines.values():
            ladder.settle(upto)
        self.watermark = upto

    def document(self, record: RunRecord) -> dict[str, Any]:
        if doc.choose_step(time.time() - record.meta.started_at.timestamp(),
                           len(self.lines) or 1) > TRACKED[-1]:
            return doc.run_document(self.store, self.run_id)  # a run of many hours
        with self.lock:
            self.used = time.monotonic()
            self._coarsen(doc.choose_step(time.time() - record.meta.started_at.timestamp(),
                                          max(len(self.lines) - 1, 1)))
            last = record.last_interval
            if last is not None and last - SETTLE_S > (self.watermark or 0):
                self._fold(last - SETTLE_S)
            tail = list(self._read(self.watermark, None))
            return self._build(record, tail)

    def _coarsen(self, step: int) -> None:
        """Stop keeping numbers finer than ``step``: the run is too long for them now."""
        self.min_step = max(self.min_step, min(step, TRACKED[-1]))
        for ladder in self.lines.values():
            for finer in TRACKED:
                if finer < self.min_step:
                    ladder.forget(finer)

    # -- the document ---------------------------------------------------------------

    def _build(self, record: RunRecord, tail: list[EndpointInterval]) -> dict[str, Any]:
        meta = record.meta
        t0 = meta.started_at.timestamp()
        duration = max(time.time() - t0, 0.0)
        end = t0 + duration
        per_region: dict[tuple[EndpointKey, str], EndpointInterval] = {
            key: copy_interval(data) for key, data in self.totals.items()}
        for interval in tail:
            key = (interval.endpoint, interval.region)
            if key in per_region:
                per_region[key].merge(interval)
            else:
                per_region[key] = copy_interval(interval)
        per_endpoint: dict[EndpointKey, EndpointInterval] = {}
        regions: dict[str, EndpointInterval] = {}
        for (endpoint, region), data in per_region.items():
            if endpoint not in per_endpoint:
                per_endpoint[endpoint] = _fresh(0, data)
            per_endpoint[endpoint].merge(data)
            if region not in regions:
                regions[region] = EndpointInterval(start=0, method="*", name="*", region="*")
            regions[region].merge(data)
        totals, endpoints = summarize(per_endpoint, duration)
        region_summaries = {name: summarize_endpoint(data, duration, name=name, method="")
                            for name, data in sorted(regions.items())}
        details = record.details or {}
        report = RunReport(
            run_id=record.id, status=record.status, message=record.message, host=meta.host,
            locustfile=meta.locustfile, users=meta.users, shape=meta.shape,
            tags=dict(meta.tags), started_at=meta.started_at, ended_at=None,
            duration_s=duration, totals=totals, endpoints=endpoints,
            regions=region_summaries, warnings=list(details.get("warnings", [])),
            workers=list(details.get("workers", [])))
        step = doc.choose_step(duration, len(per_endpoint))
        if step not in TRACKED:  # a run of many hours: charts coarser than tracked
            return doc.run_document(self.store, self.run_id)
        self._coarsen(step)
        timeline, endpoint_timelines = self._timelines(
            step, tail, t0, end, self.store.user_counts(self.run_id))
        return {
            "kind": "run", "schema": doc.SCHEMA,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "header": doc._header(report, record),
            "totals": doc._summary(totals),
            "endpoints": [doc._summary(e) for e in endpoints],
            "timeline": timeline, "endpoint_timelines": endpoint_timelines,
            "distributions": doc._distributions(per_endpoint),
            "failures": doc._failures(per_endpoint),
            "stages": [],
            "regions": {name: doc._summary(s)
                        for name, s in region_summaries.items()}
            if len(region_summaries) > 1 else {},
            "thresholds": [], "findings": [], "comparison": None,
            "live": {"settled_until": self.watermark, "settle_s": SETTLE_S},
        }

    def _timelines(self, step: int, tail: list[EndpointInterval], t0: float, end: float,
                   samples: list[tuple[float, int]]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The overall line (with users) and one per endpoint on one grid, as the
        report's ``_timelines`` makes them."""
        by_line: dict[EndpointKey, dict[int, Point]] = {}
        keys = {key for key in self.lines if key != ALL} | {iv.endpoint for iv in tail}
        for key in keys:
            ladder = self.lines.get(key) or Ladder()
            by_line[key] = ladder.points(step, [iv for iv in tail if iv.endpoint == key])
        overall = (self.lines.get(ALL) or Ladder()).points(step, tail)
        starts = sorted({s for points in by_line.values() for s in points})
        if starts:
            starts = list(range(starts[0], starts[-1] + 1, step))
        t = [round(max(start - t0, 0.0), 1) for start in starts]
        lines = {doc.endpoint_key(key.method, key.name): self._line(by_line[key], starts,
                                                                    step, t0, end)
                 for key in sorted(by_line, key=lambda k: (k.name, k.method))}
        users = [doc._users_by(samples, start + step) for start in starts]
        return ({"step_s": step, "t": t, "users": users,
                 **self._line(overall, starts, step, t0, end)},
                {"step_s": step, "t": t, "series": lines})

    @staticmethod
    def _line(points: dict[int, Point], starts: list[int], step: int, t0: float,
              end: float) -> dict[str, list[Any]]:
        line: dict[str, list[Any]] = {k: [] for k in ("rps", "fps", "p50", "p95", "p99")}
        for start in starts:
            p = points.get(start) or Point(0, 0, None, None, None)
            span = doc._span(start, step, t0, end)
            line["rps"].append(doc._num(p.requests / span))
            line["fps"].append(doc._num(p.failures / span))
            for name, value in (("p50", p.p50), ("p95", p.p95), ("p99", p.p99)):
                line[name].append(None if value is None else doc._num(value))
        return line


class LiveCache:
    """Documents for the run page: a LiveRun per running run polled (idle ones dropped),
    and the last documents of finished runs (they change only when the verdict is
    recorded, which changes the run's status or details). Thread-safe."""

    def __init__(self, store: Store, keep_finished: int = 16) -> None:
        self.store = store
        self.runs: dict[int, LiveRun] = {}
        self.finished: OrderedDict[int, tuple[str, dict[str, Any]]] = OrderedDict()
        self.keep_finished = keep_finished
        self.lock = threading.Lock()

    def document(self, run_id: int) -> dict[str, Any]:
        record = self.store.get_run(run_id)
        if record.status != "running" or record.rolled_up:
            with self.lock:
                self.runs.pop(run_id, None)
            return self._finished(record)
        with self.lock:
            now = time.monotonic()
            for stale in [i for i, live in self.runs.items() if now - live.used > IDLE_S]:
                del self.runs[stale]
            live = self.runs.get(run_id)
            if live is None:
                live = self.runs[run_id] = LiveRun(self.store, run_id)
        return live.document(record)

    def _finished(self, record: RunRecord) -> dict[str, Any]:
        mark = json.dumps([record.status, record.message, str(record.ended_at),
                           record.rolled_up, record.details], sort_keys=True, default=str)
        with self.lock:
            cached = self.finished.get(record.id)
            if cached is not None and cached[0] == mark:
                self.finished.move_to_end(record.id)
                return cached[1]
        document = doc.run_document(self.store, record.id)
        with self.lock:
            self.finished[record.id] = (mark, document)
            while len(self.finished) > self.keep_finished:
                self.finished.popitem(last=False)
        return document
