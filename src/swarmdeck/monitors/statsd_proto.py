"""The StatsD wire format, as data: packets in, metrics out, metrics folded into one second's
totals. Pure (no sockets): monitors/statsd.py listens and hands the packets here.

A packet holds lines ``name:value|type[|@rate][|#tags]`` (types ``c`` counter, ``g`` gauge,
``ms``/``h``/``d`` timer or histogram, ``s`` set), separated by newlines. A gauge written
``+N`` or ``-N`` changes the gauge by N. Lines that do not parse are skipped: a listener
must never fail on what other programs send.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

TYPES = frozenset({"c", "g", "ms", "h", "d", "s"})
MAX_NAMES = 200  # distinct names kept per second (the rest are counted as dropped)


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    type: str  # c, g, ms, h, d, s
    rate: float = 1.0  # sample rate: a counter's value counts 1/rate times
    relative: bool = False  # a gauge given as +N / -N


def parse_line(line: str) -> Metric | None:
    """One metric of a line, or None when it is not StatsD."""
    head, sep, rest = line.strip().partition("|")
    if not sep:
        return None
    name, colon, value_text = head.rpartition(":")
    name = name.strip()
    if not colon or not name or any(c in name for c in "|\n"):
        return None
    fields = rest.split("|")
    kind = fields[0].strip()
    if kind not in TYPES:
        return None
    rate = 1.0
    for extra in fields[1:]:
        if extra.startswith("@"):
            try:
                rate = float(extra[1:])
            except ValueError:
                return None
            if not (0 < rate <= 1):
                return None
    text = value_text.strip()
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return Metric(name, value, kind, rate, kind == "g" and text[:1] in "+-")


def parse_packet(data: bytes) -> list[Metric]:
    """Every metric of one UDP packet (undecodable bytes and bad lines skipped)."""
    text = data.decode("utf-8", errors="replace")
    return [m for m in (parse_line(line) for line in text.split("\n")) if m is not None]


@dataclass
class Second:
    """One second's metrics, folded: counters summed (scaled by their sample rate), timers'
    count and sum (ms), gauges' last value, sets' distinct members (as a count)."""

    counters: dict[str, float] = field(default_factory=dict)
    timer_count: dict[str, int] = field(default_factory=dict)
    timer_sum: dict[str, float] = field(default_factory=dict)
    gauges: dict[str, float] = field(default_factory=dict)
    sets: dict[str, set[float]] = field(default_factory=dict)
    dropped: int = 0

    def _names(self) -> int:
        return (len(self.counters) + len(self.timer_count) + len(self.gauges)
                + len(self.sets))

    def add(self, metric: Metric, gauges: dict[str, float]) -> None:
        """Fold ``metric`` in; ``gauges`` holds every gauge's current value across seconds
        (a relative gauge changes it)."""
        name = metric.name
        known = (name in self.counters or name in self.timer_count or name in self.gauges
                 or name in self.sets)
        if not known and self._names() >= MAX_NAMES:
            self.dropped += 1
            return
        if metric.type == "c":
            self.counters[name] = self.counters.get(name, 0.0) + metric.value / metric.rate
        elif metric.type in ("ms", "h", "d"):
            self.timer_count[name] = self.timer_count.get(name, 0) + 1
            self.timer_sum[name] = self.timer_sum.get(name, 0.0) + metric.value
        elif metric.type == "g":
            value = gauges.get(name, 0.0) + metric.value if metric.relative else metric.value
            gauges[name] = self.gauges[name] = value
        else:
            self.sets.setdefault(name, set()).add(metric.value)


def fold(packets: list[bytes], gauges: dict[str, float] | None = None) -> Second:
    """The packets of one second folded into its totals."""
    second = Second()
    state = {} if gauges is None else gauges
    for packet in packets:
        for metric in parse_packet(packet):
            second.add(metric, state)
    return second


# -- what Gunicorn sends (its --statsd-host), as series -------------------------------------

GUNICORN_REQUESTS = "gunicorn.requests"
GUNICORN_DURATION = "gunicorn.request.duration"
GUNICORN_STATUS = "gunicorn.request.status."
GUNICORN_WORKERS = "gunicorn.workers"
GUNICORN_ERRORS = ("gunicorn.log.error", "gunicorn.log.critical", "gunicorn.log.exception")
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


def _base(name: str) -> str:
    """A metric's name without Gunicorn's --statsd-prefix (``app.gunicorn.requests``)."""
    at = name.find("gunicorn.")
    return name[at:] if at > 0 and name[at - 1] == "." else name


def gunicorn_series(second: Second, workers: float | None, carried: float = 0.0
                    ) -> tuple[list[tuple[str, float, str]], float]:
    """(series, value, unit) of one second, and the busy time carried to the next second:
    Gunicorn's requests/s, mean request duration, responses/s per status class, busy
    workers (the sum of the request durations that ended in the second, in seconds: a
    worker busy all second counts 1) and **utilization** = busy ÷ workers (``workers``:
    Gunicorn's own gauge when it came, else the one given). A request is reported when it
    ends, so a long one would put more than a second of work into its last second: busy
    time beyond the workers' second is ``carried`` into the next seconds instead (never
    above 100%, no work lost). Other programs' metrics pass through: counters as rates,
    timers as their mean, gauges as they are."""
    requests = 0.0
    count = 0
    duration = 0.0
    classes = dict.fromkeys(STATUS_CLASSES, 0.0)
    errors = 0.0
    out: list[tuple[str, float, str]] = []
    for name, value in second.counters.items():
        base = _base(name)
        if base == GUNICORN_REQUESTS:
            requests += value
        elif base.startswith(GUNICORN_STATUS):
            code = base[len(GUNICORN_STATUS):]
            if code[:1] in "2345" and len(code) == 3:
                classes[f"{code[0]}xx"] += value
        elif base in GUNICORN_ERRORS:
            errors += value
        elif not base.startswith("gunicorn."):
            out.append((name, value, "/s"))
    for name, n in second.timer_count.items():
        if _base(name) == GUNICORN_DURATION:
            count += n
            duration += second.timer_sum[name]
        elif not _base(name).startswith("gunicorn."):
            out.append((name, second.timer_sum[name] / n, "ms"))
    for name, value in second.gauges.items():
        if _base(name) == GUNICORN_WORKERS:
            workers = value
        elif not _base(name).startswith("gunicorn."):
            out.append((name, value, ""))
    for name, members in second.sets.items():
        out.append((name, float(len(members)), ""))
    busy = duration / 1000.0 + carried
    carry = 0.0
    if workers:
        carry = max(0.0, busy - workers)
        busy -= carry
    out += [("gunicorn.requests", requests, "/s"), ("gunicorn.busy", busy, ""),
            ("gunicorn.errors", errors, "/s")]
    if count:
        out.append(("gunicorn.duration", duration / count, "ms"))
    out += [(f"gunicorn.status.{c}", v, "/s") for c, v in classes.items()]
    if workers:
        out += [("gunicorn.workers", float(workers), ""),
                ("gunicorn.utilization", 100.0 * busy / workers, "%")]
    return out, carry
