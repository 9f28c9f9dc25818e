"""Thresholds for CI gates, k6-style, evaluated on exactly merged histograms.

One threshold per string: ``METRIC[WINDOW] OP VALUE[UNIT]``, e.g. ``p95 < 500ms``,
``p99.9[30s] <= 1.2s``, ``error_rate < 1%``, ``rps >= 50``, ``requests > 1000``. The
endpoint scope, ``abort`` and ``grace_s`` are given by the caller, not in the string.

A window asks for the worst value over any sliding window of that length, windows
starting at the run's interval starts: the highest latency or error rate, the lowest rps
or request count. Percentiles always come from merged histograms, never from averages.

Latency metrics (``p95``, ``max``, ``avg``...) are of the successful requests; prefixed
``failed.`` (``failed.p95 < 5s``) they are of the failed requests. A latency threshold
whose scope had requests but no successful one fails, saying so; a ``failed.`` one whose
scope had no failure holds (nothing failed slowly).
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from swarmdeck.analysis.latency import (
    FAILED,
    FAILED_METRICS,
    LATENCY,
    LATENCY_METRICS,
    PERCENTILES,
    base_metric,
    merged_latency,
)
from swarmdeck.analysis.windows import Slot, reduce_slot, worst_window
from swarmdeck.errors import PlanError
from swarmdeck.labels import names_endpoint
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval

METRICS: tuple[str, ...] = (*LATENCY, "error_rate", "rps", "requests", *FAILED_METRICS)
HIGHER_IS_WORSE = LATENCY_METRICS | {"error_rate"}
OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
WINDOW_UNITS: dict[str, int] = {"s": 1, "m": 60}
_HINT = ("write one threshold as METRIC[WINDOW] OP VALUE, e.g. 'p95 < 500ms', "
         "'p99[30s] <= 1s', 'error_rate < 1%', 'rps >= 50', 'failed.p95 < 5s'")
_METRIC_LIST = ", ".join((*LATENCY, "error_rate", "rps", "requests"))  # failed.*: the hint

_METRIC_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_UNIT_RE = re.compile(r"%|[A-Za-z]+")
_OP_RE = re.compile(r"[<>=!]=?")


def _num(value: float) -> str:
    """Shortest positional decimal that reads back as exactly ``value``."""
    return _plain(Decimal(repr(value + 0.0)))  # + 0.0 turns -0.0 into 0.0


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Threshold:
    metric: str
    op: str
    value: float  # ms for latency metrics, a fraction for error_rate
    window_s: float | None = None
    endpoint: str | None = None  # a request name; None means every endpoint
    abort: bool = False
    grace_s: float = 0.0

    def __post_init__(self) -> None:
        where = f"threshold {self.metric} {self.op} {self.value}"
        if self.metric not in METRICS:
            raise PlanError(f"{where}: unknown metric {self.metric!r}", _HINT)
        if self.op not in OPS:
            raise PlanError(f"{where}: unknown operator {self.op!r}", "use <, <=, > or >=")
        if not (math.isfinite(self.value) and self.value >= 0):
            raise PlanError(f"{where}: the value must be a finite number >= 0", _HINT)
        if self.metric == "requests" and self.value != int(self.value):
            raise PlanError(f"{where}: requests takes a whole number", _HINT)
        if self.window_s is not None and not (math.isfinite(self.window_s)
                                              and self.window_s > 0):
            raise PlanError(f"{where}: the window must be longer than 0 s", _HINT)
        if not (math.isfinite(self.grace_s) and self.grace_s >= 0):
            raise PlanError(f"{where}: grace_s must be a number of seconds >= 0",
                            "set grace_s to 0 or more")

    def __str__(self) -> str:
        window = "" if self.window_s is None else f"[{_num(self.window_s)}s]"
        if self.metric in LATENCY_METRICS:
            value = f"{_num(self.value)}ms"
        elif self.metric == "error_rate":
            value = f"{_plain(Decimal(repr(self.value + 0.0)) * 100)}%"
        elif self.metric == "requests":
            value = str(int(self.value))
        else:
            value = _num(self.value)
        return f"{self.metric}{window} {self.op} {value}"

    @property
    def label(self) -> str:
        """The expression and its scope, for reports."""
        return str(self) if self.endpoint is None else f"{self} on {self.endpoint!r}"


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def take(self, pattern: re.Pattern[str]) -> str | None:
        self.pos = len(self.text) - len(self.text[self.pos:].lstrip())
        match = pattern.match(self.text, self.pos)
        if match is None or not match.group():
            return None
        self.pos = match.end()
        return match.group()

    def peek(self, literal: str) -> bool:
        self.pos = len(self.text) - len(self.text[self.pos:].lstrip())
        if self.text.startswith(literal, self.pos):
            self.pos += len(literal)
            return True
        return False

    def fail(self, expected: str, *, at: int | None = None, found: str | None = None) -> PlanError:
        pos = self.pos if at is None else at
        if found is None:
            word = re.match(r"\S{1,12}", self.text[pos:])
            found = f"{word.group()!r}" if word else "end of text"
        return PlanError(f"threshold {self.text!r}: expected {expected} at column {pos + 1}, "
                         f"found {found}", _HINT)


def _decimal(digits: str) -> Decimal:
    try:
        return Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        raise PlanError(f"not a number: {digits!r}", _HINT) from None


def parse(text: str, endpoint: str | None = None, abort: bool = False,
          grace_s: float = 0.0) -> Threshold:
    """Parse one threshold expression; a PlanError names the expression, column and fix."""
    s = _Scanner(text)
    word = s.take(_METRIC_RE)
    if word is None:
        raise s.fail(f"a metric ({_METRIC_LIST})")
    metric = word.lower()
    if metric not in METRICS:
        close = ([m for m in METRICS if sorted(m) == sorted(metric)]  # p59 -> p95
                 or difflib.get_close_matches(metric, METRICS, n=1, cutoff=0.6))
        guess = f"; did you mean {close[0]}?" if close else ""
        raise s.fail(f"a metric ({_METRIC_LIST})", at=s.pos - len(word),
                     found=f"{word!r}{guess}")
    window_s: float | None = None
    if s.peek("["):
        length = s.take(_NUMBER_RE)
        if length is None:
            raise s.fail("a window length such as 30s inside [ ]")
        unit_at = len(text) - len(text[s.pos:].lstrip())
        unit = s.take(_UNIT_RE)
        if unit is None or unit.lower() not in WINDOW_UNITS:
            raise s.fail(f"a window unit s or m after {length}", at=unit_at)
        window_s = float(_decimal(length) * WINDOW_UNITS[unit.lower()])
        if not (math.isfinite(window_s) and window_s > 0):
            raise s.fail("a window longer than 0 s", at=unit_at - len(length),
                         found=repr(length + unit))
        if not s.peek("]"):
            raise s.fail(f"] after the window {length}{unit}")
    op_at = len(text) - len(text[s.pos:].lstrip())
    op = s.take(_OP_RE)
    if op is None or op not in OPS:
        raise s.fail(f"an operator <, <=, > or >= after {text[:op_at].strip()}", at=op_at)
    number = s.take(_NUMBER_RE)
    if number is None:
        raise s.fail(f"a number after {op}")
    unit_at = len(text) - len(text[s.pos:].lstrip())
    unit = (s.take(_UNIT_RE) or "").lower()
    amount = _decimal(number)
    if metric in LATENCY_METRICS:
        if unit not in ("ms", "s"):
            raise s.fail(f"a unit ms or s after {number}", at=unit_at)
        amount = amount * 1000 if unit == "s" else amount
    elif metric == "error_rate":
        if unit != "%":
            raise s.fail(f"% after {number} (error_rate is a percentage, e.g. 1%)", at=unit_at)
        amount = amount / 100
    elif unit:
        raise s.fail(f"a plain number after {op} ({metric} takes no unit)", at=unit_at)
    elif metric == "requests" and amount != amount.to_integral_value():
        raise s.fail("a whole number of requests", at=unit_at - len(number),
                     found=repr(number))
    value = float(amount)
    if not math.isfinite(value):
        raise s.fail("a smaller number", at=unit_at - len(number), found=repr(number))
    s.take(re.compile(r"\s*"))
    if s.pos != len(text):
        raise s.fail("the end of the threshold")
    return Threshold(metric, op, value, window_s, endpoint, abort, float(grace_s))


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
            slots.append(reduce_slot(members, latency, threshold.metric.startswith(FAILED)))
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
                where = (f"in the worst {_num(threshold.window_s)} s window, starting "
                         f"{_num(lo * interval_s)} s into the run")
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
