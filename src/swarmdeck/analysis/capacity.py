"""The capacity search (pure): which arrival rate to try next, and what a step's
measurements say (docs/capacity.md).

The rates: from ``start_rate``, doubling while the SLO holds (up to ``max_rate``); after the
first failure, halving the interval between the highest passing and the lowest failing rate
until they are within ``precision`` of each other; then the highest passing rate once more,
to confirm it (a failed confirmation lowers it by one ``precision`` step and tries again,
once). Nighthawk's adaptive load controller does the same in spirit: step, measure, decide.

A step is judged on its window after the settle time: every SLO threshold over the
intervals of that window, with at least ``min_requests`` requests. A failing step is the
*generator's* limit rather than the target's when the SLO held on the time measured from the
send (``service.*``) and it failed only counted from the due time — by at least
``LATE_MARGIN`` of the limit, so that a target at its limit, failing both nearly alike, is
the target's — or when iterations were dropped while it held: the users, not the target,
were late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from swarmdeck.analysis.latency import LATENCY_METRICS, SERVICE
from swarmdeck.analysis.thresholds import (
    Threshold,
    ThresholdResult,
    evaluate,
    in_scope,
    show,
)
from swarmdeck.labels import endpoint_label
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.metrics.iterations import IterationInterval, merged

GROWTH = 2.0
DROPPED_SHARE = 0.01  # a step that dropped more of its iterations did not start its rate
# a latency threshold failed from the due time is the generator's doing only when counted
# from the send it is at least this share of its limit lower (the users were that late)
LATE_MARGIN = 0.1


@dataclass(frozen=True)
class Judgement:
    passed: bool
    requests: int
    failures: int
    scheduled: int
    started: int
    dropped: int
    p50_ms: float | None
    p95_ms: float | None
    why: str  # the thresholds that failed, with what was observed
    generator_limited: bool = False
    broken: str | None = None  # the endpoint whose SLO broke worst (a failing step)

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.requests if self.requests else None


def judge(slo: Sequence[Threshold], intervals: Sequence[EndpointInterval],
          iterations: Sequence[IterationInterval], interval_s: float = 1.0) -> Judgement:
    """A step's verdict on the intervals of its judged window."""
    results = [evaluate(t, list(intervals), interval_s) for t in slo]
    failed = [r for r in results if not r.passed]
    requests = sum(i.requests for i in intervals)
    failures = sum(i.failures for i in intervals)
    totals = EndpointInterval(start=0, method="", name="", region="*")
    for interval in intervals:
        totals.merge(interval)
    h = totals.histogram
    p50, p95 = (v / 1000.0 for v in h.percentiles([50, 95])) if h.count else (None, None)
    it = merged(list(iterations))
    generator = False
    if failed:
        as_sent = [evaluate(_as_sent(r.threshold), list(intervals), interval_s)
                   for r in failed]
        held_as_sent = all(r.passed for r in as_sent)
        dropped_many = it.scheduled and it.dropped > DROPPED_SHARE * it.scheduled
        generator = held_as_sent and (dropped_many or any(
            r.threshold.metric in LATENCY_METRICS for r in failed)) and all(
            _late_by_much(due, sent) for due, sent in zip(failed, as_sent, strict=True))
    elif it.scheduled and it.dropped > DROPPED_SHARE * it.scheduled:
        generator = True  # the SLO held on what was started, but the rate was not started
    why = "; ".join(f"{r.threshold.label}: {_observed(r)}" for r in failed)
    if generator and not failed:
        why = f"{it.dropped} of {it.scheduled} iterations dropped"
    return Judgement(passed=not failed and not generator, requests=requests,
                     failures=failures, scheduled=it.scheduled, started=it.started,
                     dropped=it.dropped, p50_ms=p50, p95_ms=p95, why=why,
                     generator_limited=generator,
                     broken=_worst_endpoint(failed, intervals, interval_s) if failed else None)


