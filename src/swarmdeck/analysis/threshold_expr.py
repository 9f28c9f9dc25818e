"""A threshold expression, k6-style: the ``Threshold`` record and its parser.

One threshold per string: ``METRIC[WINDOW] OP VALUE[UNIT]``, e.g. ``p95 < 500ms``,
``p99.9[30s] <= 1.2s``, ``error_rate < 1%``, ``rps >= 50``, ``requests > 1000``,
``failed.p95 < 5s``, ``service.p95 < 200ms``. The endpoint scope, ``abort`` and ``grace_s`` are given by the caller,
not in the string. Evaluating thresholds is ``analysis/thresholds.py``.

A monitor series (swarmdeck.monitors) is the metric ``monitor:NAME``: ``monitor:cpu < 85%``,
``monitor:gunicorn.utilization[30s] < 90%``, ``monitor:pg.connections < 80``,
``monitor:rss < 2GB``; its value is in the series' unit (``%``, ``ms``/``s``, bytes with
``B``/``kB``/``MB``/``GB``, or a plain number). Evaluating them is
``analysis/monitor_thresholds.py``.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from swarmdeck.analysis.latency import (
    FAILED_METRICS,
    LATENCY,
    LATENCY_METRICS,
    SERVICE_METRICS,
)
from swarmdeck.errors import PlanError

METRICS: tuple[str, ...] = (*LATENCY, "error_rate", "rps", "requests", *FAILED_METRICS,
                            *SERVICE_METRICS)
HIGHER_IS_WORSE = LATENCY_METRICS | {"error_rate"}
OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
WINDOW_UNITS: dict[str, int] = {"s": 1, "m": 60}
MONITOR = "monitor"  # the metric of a threshold on a monitor series (``series`` names it)
# a monitor threshold's value units: (the series' unit it is in, factor to that unit)
MONITOR_UNITS: dict[str, tuple[str, float]] = {
    "%": ("%", 1.0), "ms": ("ms", 1.0), "s": ("ms", 1000.0), "b": ("B", 1.0),
    "kb": ("B", 1e3), "mb": ("B", 1e6), "gb": ("B", 1e9), "kib": ("B", 1024.0),
    "mib": ("B", 1024.0 ** 2), "gib": ("B", 1024.0 ** 3)}
_SERIES_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*(?:\{[^}]*\})?")
_HINT = ("write one threshold as METRIC[WINDOW] OP VALUE, e.g. 'p95 < 500ms', "
         "'p99[30s] <= 1s', 'error_rate < 1%', 'rps >= 50', 'failed.p95 < 5s', "
         "'service.p95 < 200ms'")
_METRIC_LIST = ", ".join((*LATENCY, "error_rate", "rps", "requests"))  # failed.*: the hint

_METRIC_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_UNIT_RE = re.compile(r"%|[A-Za-z]+")
_OP_RE = re.compile(r"[<>=!]=?")


def plain_number(value: float) -> str:
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
    series: str | None = None  # metric "monitor": the monitor series it is on
    unit: str = ""  # metric "monitor": the unit its value is in ("%", "ms", "B" or "")

    def __post_init__(self) -> None:
        where = f"threshold {self.metric} {self.op} {self.value}"
        if self.metric == MONITOR:
            self._check_monitor(where)
            return
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

    def _check_monitor(self, where: str) -> None:
        if not self.series:
            raise PlanError(f"{where}: a monitor threshold names its series", MONITOR_HINT)
        if self.endpoint is not None:
            raise PlanError(f"threshold {self}: a monitor series has no endpoint",
                            MONITOR_HINT)
        if self.abort:
            raise PlanError(f"threshold {self}: monitor thresholds cannot abort the run",
                            "drop abort; they are checked when the run ends")
        if self.op not in OPS or not math.isfinite(self.value) or (
                self.window_s is not None and not self.window_s > 0):
            raise PlanError(f"{where}: not a valid monitor threshold", MONITOR_HINT)

    def __str__(self) -> str:
        window = "" if self.window_s is None else f"[{plain_number(self.window_s)}s]"
        if self.metric == MONITOR:
            value = plain_number(self.value) + (self.unit if self.unit != "B" else " B")
            return f"{MONITOR}:{self.series}{window} {self.op} {value}"
        if self.metric in LATENCY_METRICS:
            value = f"{plain_number(self.value)}ms"
        elif self.metric == "error_rate":
            value = f"{_plain(Decimal(repr(self.value + 0.0)) * 100)}%"
        elif self.metric == "requests":
            value = str(int(self.value))
        else:
            value = plain_number(self.value)
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


MONITOR_HINT = ("write monitor:SERIES[WINDOW] OP VALUE, e.g. 'monitor:cpu < 85%', "
                 "'monitor:gunicorn.utilization[30s] < 90%', 'monitor:pg.connections < 80'")


def parse_monitor(text: str) -> Threshold:
    """``SERIES[WINDOW] OP VALUE[UNIT]`` (what follows ``monitor:``); PlanError otherwise.
    The value is converted to the series' unit: 2GB is 2e9 (bytes), 1.5s is 1500 (ms)."""
    s = _Scanner(text)
    series = s.take(_SERIES_RE)
    if series is None:
        raise s.fail("a monitor series such as cpu")
    window_s = _window(s, text)
    op, number, unit_at = _comparison(s, text)
    written = s.take(re.compile(r"%|[A-Za-z]+")) or ""
    amount = _decimal(number)
    unit = ""
    if written:
        if written.lower() not in MONITOR_UNITS:
            raise s.fail("a unit %, ms, s, B, kB, MB or GB (or none)", at=unit_at,
                         found=repr(written))
        unit, factor = MONITOR_UNITS[written.lower()]
        amount = amount * Decimal(repr(factor))
    s.take(re.compile(r"\s*"))
    if s.pos != len(text):
        raise s.fail("the end of the threshold")
    return Threshold(MONITOR, op, float(amount), window_s, series=series, unit=unit)


def _window(s: _Scanner, text: str) -> float | None:
    """An optional ``[30s]`` after the metric."""
    if not s.peek("["):
        return None
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
    return window_s


def _comparison(s: _Scanner, text: str) -> tuple[str, str, int]:
    """The operator, the number after it (as written), and where what follows them (a
    unit) starts."""
    op_at = len(text) - len(text[s.pos:].lstrip())
    op = s.take(_OP_RE)
    if op is None or op not in OPS:
        raise s.fail(f"an operator <, <=, > or >= after {text[:op_at].strip()}", at=op_at)
    number = s.take(_NUMBER_RE)
    if number is None:
        raise s.fail(f"a number after {op}")
    return op, number, len(text) - len(text[s.pos:].lstrip())


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
    window_s = _window(s, text)
    op, number, unit_at = _comparison(s, text)
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


