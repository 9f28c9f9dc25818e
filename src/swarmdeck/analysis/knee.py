"""The knee of a run: where requests/s stopped growing while users kept growing and latency
rose. Pure: steps of the run (users, requests, a merged latency histogram) in, a `Knee` or
None out.

How (every threshold below is a module constant, documented in docs/findings.md):

1. Consecutive steps with the same user count form a *level*; the first step of a level of
   3+ steps is dropped (users were still arriving). Only the climb is read: levels up to
   the first one with fewer users than the one before (the ramp-down is not a knee).
2. Levels shorter than ``MIN_LEVEL_S`` seconds are merged with the next (a linear ramp
   becomes a few buckets); a bucket's users are its time-weighted mean.
3. Between two neighbouring levels with at least ``MIN_LEVEL_REQUESTS`` requests each,
   where users grew by at least ``MIN_USER_GROWTH``: the *scaling efficiency* is
   (rps growth) / (user growth), e.g. users +100% and rps +10% is 0.1. The knee is the
   lower level of the first pair with efficiency below ``MAX_EFFICIENCY`` whose p95 rose
   by at least ``MIN_P95_RISE`` (a factor) and ``MIN_P95_RISE_MS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from swarmdeck.metrics.histogram import LatencyHistogram

MIN_LEVEL_S = 3.0
MIN_LEVEL_REQUESTS = 20
MIN_USER_GROWTH = 0.15  # +15% users between levels, at least
MAX_EFFICIENCY = 0.5  # rps grew by less than half of what the user growth would give
MIN_P95_RISE = 1.3  # and p95 rose by 30% or more...
MIN_P95_RISE_MS = 5.0  # ...and by 5 ms or more
RETROGRADE = 0.8  # rps past the knee below 80% of the knee's: throughput collapsed


@dataclass(frozen=True)
class Step:
    """One step of the run's timeline: ``seconds`` long from ``start`` (epoch seconds)."""

    start: int
    seconds: int
    users: int | None
    requests: int
    failures: int = 0
    histogram: LatencyHistogram | None = None


@dataclass
class Level:
    users: float
    seconds: float
    requests: int
    failures: int
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def p95_ms(self) -> float:
        return self.histogram.percentile_ms(95) if self.histogram.count else 0.0

    def absorb(self, other: Level) -> None:
        total = self.seconds + other.seconds
        self.users = (self.users * self.seconds + other.users * other.seconds) / total \
            if total else other.users
        self.seconds = total
        self.requests += other.requests
        self.failures += other.failures
        self.histogram.merge(other.histogram)

    def to_json(self) -> dict[str, Any]:
        return {"users": round(self.users, 1), "seconds": self.seconds,
                "requests": self.requests, "rps": round(self.rps, 2),
                "p95_ms": round(self.p95_ms, 2)}


@dataclass(frozen=True)
class Knee:
    before: Level  # the last level where throughput still grew with users
    after: Level  # the next one: more users, no more throughput, higher p95
    efficiency: float
    levels: tuple[Level, ...]

    @property
    def retrograde(self) -> bool:
        return self.after.rps < RETROGRADE * self.before.rps


def levels(steps: Sequence[Step]) -> list[Level]:
    """The climb of the run as levels of constant users (see the module's docstring)."""
    runs: list[list[Step]] = []
    for step in steps:
        if step.users is None or step.users <= 0:
            if runs and runs[-1]:
                runs.append([])
            continue
        if runs and runs[-1] and runs[-1][-1].users == step.users:
            runs[-1].append(step)
        else:
            runs.append([step])
    climb: list[Level] = []
    for run in (r for r in runs if r):
        if len(run) >= 3:
            run = run[1:]
        level = Level(users=float(run[0].users or 0), seconds=0.0, requests=0, failures=0)
        for step in run:
            level.seconds += step.seconds
            level.requests += step.requests
            level.failures += step.failures
            if step.histogram is not None:
                level.histogram.merge(step.histogram)
        if climb and level.users < climb[-1].users:
            break
        climb.append(level)
    merged: list[Level] = []
    pending: Level | None = None
    for level in climb:
        if pending is None:
            pending = level
        else:
            pending.absorb(level)
        if pending.seconds >= MIN_LEVEL_S:
            merged.append(pending)
            pending = None
    if pending is not None:
        if merged and pending.seconds < MIN_LEVEL_S:
            merged[-1].absorb(pending)
        else:
            merged.append(pending)
    return merged


def find_knee(steps: Sequence[Step]) -> Knee | None:
    climb = levels(steps)
    for before, after in pairwise(climb):
        if before.requests < MIN_LEVEL_REQUESTS or after.requests < MIN_LEVEL_REQUESTS:
            continue
        user_growth = after.users / before.users - 1.0 if before.users else 0.0
        if user_growth < MIN_USER_GROWTH or before.rps <= 0:
            continue
        efficiency = (after.rps / before.rps - 1.0) / user_growth
        p95_before, p95_after = before.p95_ms, after.p95_ms
        if (efficiency < MAX_EFFICIENCY and p95_after >= MIN_P95_RISE * p95_before
                and p95_after - p95_before >= MIN_P95_RISE_MS):
            return Knee(before=before, after=after, efficiency=efficiency,
                        levels=tuple(climb))
    return None