def _late_by_much(due: ThresholdResult, sent: ThresholdResult) -> bool:
    """Whether a latency threshold failed from the due time *because* the users were late:
    counted from the send it is at least LATE_MARGIN of its limit lower. A target at its
    limit fails both nearly alike (a step at 94% of its capacity: 101.8 ms from the due
    time against 99.6 ms from the send, for a limit of 100 ms): the target's limit."""
    metric = due.threshold.metric
    if metric not in LATENCY_METRICS or due.observed is None or sent.observed is None:
        return True
    limit = due.threshold.value or 0.0
    return due.observed - sent.observed >= LATE_MARGIN * limit


def _as_sent(threshold: Threshold) -> Threshold:
    """The threshold on the time from the send (``p95`` -> ``service.p95``)."""
    metric = threshold.metric
    if metric in LATENCY_METRICS and not metric.startswith(("failed.", SERVICE)):
        return replace(threshold, metric=SERVICE + metric)
    return threshold


def _observed(result: ThresholdResult) -> str:
    return "no data" if result.observed is None else show(result.threshold.metric,
                                                             result.observed)


def _worst_endpoint(failed: Sequence[ThresholdResult],
                    intervals: Sequence[EndpointInterval], interval_s: float) -> str | None:
    """The endpoint whose failed thresholds were furthest past their limit."""
    names = sorted({(i.method, i.name) for i in intervals})
    worst: tuple[float, str] | None = None
    for result in failed:
        threshold = result.threshold
        for method, name in names:
            scoped = replace(threshold, endpoint=f"{method} {name}")
            chosen = [i for i in intervals if in_scope(scoped, i)]
            if not chosen:
                continue
            one = evaluate(scoped, chosen, interval_s)
            if one.passed or one.observed is None:
                continue
            limit = threshold.value or 1e-9
            ratio = (one.observed / limit if threshold.op in ("<", "<=")
                     else limit / max(one.observed, 1e-9))
            if worst is None or ratio > worst[0]:
                worst = (ratio, endpoint_label(method, name))
    return worst[1] if worst else None


@dataclass
class Search:
    """Which rate next: exponential, then binary, then a confirmation."""

    start_rate: float
    max_rate: float
    precision: float
    good: float | None = None  # the highest rate that passed
    bad: float | None = None  # the lowest rate that failed
    confirming: bool = False
    confirmed: bool = False
    confirmations: int = 0
    generator_limited: float | None = None  # a rate the generator could not start
    _last: float | None = None

    def next_rate(self) -> float | None:
        """The next rate to try; None when the search is over (see ``result``)."""
        if self.generator_limited is not None or self.confirmed:
            return None
        if self.good is None:
            if self.bad is not None:
                return None  # failed at the first rate
            return self._try(self.start_rate, False)
        if self.bad is None:
            if self.good >= self.max_rate:
                return self._confirm()
            return self._try(min(self.good * GROWTH, self.max_rate), False)
        if self.bad - self.good > self.precision * self.good:
            return self._try((self.good + self.bad) / 2, False)
        return self._confirm()

    def _try(self, rate: float, confirming: bool) -> float:
        self._last, self.confirming = rate, confirming
        return rate

    def _confirm(self) -> float | None:
        if self.confirmations >= 2 or self.good is None:
            return None
        self.confirmations += 1
        return self._try(self.good, True)

    def record(self, passed: bool, generator_limited: bool = False) -> None:
        rate = self._last
        assert rate is not None, "record() before next_rate()"
        if generator_limited:
            self.generator_limited = rate
        elif self.confirming:
            if passed:
                self.confirmed = True
            else:  # the confirmation failed: one precision step lower, judged again
                self.bad = rate
                lower = rate * (1 - self.precision)
                self.good = lower if lower >= self.start_rate * 0.5 else None
        elif passed:
            self.good = rate if self.good is None else max(self.good, rate)
        else:
            self.bad = rate if self.bad is None else min(self.bad, rate)
        self._last = None
