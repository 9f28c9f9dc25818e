"""Findings for a stored run: its evidence, endpoint summaries, timeline and per-second
series, read from the store only and handed to the pure analysis (analysis/findings.py)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from swarmdeck.analysis.findings import FindingInputs, find
from swarmdeck.analysis.knee import Step
from swarmdeck.analysis.outages import Second, SecondSeries, failure_kind, is_outage_kind
from swarmdeck.analysis.server_split import ServerStep, server_time_us
from swarmdeck.analysis.summary import EndpointSummary, summarize
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.records.evidence import EvidenceRecord
from swarmdeck.records.verdict import Finding
from swarmdeck.store import Store
from swarmdeck.store.records import RunRecord

MAX_POINTS = 300  # the timeline step gives at most this many points (at least 1 s each)


SERVER_STEP_MIN = 10  # the server timing steps (queueing): at least 10 s, read from rollups
NICE_STEPS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600)  # from 10 s up, the rollups serve them
# the outage series: per interval (1 s) up to this many points (2 h); a longer run is read
# in 10 s or 60 s steps from its rollups, so that the read stays bounded (raw 1-s rows cost
# ~60 µs each: a 24-h run of 20 endpoints has 1.7 million)
SERIES_MAX_POINTS = 7200


def step_for(duration_s: float) -> int:
    """The smallest of NICE_STEPS giving at most MAX_POINTS points (1 s up to 300 s)."""
    needed = math.ceil(duration_s / MAX_POINTS)
    return next((s for s in NICE_STEPS if s >= needed), 60 * math.ceil(needed / 60))


def steps_for_run(store: Store, run_id: int, step_s: int,
                  histograms: dict[int, LatencyHistogram] | None = None) -> list[Step]:
    """The run's timeline (users per step) with the merged latency histogram of each step,
    streamed (one step's intervals in memory at a time); ``histograms``: those already
    merged (``series_for_run`` with a step of 1 s)."""
    if histograms is None:
        histograms = {}
        for interval in store.iter_series(run_id, step_s):
            h = histograms.get(interval.start)
            if h is None:
                h = histograms[interval.start] = LatencyHistogram()
            h.merge(interval.histogram)
    return [Step(start=p.start, seconds=step_s, users=p.users, requests=p.requests,
                 failures=p.failures, histogram=histograms.get(p.start))
            for p in store.timeline(run_id, step_s)]


class _SecondTotals:
    """One second of the series being gathered: every endpoint's intervals merged."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.requests = self.failures = self.outage_failures = 0
        self.histogram = LatencyHistogram()
        self.outage_reasons: Counter[str] = Counter()
        self.endpoint_failures: dict[tuple[str, str], int] = {}

    def add(self, interval: EndpointInterval, kinds: dict[str, bool]) -> None:
        self.requests += interval.requests
        self.failures += interval.failures
        self.histogram.merge(interval.histogram)
        if interval.failures:
            key = (interval.method, interval.name)
            self.endpoint_failures[key] = self.endpoint_failures.get(key, 0) + interval.failures
        for reason, count in interval.errors.items():
            outage = kinds.get(reason)
            if outage is None:
                outage = kinds[reason] = is_outage_kind(failure_kind(reason))
            if outage:
                self.outage_failures += count
                self.outage_reasons[reason] += count

    def second(self) -> Second:
        return Second(
            start=self.start, requests=self.requests, failures=self.failures,
            outage_failures=self.outage_failures,
            p50_ms=self.histogram.percentile_ms(50) if self.requests else None,
            outage_reasons=dict(self.outage_reasons), endpoint_failures=self.endpoint_failures)


def series_step(interval_s: float, duration_s: float) -> int:
    """The run's interval (1 s unless --interval) while that gives at most
    SERIES_MAX_POINTS points, else 10 s or a multiple of 60 s (read from the rollups)."""
    step = max(1, math.ceil(interval_s or 1))
    if duration_s / step <= SERIES_MAX_POINTS:
        return step
    needed = duration_s / SERIES_MAX_POINTS
    return 10 if step <= 10 and needed <= 10 else 60 * math.ceil(max(needed, step) / 60)


def series_for_run(store: Store, record: RunRecord,
                   histograms: dict[int, LatencyHistogram] | None = None) -> SecondSeries:
    """Per second with requests (all endpoints): requests, failures, failures of an outage
    kind and their reasons, failures per endpoint, the p50; streamed from the 1-s series
    (one second's intervals in memory at a time; coarser for long runs: ``series_step``).
    ``histograms``, when given, also gets each second's merged histogram (the knee's steps
    when they are 1 s)."""
    step = series_step(record.meta.interval_s, record.duration_s())
    return SecondSeries(started_at=record.meta.started_at.timestamp(), step_s=step,
                        seconds=tuple(_seconds(store.iter_series(record.id, step), histograms)))


def _seconds(intervals: Iterable[EndpointInterval],
             histograms: dict[int, LatencyHistogram] | None) -> Iterable[Second]:
    kinds: dict[str, bool] = {}  # reason -> of an outage kind (reasons repeat)
    current: _SecondTotals | None = None
    for interval in intervals:
        if current is not None and current.start != interval.start:
            yield current.second()
            if histograms is not None:
                histograms[current.start] = current.histogram
            current = None
        if current is None:
            current = _SecondTotals(interval.start)
        current.add(interval, kinds)
    if current is not None:
        yield current.second()
        if histograms is not None:
            histograms[current.start] = current.histogram


def server_steps_for_run(store: Store, record: RunRecord, steps: list[Step],
                         endpoints: list[EndpointSummary]) -> list[ServerStep]:
    """Per step of at least SERVER_STEP_MIN s, every endpoint's Server-Timing merged: the
    responses that carried the header with the server's whole time (app or total), their
    client latency and that server time; nothing without any (no extra read)."""
    if not any(e.server is not None and e.server.server_metric for e in endpoints):
        return []
    step_s = max(SERVER_STEP_MIN, steps[0].seconds if steps else 1)
    step_s = -(-step_s // SERVER_STEP_MIN) * SERVER_STEP_MIN  # a multiple: the rollups
    users = {st.start // step_s * step_s: st.users for st in steps}  # the block's last
    totals: dict[int, list[int]] = {}  # start -> [responses, client µs, server µs]
    for interval in store.iter_series(record.id, step_s):
        timing = interval.server_timing
        if timing is None or timing.responses == 0:
            continue
        server = server_time_us(timing)
        if server is None:
            continue
        total = totals.setdefault(interval.start, [0, 0, 0])
        total[0] += timing.responses
        total[1] += timing.client_us
        total[2] += server
    return [ServerStep(start=start, seconds=step_s, users=users.get(start),
                       responses=n, client_ms=client / 1000 / n, server_ms=server / 1000 / n)
            for start, (n, client, server) in sorted(totals.items())]


def find_for_run(store: Store, record: RunRecord) -> list[Finding]:
    """The run's findings, errors first (analysis/findings.py)."""
    details = record.details
    duration = record.duration_s()
    totals, endpoints = summarize(store.endpoint_data(record.id), duration)
    open_model = record.meta.shape == "arrival" or details.open_model is not None
    step = step_for(duration)
    histograms: dict[int, LatencyHistogram] | None = (
        {} if step == 1 == series_step(record.meta.interval_s, duration) else None)
    series = series_for_run(store, record, histograms)  # one read when the steps are 1 s
    steps = steps_for_run(store, record.id, step, histograms)
    inputs = FindingInputs(
        evidence=details.evidence or EvidenceRecord(), endpoints=endpoints,
        steps=steps, duration_s=duration,
        warnings=details.warnings, script_errors=details.script_errors,
        series=series, name_groups=details.name_groups,
        monitors=store.monitor_series(record.id), open_model=open_model,
        iterations=store.iteration_series(record.id) if open_model else (),
        service_p50=service_p50(store, record) if open_model else {},
        pool=details.open_model, totals=totals,
        server_steps=server_steps_for_run(store, record, steps, endpoints),
        top_queries=[q for source in details.monitors for q in source.top_queries])
    return find(inputs)


def service_p50(store: Store, record: RunRecord) -> dict[int, float]:
    """An open-model run's p50 from the send, per step of its series (epoch start)."""
    step = series_step(record.meta.interval_s, record.duration_s())
    merged: dict[int, LatencyHistogram] = {}
    for interval in store.iter_series(record.id, step):
        h = merged.get(interval.start)
        if h is None:
            h = merged[interval.start] = LatencyHistogram()
        h.merge(interval.service)
    return {start: h.percentile_ms(50) for start, h in merged.items() if h.count}
