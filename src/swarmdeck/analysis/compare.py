"""Compare two runs, endpoint by endpoint and overall, and say whether each change is real.

    table = compare(RunSeries(base_series, base_duration_s),
                    RunSeries(candidate_series, candidate_duration_s))
    table.rows    # ComparisonRow (swarmdeck.records.comparison): the overall row, then
                  # one per endpoint

For each row: requests, requests/s, p50/p95/p99 (of the successful requests: the failed
ones' latency, a refused connection's 1 ms or a timeout's 30 s, would distort them) and
error rate of both runs, the change
(in %, the error rate in percentage points) and a confidence interval for it from a block
bootstrap over the per-interval histograms (see ``swarmdeck.analysis.bootstrap``): each
run's blocks are resampled with replacement, independently, ``RESAMPLES`` times; the CI is
the central ``confidence`` share of the resampled changes. The RNG is seeded: the same two
runs always give the same numbers.

A change is *significant* when its CI excludes 0 AND it is at least ``min_change`` (10 %;
0.5 pp for the error rate): the bootstrap only sees the noise within each run, not the
drift between two runs of the same plan (another process on the machine, a warmer cache),
which A/A runs on a shared machine put well above 10 % (see docs/compare.md). A row's
verdict is on the chosen metric (p95 by default): ``slower``/``faster`` when its change is
significant, else ``no significant change``; ``not enough data`` when either run has fewer
than ``min_requests(metric)`` requests (successful ones for a percentile: at least
``MIN_TAIL`` beyond it, 100 for p95, 500 for p99; ``MIN_REQUESTS`` for rps) or
``MIN_BLOCKS`` blocks with them;
``only in base``/``only in candidate`` when one run never called it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from swarmdeck.analysis import bootstrap
from swarmdeck.analysis.budgets import Budget, exceeded
from swarmdeck.analysis.summary import TOTAL_NAME
from swarmdeck.errors import BadInput
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.records.comparison import Change, ComparisonRow, RowVerdict, SideStats

MIN_CHANGE = 0.10  # practical minimum of a significant change (relative)
MIN_CHANGE_PP = 0.5  # the same for the error rate, in percentage points
MIN_REQUESTS = 20  # per endpoint and run, for any metric
MIN_TAIL = 5  # requests beyond a percentile, per run, for a change in it to count
MIN_BLOCKS = 5  # blocks (intervals of the series' step) with requests, per run
RESAMPLES = 1000
SEED = 20240601
VERDICT_METRICS = ("p50", "p95", "p99", "rps")
_LATENCY = {"p50": 50.0, "p95": 95.0, "p99": 99.0}


@dataclass(frozen=True)
class RunSeries:
    """One run as the comparison needs it: per endpoint its intervals, one per block, and
    the run's duration in seconds. ``series`` is a mapping of endpoint to intervals (as from
    ``Store.series``), or intervals in time order read once (``Store.iter_series``, so a
    long run streams)."""

    series: Mapping[EndpointKey, Sequence[EndpointInterval]] | Iterable[EndpointInterval]
    duration_s: float

    def intervals(self) -> Iterable[EndpointInterval]:
        if isinstance(self.series, Mapping):
            return sorted((i for intervals in self.series.values() for i in intervals),
                          key=lambda i: (i.start, i.method, i.name))
        return self.series


@dataclass(frozen=True)
class ComparisonTable:
    """The rows of a comparison (the overall row first) and how they were judged;
    ``swarmdeck.verdict.comparison`` adds the runs and the budgets."""

    metric: str
    confidence: float
    min_change: float
    rows: tuple[ComparisonRow, ...]


def compare(base: RunSeries, candidate: RunSeries, *, metric: str = "p95",
            confidence: float = 0.95, min_change: float = MIN_CHANGE,
            resamples: int = RESAMPLES, seed: int = SEED) -> ComparisonTable:
    """Every endpoint of either run and the overall row (first), with changes and CIs."""
    if metric not in VERDICT_METRICS:
        raise BadInput(f"cannot compare on {metric!r}",
                       "use one of " + ", ".join(VERDICT_METRICS))
    if not 0 < confidence < 1:
        raise BadInput(f"confidence {confidence!r} is not between 0 and 1", "use e.g. 0.95")
    rng = np.random.default_rng(seed)
    sides = []
    for run in (base, candidate):
        samples, overall, blocks = bootstrap.build_samples(run.intervals())
        draw = bootstrap.weights(rng, max(blocks, 1), resamples)
        sides.append((samples, overall, draw, max(run.duration_s, 1e-9)))
    (b_samples, b_all, b_draw, b_dur), (c_samples, c_all, c_draw, c_dur) = sides
    rule = _Rule(metric, (1 - confidence) / 2, min_change)
    if b_all.total_requests and c_all.total_requests:
        rows = [rule.row("", TOTAL_NAME, True, (b_all, b_draw, b_dur), (c_all, c_draw, c_dur))]
    else:  # a run without a single request: nothing to compare, even overall
        rows = [ComparisonRow(
            method="", name=TOTAL_NAME, overall=True,
            base=_stats((b_all, b_draw, b_dur)) if b_all.total_requests else None,
            candidate=_stats((c_all, c_draw, c_dur)) if c_all.total_requests else None,
            changes={}, verdict=RowVerdict.NOT_ENOUGH_DATA)]
    keys = sorted(set(b_samples) | set(c_samples), key=lambda k: (k.name, k.method))
    for key in keys:
        method, name = key
        b = (b_samples[key], b_draw, b_dur) if key in b_samples else None
        c = (c_samples[key], c_draw, c_dur) if key in c_samples else None
        rows.append(rule.row(method, name, False, b, c))
    return ComparisonTable(metric, confidence, min_change, tuple(rows))


Side = tuple[bootstrap.Sample, Any, float]


@dataclass(frozen=True)
class _Rule:
    metric: str
    tail: float
    min_change: float

    def row(self, method: str, name: str, overall: bool, base: Side | None,
            candidate: Side | None) -> ComparisonRow:
        if base is None or candidate is None:
            verdict = RowVerdict.ONLY_IN_CANDIDATE if base is None else RowVerdict.ONLY_IN_BASE
            return ComparisonRow(method, name, overall, _stats(base) if base else None,
                                 _stats(candidate) if candidate else None, {}, verdict)
        b_stats, c_stats = _stats(base), _stats(candidate)

        def enough(metric: str) -> bool:
            if metric in _LATENCY:  # percentiles of the successful requests
                return all(side[0].total_latencies >= min_requests(metric)
                           and side[0].blocks_with_latencies >= MIN_BLOCKS
                           for side in (base, candidate))
            return all(side[0].total_requests >= min_requests(metric)
                       and side[0].blocks_with_data >= MIN_BLOCKS for side in (base, candidate))

        changes = self._changes(b_stats, c_stats, base, candidate, enough)
        return ComparisonRow(method, name, overall, b_stats, c_stats, changes,
                             self._verdict(changes[self.metric], enough(self.metric)))

    def _verdict(self, change: Change, enough: bool) -> RowVerdict:
        if not enough:
            return RowVerdict.NOT_ENOUGH_DATA
        if not change.significant or change.change is None:
            return RowVerdict.NO_SIGNIFICANT_CHANGE
        higher_is_faster = self.metric == "rps"
        if (change.change > 0) == higher_is_faster:
            return RowVerdict.FASTER
        return RowVerdict.SLOWER

    def _changes(self, b_stats: SideStats, c_stats: SideStats, base: Side, candidate: Side,
                 enough: Callable[[str], bool]) -> dict[str, Change]:
        b_res = bootstrap.resample(base[0], base[1])
        c_res = bootstrap.resample(candidate[0], candidate[1])
        changes: dict[str, Change] = {}
        with np.errstate(divide="ignore", invalid="ignore"):  # empty resamples: NaN, dropped
            for metric, p in _LATENCY.items():
                changes[metric] = self._relative(
                    b_stats.value(metric), c_stats.value(metric),
                    c_res.percentiles_ms[p] / b_res.percentiles_ms[p], enough(metric))
            changes["rps"] = self._relative(
                b_stats.rps, c_stats.rps,
                (c_res.requests / candidate[2]) / (b_res.requests / base[2]), enough("rps"))
            diff = (c_res.failures / c_res.requests - b_res.failures / b_res.requests) * 100
            changes["error_rate"] = self._points(
                (c_stats.error_rate - b_stats.error_rate) * 100, diff, enough("error_rate"))
        return changes

    def _relative(self, b_value: float | None, c_value: float | None, ratios: Any,
                  enough: bool) -> Change:
        change = (c_value / b_value - 1) * 100 if b_value and c_value is not None else math.nan
        low, high = self._interval((ratios - 1) * 100)
        return Change(_round(change), _round(low), _round(high),
                      bool(enough and _excludes_zero(change, low, high)
                           and abs(change) >= self.min_change * 100))

    def _points(self, change_pp: float, diffs: Any, enough: bool) -> Change:
        low, high = self._interval(diffs)
        return Change(_round(change_pp), _round(low), _round(high),
                      bool(enough and _excludes_zero(change_pp, low, high)
                           and abs(change_pp) >= MIN_CHANGE_PP), unit="pp")

    def _interval(self, values: Any) -> tuple[float, float]:
        finite = values[np.isfinite(values)]
        if len(finite) == 0:
            return math.nan, math.nan
        low, high = np.quantile(finite, [self.tail, 1 - self.tail])
        return float(low), float(high)


def min_requests(metric: str) -> int:
    """Requests each run needs on an endpoint for a change in ``metric`` to count."""
    if metric in _LATENCY:
        return max(MIN_REQUESTS, math.ceil(MIN_TAIL / (1 - _LATENCY[metric] / 100) - 1e-9))
    return MIN_REQUESTS


def _excludes_zero(change: float, low: float, high: float) -> bool:
    """The CI lies on one side of 0, the side of the change itself (the CI comes from the
    resamples and can, rarely, leave out the exact point estimate)."""
    return bool((low > 0 and change > 0) or (high < 0 and change < 0))


def _round(value: float) -> float | None:
    return None if not math.isfinite(value) else round(float(value), 2)


def _stats(side: Side) -> SideStats:
    sample, _, duration = side
    requests = sample.total_requests
    p50, p95, p99 = sample.percentiles_ms()
    return SideStats(requests=requests, rps=round(requests / duration, 3),
                     p50_ms=p50, p95_ms=p95, p99_ms=p99,
                     error_rate=float(sample.failures.sum()) / requests if requests else 0.0)


def budget_failures(rows: Sequence[ComparisonRow], budgets: Sequence[Budget]) -> list[str]:
    """One sentence per row and budget where a SIGNIFICANT change breaks the budget (rows
    without enough data never fail one)."""
    failures = []
    for row in rows:
        if not row.verdict.compared:
            continue
        for budget in budgets:
            change = row.changes.get(budget.metric)
            if change is None or not change.significant or change.change is None:
                continue
            if not exceeded(budget, change.change):
                continue
            failures.append(
                f"{row.label}: {budget.metric} changed by {change.change:+.1f}{change.suffix} "
                f"(CI {_signed(change.ci_low)}{change.suffix} to "
                f"{_signed(change.ci_high)}{change.suffix}), beyond the budget {budget}")
    return failures


def _signed(value: float | None) -> str:
    return "?" if value is None else f"{value:+.1f}"
