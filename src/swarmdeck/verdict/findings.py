"""Findings for a stored run: its evidence, endpoint summaries and timeline, read from the
store only and handed to the pure analysis (analysis/findings.py)."""

from __future__ import annotations

import math

from swarmdeck.analysis.findings import FindingInputs, find
from swarmdeck.analysis.knee import Step
from swarmdeck.analysis.summary import summarize
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.records.evidence import EvidenceRecord
from swarmdeck.records.verdict import Finding
from swarmdeck.store import Store
from swarmdeck.store.records import RunRecord

MAX_POINTS = 300  # the timeline step gives at most this many points (at least 1 s each)


NICE_STEPS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600)  # from 10 s up, the rollups serve them


def step_for(duration_s: float) -> int:
    """The smallest of NICE_STEPS giving at most MAX_POINTS points (1 s up to 300 s)."""
    needed = math.ceil(duration_s / MAX_POINTS)
    return next((s for s in NICE_STEPS if s >= needed), 60 * math.ceil(needed / 60))


def steps_for_run(store: Store, run_id: int, step_s: int) -> list[Step]:
    """The run's timeline (users per step) with the merged latency histogram of each step,
    streamed (one step's intervals in memory at a time)."""
    histograms: dict[int, LatencyHistogram] = {}
    for interval in store.iter_series(run_id, step_s):
        h = histograms.get(interval.start)
        if h is None:
            h = histograms[interval.start] = LatencyHistogram()
        h.merge(interval.histogram)
    return [Step(start=p.start, seconds=step_s, users=p.users, requests=p.requests,
                 failures=p.failures, histogram=histograms.get(p.start))
            for p in store.timeline(run_id, step_s)]


def find_for_run(store: Store, record: RunRecord) -> list[Finding]:
    """The run's findings, errors first (analysis/findings.py)."""
    details = record.details
    duration = record.duration_s()
    _, endpoints = summarize(store.endpoint_data(record.id), duration)
    inputs = FindingInputs(
        evidence=details.evidence or EvidenceRecord(), endpoints=endpoints,
        steps=steps_for_run(store, record.id, step_for(duration)), duration_s=duration,
        warnings=details.warnings, name_groups=details.name_groups)
    return find(inputs)
