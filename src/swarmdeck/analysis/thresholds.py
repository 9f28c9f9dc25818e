"""Thresholds for CI gates, k6-style, evaluated on exactly merged histograms.

One threshold per string: ``METRIC[WINDOW] OP VALUE[UNIT]``, e.g. ``p95 < 500ms``,
``p99.9[30s] <= 1.2s``, ``error_rate < 1%``, ``rps >= 50``, ``requests > 1000``. The
endpoint scope, ``abort`` and ``grace_s`` are given by the caller, not in the string.

A window asks for the worst value over any sliding window of that length, windows
starting at the run's interval starts: the highest latency or error rate, the lowest rps
or request count. Percentiles always come from merged histograms, never from averages.

Latency metrics (``p95``, ``max``, ``avg``...) are of the successful requests; prefixed
``failed.`` (``failed.p95 < 5s``) they are of the failed requests. In an open-model run
they count from when each iteration was due; prefixed ``service.`` they are the time Locust
measured from the send (the same as unprefixed in a closed-model run). A latency threshold
whose scope had requests but no successful one fails, saying so; a ``failed.`` one whose
scope had no failure holds (nothing failed slowly).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from swarmdeck.analysis.latency import (
    FAILED,
    LATENCY_METRICS,
    PERCENTILES,
    base_metric,
    merged_latency,
)
from swarmdeck.analysis.threshold_expr import (
    HIGHER_IS_WORSE,
    METRICS,
    OPS,
    Threshold,
    parse,
    plain_number,
)
from swarmdeck.analysis.windows import Slot, reduce_slot, worst_window
from swarmdeck.labels import names_endpoint
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval

__all__ = ["HIGHER_IS_WORSE", "METRICS", "OPS", "Threshold", "ThresholdResult", "breached_now",
           "evaluate", "evaluate_all", "evaluate_total", "holds", "in_scope", "observe",
           "parse", "show"]


@dataclass(frozen=True)
class ThresholdResult:
    threshold: Threshold
    observed: float | None
    passed: bool
    detail: str
    # without an observed value: what was missing, as reports print it ("no successful
    # requests", "no failed requests"); None for no data at all
    missing: str | None = None


def _show(metric: str, value: float) -> str:
    if metric in LATENCY_METRICS:  # 4 significant digits: HDR holds 3, a bound may hold 4
        return (f"{value:.0f}" if value >= 1000 else f"{value:.4g}") + " ms"
    if metric == "error_rate":
        return f"{value * 100:.4g}%"
    if metric == "rps":
        return f"{value:.2f}"
    return str(int(value))


def in_scope(threshold: Threshold, interval: EndpointInterval) -> bool:
    """Whether the interval counts for the threshold: every endpoint without one, else an
    endpoint named ``name``, its label or ``METHOD name`` (a request named ``GET /x``
    with method GET matches ``GET /x`` and ``GET GET /x``)."""
    endpoint = threshold.endpoint
    return endpoint is None or names_endpoint(endpoint, interval.method, interval.name)


def _slots(threshold: Threshold, intervals: Iterable[EndpointInterval],
           interval_s: float) -> dict[int, list[EndpointInterval]]:
    """Intervals of the threshold's scope, by slot index from the first interval start."""
    chosen = [i for i in intervals if in_scope(threshold, i)]
    if not chosen:
        return {}
    first = min(i.start for i in chosen)
    slots: dict[int, list[EndpointInterval]] = {}
    for i in chosen:
        slots.setdefault(round((i.start - first) / interval_s), []).append(i)
    return slots


def observe(metric: str, histogram: LatencyHistogram | None, requests: int, failures: int,
            duration_s: float) -> float | None:
    """The metric of merged data covering ``duration_s`` seconds; None without data. Latency
    in ms (``histogram``, only read for latency metrics, is the one the metric reads:
    ``latency_of``), error_rate a fraction."""
    if metric in LATENCY_METRICS:
        if histogram is None or histogram.count == 0:
            return None
        statistic = base_metric(metric)
        if statistic == "max":
            return histogram.max_us / 1000.0
        if statistic == "avg":
            return histogram.mean_us / 1000.0
        return histogram.percentiles([PERCENTILES[statistic]])[0] / 1000.0
    if metric == "error_rate":
        return failures / requests if requests else None
    if metric == "rps":
        return requests / duration_s if duration_s > 0 else None
    return float(requests)


def holds(threshold: Threshold, observed: float) -> bool:
    return OPS[threshold.op](observed, threshold.value)


def show(metric: str, value: float | None) -> str:
    """An observed value as reports print it."""
    return "no data" if value is None else _show(metric, value)


def _measure(metric: str, members: Sequence[EndpointInterval], span: int,
             interval_s: float) -> float | None:
    """The metric over ``members``, which span ``span`` interval slots; None without data."""
    histogram = merged_latency(metric, members) if metric in LATENCY_METRICS else None
    return observe(metric, histogram, sum(m.requests for m in members),
                   sum(m.failures for m in members), span * interval_s)


def _window_span(threshold: Threshold, interval_s: float) -> int:
    assert threshold.window_s is not None
    return max(1, math.ceil(threshold.window_s / interval_s - 1e-9))


def _members(slots: dict[int, list[EndpointInterval]], lo: int,
             hi: int) -> list[EndpointInterval]:
    return [i for k in range(lo, hi) for i in slots.get(k, ())]


