"""Findings from the target side's monitor series (swarmdeck.monitors), kept apart from the
load generator's own (``generator-saturated``, analysis/findings.py): what on the server
ran out when latency rose. Pure: the run's series and its timeline steps in, findings out.

- ``server-cpu-bound``: the target's CPU (``cpu`` of a process monitor, ``host.cpu`` of an
  agent: % of all cores) at or above SERVER_CPU_PCT in the steps where p95 rose;
- ``workers-saturated``: Gunicorn's worker utilization (``gunicorn.utilization``) at or
  above WORKERS_BUSY_PCT in those steps;
- ``db-connections-exhausted``: PostgreSQL's client connections at or above DB_CONN_SHARE of
  ``max_connections`` for DB_CONN_MIN_S seconds or more;
- ``worker-restarts``: workers that ended and were replaced during the run;
- ``memory-growth``: the tree's RSS grew steadily (a least-squares slope with r² at least
  MEMORY_MIN_R2) by MEMORY_MIN_GROWTH of where it started, over MEMORY_MIN_S seconds or more.

"When latency rose": steps whose series value is high ("hot") have a median p95 at least
LATENCY_RISE times that of the other steps; when every step is hot, the run was saturated
throughout (said so). Every threshold is a module constant, documented in docs/findings.md.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from swarmdeck.analysis.knee import Step
from swarmdeck.analysis.monitor_series import mean_peak
from swarmdeck.records.monitors import MonitorSeries, is_worker_series
from swarmdeck.records.verdict import Finding

SERVER_CPU_PCT = 90.0
WORKERS_BUSY_PCT = 90.0
HOT_MIN_S = 5  # seconds of hot steps, at least
LATENCY_RISE = 1.3  # the hot steps' median p95 over the others'
MIN_STEP_REQUESTS = 5  # a step's p95 counts with this many successful requests
DB_CONN_SHARE = 0.9
DB_CONN_MIN_S = 3
MEMORY_MIN_S = 60.0
MEMORY_MIN_GROWTH = 0.10
MEMORY_MIN_R2 = 0.6


def named_series(series: Sequence[MonitorSeries], *names: str) -> list[MonitorSeries]:
    """The non-worker series called ``name`` or ``PREFIX.name`` (a named monitor)."""
    return [s for s in series if not is_worker_series(s.name) and s.points
            and any(s.name == n or s.name.endswith("." + n) for n in names)]


@dataclass(frozen=True)
class _Rise:
    hot_s: int
    peak: float
    hot_mean: float
    p95_hot_ms: float
    p95_cool_ms: float | None  # None: every step was hot
    first_s: float
    last_s: float


def _rise(series: MonitorSeries, steps: Sequence[Step], started_at: float,
          level: float) -> _Rise | None:
    """The steps where ``series`` was at or above ``level``, if latency rose there."""
    hot: list[tuple[float, float, float, int]] = []  # (t, mean, p95, seconds)
    cool: list[float] = []
    for step in steps:
        h = step.histogram
        if h is None or h.count < MIN_STEP_REQUESTS:
            continue
        t = step.start - started_at
        mean, _ = mean_peak(series, t, t + step.seconds)
        if mean is None:
            continue
        p95 = h.percentile_ms(95)
        if mean >= level:
            hot.append((t, mean, p95, step.seconds))
        else:
            cool.append(p95)
    hot_s = sum(h[3] for h in hot)
    if hot_s < HOT_MIN_S:
        return None
    p95_hot = statistics.median(h[2] for h in hot)
    p95_cool = statistics.median(cool) if cool else None
    if p95_cool is not None and p95_hot < LATENCY_RISE * p95_cool:
        return None  # high, but latency did not suffer from it
    _, peak = mean_peak(series)
    return _Rise(hot_s, round(peak or 0.0, 1), round(statistics.fmean(h[1] for h in hot), 1),
                 round(p95_hot, 1), None if p95_cool is None else round(p95_cool, 1),
                 hot[0][0], hot[-1][0] + hot[-1][3])


def _when(rise: _Rise) -> str:
    if rise.p95_cool_ms is None:
        return f"throughout the run (p95 {rise.p95_hot_ms:.0f} ms)"
    return (f"in {rise.hot_s} s between {rise.first_s:.0f} s and {rise.last_s:.0f} s, where "
            f"p95 was {rise.p95_hot_ms:.0f} ms against {rise.p95_cool_ms:.0f} ms elsewhere")


def _evidence(series: MonitorSeries, rise: _Rise) -> dict[str, object]:
    return {"series": series.name, "source": series.source, "peak_pct": rise.peak,
            "hot_mean_pct": rise.hot_mean, "hot_s": rise.hot_s, "p95_hot_ms": rise.p95_hot_ms,
            "p95_other_ms": rise.p95_cool_ms, "from_s": round(rise.first_s, 1),
            "to_s": round(rise.last_s, 1)}


def server_cpu_bound(series: Sequence[MonitorSeries], steps: Sequence[Step],
                     started_at: float) -> list[Finding]:
    found = []
    for s in named_series(series, "cpu"):
        rise = _rise(s, steps, started_at, SERVER_CPU_PCT)
        if rise is None:
            continue
        found.append(Finding(
            "server-cpu-bound", "warning", None,
            f"the target's CPU ({s.name}, % of all its cores) was at {SERVER_CPU_PCT:.0f}% or "
            f"more {_when(rise)} (peak {rise.peak:.0f}%): the server ran out of CPU, not "
            "the load generator",
            _evidence(s, rise),
            "profile the slow routes (CPU per request: templates, serialisation, Python "
            "loops over rows the database could aggregate) or give the server more cores; "
            "more Gunicorn workers than 2×cores+1 will not help a CPU-bound server"))
    return found


def workers_saturated(series: Sequence[MonitorSeries], steps: Sequence[Step],
                      started_at: float) -> list[Finding]:
    found = []
    cpus = named_series(series, "cpu")
    for s in named_series(series, "gunicorn.utilization"):
        rise = _rise(s, steps, started_at, WORKERS_BUSY_PCT)
        if rise is None:
            continue
        cpu_hot = any(_rise(c, steps, started_at, SERVER_CPU_PCT) for c in cpus)
        why = ("the CPU was saturated too: make each request cheaper, or add cores"
               if cpu_hot else "the CPU was not: the workers were waiting (on the database, "
               "on other services, on I/O), so more workers (2×cores+1) or a threaded or "
               "async worker class (--worker-class gthread --threads 4, or gevent) serve more")
        found.append(Finding(
            "workers-saturated", "warning", None,
            f"Gunicorn's workers were {WORKERS_BUSY_PCT:.0f}% busy or more {_when(rise)} "
            f"(peak {rise.peak:.0f}%): requests queued for a free worker",
            {**_evidence(s, rise), "cpu_saturated": cpu_hot},
            f"{why}; and find the slow routes holding the workers (the endpoint table's "
            "p95, Server-Timing)"))
    return found


def db_connections_exhausted(series: Sequence[MonitorSeries]) -> list[Finding]:
    found = []
    for conns in named_series(series, "pg.connections"):
        prefix = conns.name[: -len("pg.connections")]
        limit = next((s for s in series if s.name == prefix + "pg.max_connections"), None)
        _, max_conn = mean_peak(limit) if limit is not None else (None, None)
        if not max_conn:
            continue
        near = [(t, v) for t, v in conns.points if v >= DB_CONN_SHARE * max_conn]
        if len(near) < DB_CONN_MIN_S:
            continue
        _, peak = mean_peak(conns)
        found.append(Finding(
            "db-connections-exhausted", "error" if (peak or 0) >= max_conn - 1 else "warning",
            None,
            f"PostgreSQL's connections reached {peak:.0f} of max_connections {max_conn:.0f} "
            f"({len(near)} s at {DB_CONN_SHARE:.0%} or more, from {near[0][0]:.0f} s): new "
            "connections are refused or wait, and requests fail or queue",
            {"series": conns.name, "source": conns.source, "peak": peak,
             "max_connections": max_conn, "seconds_near": len(near), "from_s": near[0][0]},
            "use a connection pool of a bounded size per worker (SQLAlchemy's pool_size + "
            "max_overflow times the number of workers must stay below max_connections), or "
            "PgBouncer in front of the database; release connections at the end of each "
            "request"))
    return found


def worker_restarts(series: Sequence[MonitorSeries]) -> list[Finding]:
    found = []
    for s in named_series(series, "worker_restarts"):
        first, last = s.points[0][1], s.points[-1][1]
        if last <= first:
            continue
        times = [t for (_, a), (t, b) in zip(s.points, s.points[1:], strict=False) if b > a]
        count = int(last - first)
        found.append(Finding(
            "worker-restarts", "warning", None,
            f"{count} worker{'s' if count != 1 else ''} of the target ended and were replaced "
            f"during the run (at {', '.join(f'{t:.0f} s' for t in times[:5])}"
            f"{'...' if len(times) > 5 else ''}): requests in flight on them failed, and a new "
            "worker starts cold",
            {"series": s.name, "source": s.source, "restarts": count, "at_s": times[:20]},
            "read the server's log around those times: WORKER TIMEOUT (a request longer than "
            "Gunicorn's --timeout: raise it or make the request faster), killed by the OOM "
            "killer (memory), or an exception at start-up; Gunicorn's max_requests restarts "
            "workers on purpose"))
    return found


def _slope(points: Sequence[tuple[float, float]]) -> tuple[float, float, float]:
    """Least squares: (slope per second, intercept, r²)."""
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    sxy = sum((t - mx) * (v - my) for t, v in points)
    syy = sum((v - my) ** 2 for _, v in points)
    if sxx == 0:
        return 0.0, my, 0.0
    slope = sxy / sxx
    r2 = (sxy * sxy) / (sxx * syy) if syy > 0 else 0.0
    return slope, my - slope * mx, r2


def memory_growth(series: Sequence[MonitorSeries]) -> list[Finding]:
    found = []
    for s in named_series(series, "rss", "host.memory_used"):
        points = list(s.points)
        if len(points) < 10 or points[-1][0] - points[0][0] < MEMORY_MIN_S:
            continue
        slope, intercept, r2 = _slope(points)
        start = intercept + slope * points[0][0]
        span = points[-1][0] - points[0][0]
        growth = slope * span
        if start <= 0 or growth < MEMORY_MIN_GROWTH * start or r2 < MEMORY_MIN_R2:
            continue
        per_hour = slope * 3600
        found.append(Finding(
            "memory-growth", "warning", None,
            f"the target's memory ({s.name}) grew steadily by {growth / 1e6:.0f} MB over "
            f"{span / 60:.0f} min ({100 * growth / start:.0f}% of its start), about "
            f"{per_hour / 1e6:.0f} MB per hour (r² {r2:.2f}): a leak, or a cache without a "
            "bound",
            {"series": s.name, "source": s.source, "start_bytes": round(start),
             "growth_bytes": round(growth), "bytes_per_hour": round(per_hour),
             "r2": round(r2, 3), "span_s": round(span, 1)},
            "run a longer soak to see whether it levels off; bound in-process caches; "
            "Gunicorn's max_requests (with max_requests_jitter) recycles workers as a "
            "stopgap while the leak is found (tracemalloc, memray)"))
    return found


def monitor_findings(series: Sequence[MonitorSeries], steps: Sequence[Step],
                     started_at: float) -> list[Finding]:
    """Every finding of the target side."""
    if not series:
        return []
    return [*server_cpu_bound(series, steps, started_at),
            *workers_saturated(series, steps, started_at),
            *db_connections_exhausted(series), *worker_restarts(series),
            *memory_growth(series)]
