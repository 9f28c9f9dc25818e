"""What saturated first in a capacity search (pure; docs/capacity.md): the target side's
monitored series (swarmdeck.monitors) that have a limit, read over each step's judged
seconds, in the order of the steps' rates.

- ``gunicorn.utilization`` (a StatsD monitor of Gunicorn): its workers busy, at or above
  WORKERS_SATURATED_PCT (below the findings' WORKERS_BUSY_PCT: the utilization counts the
  time in the application, not Gunicorn's own reading and writing, and workers with a queue
  in front of them measured 85-93% over a search's short steps);
- ``cpu`` (a process monitor: % of all the machine's cores) and ``host.cpu`` (an agent): at
  or above SERVER_CPU_PCT;
- ``pg.connections`` (a PostgreSQL monitor): at or above DB_CONN_SHARE of
  ``pg.max_connections``.

A series *reached* its limit at the lowest rate whose judged seconds had it there on
average; the one that reached it at the lowest rate saturated first (at the same rate: the
one furthest past its limit). The other limits are those of the monitor findings
(analysis/monitor_findings.py).

What the server said (Server-Timing, analysis/server_saturation.py) is read the same way
when the steps' responses carried it: requests queued for a worker (the time in front of the
app rising while the app's own stayed flat) and the database (db's share rising), as
``server-timing.queue`` (or ``.wait``) and ``server-timing.db``.
"""

from __future__ import annotations

from collections.abc import Sequence

from swarmdeck.analysis.monitor_findings import (
    DB_CONN_SHARE,
    SERVER_CPU_PCT,
    named_series,
)
from swarmdeck.analysis.monitor_series import mean_peak
from swarmdeck.analysis.server_saturation import StepTiming, timing_saturation
from swarmdeck.records.monitors import MonitorSeries
from swarmdeck.records.openmodel import CapacityStep, Saturation

# (series, what it is, its limit in its unit); pg.connections' limit is per run
WORKERS_SATURATED_PCT = 80.0

# (``cpu`` also names ``host.cpu``: the first entry of a series wins)
WATCHED = (("gunicorn.utilization", "Gunicorn's workers busy", WORKERS_SATURATED_PCT),
           ("host.cpu", "the host's CPU, % of its cores", SERVER_CPU_PCT),
           ("cpu", "the target's CPU, % of the machine's cores", SERVER_CPU_PCT))


def _limits(series: Sequence[MonitorSeries]) -> list[tuple[MonitorSeries, str, float]]:
    """The series watched, with what they are and their limit."""
    watched: list[tuple[MonitorSeries, str, float]] = []
    for name, what, limit in WATCHED:
        watched += [(s, what, limit) for s in named_series(series, name)
                    if all(s.name != w[0].name for w in watched)]
    for conns in named_series(series, "pg.connections"):
        prefix = conns.name[: -len("pg.connections")]
        most = next((s for s in series if s.name == prefix + "pg.max_connections"), None)
        _, max_conn = mean_peak(most) if most is not None else (None, None)
        if max_conn:
            what = f"PostgreSQL's connections (max_connections {max_conn:.0f})"
            watched.append((conns, what, DB_CONN_SHARE * max_conn))
    return watched


def saturation(series: Sequence[MonitorSeries], steps: Sequence[CapacityStep],
               timings: Sequence[StepTiming | None] = ()) -> tuple[Saturation, ...]:
    """Every watched series against its limit over the search, and what the server said
    (``timings``: each step's, in the order of ``steps``): those that reached it, the first
    (lowest rate) first, then the others, closest to their limit first."""
    order = sorted(range(len(steps)), key=lambda i: (steps[i].rate, steps[i].start_s))
    reached, short = timing_saturation(timings, steps)
    for s, what, limit in _limits(series):
        closest: tuple[float, Saturation] | None = None
        for i in order:
            step = steps[i]
            mean, _ = mean_peak(s, step.judged_from_s, max(step.judged_to_s,
                                                            step.judged_from_s + 1))
            if mean is None:
                continue
            found = Saturation(series=s.name, source=s.source, what=what,
                               reached=mean >= limit, rate=step.rate, step=i,
                               value=round(mean, 1), limit=round(limit, 1), unit=s.unit)
            if found.reached:
                reached.append((step.rate, -mean / limit, found))
                break
            if closest is None or mean / limit > closest[0]:
                closest = (mean / limit, found)
        else:
            if closest is not None:
                short.append(closest)
    return (tuple(f for _, _, f in sorted(reached, key=lambda r: r[:2]))
            + tuple(f for _, f in sorted(short, key=lambda c: -c[0])))