def _reduced_slots(threshold: Threshold, intervals: Iterable[EndpointInterval],
                   interval_s: float) -> list[Slot]:
    """The threshold's scope reduced slot by slot (empty slots included), from intervals in
    time order: each slot's histograms are dropped once reduced, so a long run streams."""
    latency = threshold.metric in LATENCY_METRICS
    slots: list[Slot] = []
    first: int | None = None
    members: list[EndpointInterval] = []
    current = -1

    def close() -> None:
        if members:
            slots.extend(Slot() for _ in range(current - len(slots)))
            slots.append(reduce_slot(members, latency, threshold.metric))
            members.clear()

    for interval in intervals:
        if not in_scope(threshold, interval):
            continue
        if first is None:
            first = interval.start
        k = round((interval.start - first) / interval_s)
        if k != current:
            close()
            current = k
        members.append(interval)
    close()
    return slots


def evaluate(threshold: Threshold, intervals: Iterable[EndpointInterval],
             interval_s: float = 1.0) -> ThresholdResult:
    """Check one threshold against a run's intervals (``interval_s`` seconds each). A list
    may be in any order; any other iterable must come in time order (Store.iter_series), and
    is then read once, slot by slot."""
    if isinstance(intervals, list):
        intervals = sorted(intervals, key=lambda i: i.start)
    observed: float | None = None
    requests = failures = 0
    if threshold.window_s is None:
        slots = _slots(threshold, intervals, interval_s)
        total = max(slots) + 1 if slots else 0
        where = f"over the whole run ({total} interval{'' if total == 1 else 's'})"
        if slots:
            members = _members(slots, 0, total)
            observed = _measure(threshold.metric, members, total, interval_s)
            requests, failures = (sum(m.requests for m in members),
                                  sum(m.failures for m in members))
    else:
        reduced = _reduced_slots(threshold, intervals, interval_s)
        total = len(reduced)
        where = f"over the whole run ({total} interval{'' if total == 1 else 's'})"
        requests, failures = sum(s.requests for s in reduced), sum(s.failures for s in reduced)
        if reduced:
            n = min(_window_span(threshold, interval_s), total)
            statistic = base_metric(threshold.metric)
            found = worst_window(reduced, n, statistic, PERCENTILES.get(statistic),
                                 interval_s, threshold.metric in HIGHER_IS_WORSE)
            if found is not None:
                observed, lo = found
                where = (f"in the worst {plain_number(threshold.window_s)} s window, starting "
                         f"{plain_number(lo * interval_s)} s into the run")
    if observed is None:
        return _no_data(threshold, requests, failures)
    passed = holds(threshold, observed)
    detail = (f"{threshold.label}: observed {_show(threshold.metric, observed)} {where} "
              f"({'passed' if passed else 'failed'})")
    return ThresholdResult(threshold, observed, passed, detail)


def evaluate_all(thresholds: Iterable[Threshold], intervals: Sequence[EndpointInterval],
                 interval_s: float = 1.0) -> list[ThresholdResult]:
    return [evaluate(t, intervals, interval_s) for t in thresholds]


def breached_now(threshold: Threshold, recent_intervals: Sequence[EndpointInterval],
                 elapsed_s: float, interval_s: float = 1.0) -> bool:
    """Whether an abort threshold fails right now: over the latest window if it has one,
    else over all ``recent_intervals``. Always False for a threshold without ``abort``,
    during its grace period, and without data."""
    if not threshold.abort or elapsed_s < threshold.grace_s:
        return False
    slots = _slots(threshold, recent_intervals, interval_s)
    if not slots:
        return False
    total = max(slots) + 1
    lo = 0 if threshold.window_s is None else max(0, total - _window_span(threshold, interval_s))
    observed = _measure(threshold.metric, _members(slots, lo, total), total - lo, interval_s)
    return observed is not None and not OPS[threshold.op](observed, threshold.value)


def evaluate_total(threshold: Threshold, per_endpoint: Iterable[EndpointInterval],
                   duration_s: float) -> ThresholdResult:
    """Check a threshold without a window on whole-run data (one merged interval per
    endpoint, e.g. the store's rollups); rps is over ``duration_s``, as the summary's is."""
    if threshold.window_s is not None:
        raise ValueError("evaluate_total takes thresholds without a window; use evaluate")
    chosen = [i for i in per_endpoint if in_scope(threshold, i)]
    histogram = (merged_latency(threshold.metric, chosen)
                 if threshold.metric in LATENCY_METRICS else None)
    requests, failures = sum(i.requests for i in chosen), sum(i.failures for i in chosen)
    observed = None if not chosen else observe(
        threshold.metric, histogram, requests, failures, duration_s)
    if observed is None:
        return _no_data(threshold, requests, failures)
    passed = holds(threshold, observed)
    return ThresholdResult(threshold, observed, passed,
                           f"{threshold.label}: observed {_show(threshold.metric, observed)} "
                           f"over the whole run ({'passed' if passed else 'failed'})")


def _no_data(threshold: Threshold, requests: int, failures: int) -> ThresholdResult:
    """The result without an observed value. A latency threshold on requests that all
    failed fails, saying so (no successful response to measure); a ``failed.`` one on
    requests that none failed holds; anything else without data fails."""
    scope = "" if threshold.endpoint is None else f" for endpoint {threshold.endpoint!r}"
    metric = threshold.metric
    if requests and metric.startswith(FAILED) and not failures:
        return ThresholdResult(threshold, None, True, f"{threshold.label}: no failed "
                               f"request{scope} to measure (passed)", "no failed requests")
    if requests and metric in LATENCY_METRICS and not metric.startswith(FAILED) \
            and failures >= requests:
        return ThresholdResult(
            threshold, None, False, f"{threshold.label}: no successful response{scope} to "
            f"measure, all {requests} requests failed (failed)", "no successful requests")
    return ThresholdResult(threshold, None, False,
                           f"{threshold.label}: no data{scope} to evaluate (failed)")
