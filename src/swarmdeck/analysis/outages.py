"""Outages: stretches of seconds in which (nearly) every request failed because the target
could not be reached or said it was unavailable, and the time it took to recover. Pure: it
reads a run's per-second totals (``SecondSeries``, read from the store by
verdict/findings.py) and returns ``Outage`` windows; analysis/target_findings.py turns them
into findings. Every threshold is a module constant, explained in docs/findings.md.

A failure is of an *outage kind* when its reason (Locust's text of the exception) says the
connection was refused, reset or closed without a response, timed out, or the response was
502, 503 or 504 (``failure_kind``).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# an outage second: at least this share of its requests failed with an outage kind...
OUTAGE_SHARE = 0.9
# ...a window is a run of them (seconds without requests inside it do not break it), grown
# by adjacent seconds with at least this share (the partial seconds at either end)...
OUTAGE_EDGE_SHARE = 0.5
OUTAGE_MIN_S = 3  # ...at least this long (a shorter blip is no outage)...
OUTAGE_MIN_FAILURES = 3  # ...with at least this many outage failures
# recovery: measured against the (up to) this many seconds with requests before the window
RECOVERY_BASELINE_S = 30
RECOVERY_HOLD_S = 3  # recovered at the first of this many healthy seconds in a row
RECOVERY_FAILURE_MARGIN = 0.05  # healthy: failure share at most the baseline's + this...
RECOVERY_P50_FACTOR = 1.5  # ...and p50 at most this × the baseline's p50...
RECOVERY_P50_SLACK_MS = 10.0  # ...or at most this many ms above it
MAX_REASONS = 5  # reasons kept in an outage's evidence

# Locust's texts: requests' HttpSession ("HTTPError('503 Server Error: ...')",
# "ConnectionRefusedError(111, 'Connection refused')", "RemoteDisconnected(...)",
# "ReadTimeout(...)"), FastHttpSession ("LocustBadStatusCode(code=503)",
# "HTTPConnectionClosed(...)", "RetriesExceeded(..., original=timed out)")
_STATUS = re.compile(r"HTTPError\(['\"](\d{3}) |BadStatusCode\(code=(\d{3})\)"
                     r"|^HTTP (\d{3})\b")
_REFUSED = re.compile(r"ConnectionRefused|Connection refused|Errno 111\b", re.IGNORECASE)
_RESET = re.compile(r"ConnectionReset|Connection reset|RemoteDisconnected|ConnectionAborted"
                    r"|Connection aborted|ConnectionClosed|connection closed|BrokenPipe"
                    r"|IncompleteRead|Errno 104\b|Errno 32\b", re.IGNORECASE)
_TIMEOUT = re.compile(r"timeout|timed out", re.IGNORECASE)
_CONNECTION = re.compile(r"NewConnectionError|ConnectionError|Failed to establish"
                         r"|gaierror|Name or service not known|Network is unreachable"
                         r"|No route to host", re.IGNORECASE)
OUTAGE_STATUS = frozenset({502, 503, 504})
# what each kind is called in messages
KIND_TEXT = {"refused": "connection refused", "reset": "connection reset or closed",
             "timeout": "timed out", "connection": "connection failed"}


def status_of(reason: str) -> int | None:
    """The HTTP status code a failure reason names (Locust's HTTPError texts), or None."""
    match = _STATUS.search(reason)
    if match is None:
        return None
    return int(next(group for group in match.groups() if group))


def failure_kind(reason: str) -> str | None:
    """``"refused"``, ``"reset"``, ``"timeout"``, ``"connection"`` (no response), the status
    code as text for a response (``"503"``), or None (a reason that says neither)."""
    status = status_of(reason)
    if status is not None:
        return str(status)
    for kind, pattern in (("refused", _REFUSED), ("reset", _RESET), ("timeout", _TIMEOUT),
                          ("connection", _CONNECTION)):
        if pattern.search(reason):
            return kind
    return None


def is_outage_kind(kind: str | None) -> bool:
    """No response at all, or 502/503/504."""
    return kind is not None and (not kind.isdigit() or int(kind) in OUTAGE_STATUS)


def kind_text(kind: str) -> str:
    return KIND_TEXT.get(kind, kind if not kind.isdigit() else f"× {kind}")


@dataclass(frozen=True)
class Second:
    """One second (one interval: ``SecondSeries.step_s``) of a run, all endpoints."""

    start: int  # epoch seconds
    requests: int = 0
    failures: int = 0
    outage_failures: int = 0  # failures of an outage kind (``is_outage_kind``)
    p50_ms: float | None = None  # of all the second's requests (None: no requests)
    outage_reasons: Mapping[str, int] = field(default_factory=dict)  # reason -> count
    # failures per endpoint (method, name), only endpoints that failed this second
    endpoint_failures: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class SecondSeries:
    """A run's seconds with requests, in time order, and when the run started."""

    started_at: float = 0.0  # epoch seconds: offsets are from here (as on the charts)
    seconds: tuple[Second, ...] = ()
    step_s: int = 1  # the run's interval (``--interval``): 1 s unless it chose another

    def offset(self, epoch: float) -> float:
        """Seconds since the run's start (0 for anything before it)."""
        return round(max(epoch - self.started_at, 0.0), 1)


@dataclass(frozen=True)
class Outage:
    start: int  # epoch second of the window's first second
    end: int  # epoch second just after its last second
    requests: int
    failures: int
    outage_failures: int
    kinds: Mapping[str, int]  # failure_kind -> count
    reasons: Mapping[str, int]  # the most frequent reasons (MAX_REASONS)
    # the first second of RECOVERY_HOLD_S healthy seconds after it; None: not within the run
    recovered_at: int | None
    baseline_failure_share: float | None  # before the window (None: no seconds before it)
    baseline_p50_ms: float | None  # the median of the per-second p50s before the window
    seconds_after: int = 0  # seconds with requests after the window, in the run

    @property
    def seconds(self) -> int:
        return self.end - self.start

    @property
    def recovery_s(self) -> int | None:
        return None if self.recovered_at is None else self.recovered_at - self.end


def _share(second: Second) -> float:
    return second.outage_failures / second.requests if second.requests else 0.0


def _windows(seconds: Sequence[Second]) -> list[tuple[int, int]]:
    """[first, last] indexes of each stretch of outage seconds (gaps in the series, where
    no request ended, do not break one), grown by adjacent edge seconds."""
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(seconds):
        if _share(seconds[i]) < OUTAGE_SHARE:
            i += 1
            continue
        first = last = i
        while last + 1 < len(seconds) and _share(seconds[last + 1]) >= OUTAGE_SHARE:
            last += 1
        if first > 0 and _share(seconds[first - 1]) >= OUTAGE_EDGE_SHARE and (
                not windows or windows[-1][1] < first - 1):
            first -= 1
        if last + 1 < len(seconds) and _share(seconds[last + 1]) >= OUTAGE_EDGE_SHARE:
            last += 1
        windows.append((first, last))
        i = last + 1
    return windows


def _baseline(before: Sequence[Second], step_s: int) -> tuple[float | None, float | None]:
    """(failure share, median of per-second p50s) of the last RECOVERY_BASELINE_S seconds
    with requests."""
    kept = [s for s in before if s.requests][-max(1, RECOVERY_BASELINE_S // step_s):]
    if not kept:
        return None, None
    share = sum(s.failures for s in kept) / sum(s.requests for s in kept)
    p50s = [s.p50_ms for s in kept if s.p50_ms is not None]
    return share, statistics.median(p50s) if p50s else None


def healthy(second: Second, failure_share: float | None, p50_ms: float | None) -> bool:
    """Back to the baseline: failures and p50 (each where the baseline has one)."""
    if not second.requests:
        return False
    share = second.failures / second.requests
    if share > (failure_share or 0.0) + RECOVERY_FAILURE_MARGIN:
        return False
    if p50_ms is None or second.p50_ms is None:
        return True
    return second.p50_ms <= max(p50_ms * RECOVERY_P50_FACTOR, p50_ms + RECOVERY_P50_SLACK_MS)


def _recovered_at(after: Sequence[Second], failure_share: float | None,
                  p50_ms: float | None, step_s: int) -> int | None:
    """The first second of RECOVERY_HOLD_S healthy seconds in a row (seconds without
    requests are skipped, neither healthy nor not)."""
    hold = max(1, math.ceil(RECOVERY_HOLD_S / step_s))
    run: list[Second] = []
    for second in after:
        if not second.requests:
            continue
        if healthy(second, failure_share, p50_ms):
            run.append(second)
            if len(run) == hold:
                return run[0].start
        else:
            run = []
    return None


def find_outages(series: SecondSeries) -> list[Outage]:
    """The run's outage windows, in time order (see the module constants)."""
    seconds = series.seconds
    outages: list[Outage] = []
    windows = _windows(seconds)
    for number, (first, last) in enumerate(windows):
        inside = seconds[first:last + 1]
        outage_failures = sum(s.outage_failures for s in inside)
        start, end = inside[0].start, inside[-1].start + series.step_s
        if end - start < OUTAGE_MIN_S or outage_failures < OUTAGE_MIN_FAILURES:
            continue
        previous_end = windows[number - 1][1] + 1 if number else 0
        share, p50 = _baseline(seconds[previous_end:first], series.step_s)
        reasons: Counter[str] = Counter()
        for s in inside:
            reasons.update(s.outage_reasons)
        kinds: Counter[str] = Counter()
        for reason, count in reasons.items():
            kinds[failure_kind(reason) or "connection"] += count
        after = seconds[last + 1:]
        outages.append(Outage(
            start=start, end=end, requests=sum(s.requests for s in inside),
            failures=sum(s.failures for s in inside), outage_failures=outage_failures,
            kinds=dict(kinds.most_common()), reasons=dict(reasons.most_common(MAX_REASONS)),
            recovered_at=_recovered_at(after, share, p50, series.step_s),
            baseline_failure_share=share,
            baseline_p50_ms=p50, seconds_after=sum(1 for s in after if s.requests)))
    return outages


def in_outages(outages: Sequence[Outage], start: int) -> bool:
    """Whether the second starting at ``start`` lies in one of the windows."""
    return any(o.start <= start < o.end for o in outages)
