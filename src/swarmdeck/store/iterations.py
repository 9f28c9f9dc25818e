"""An open-model run's iterations per interval and region (the ``iterations`` table):
written merged by key, like intervals (two workers, a late report add up exactly), and
read back as the whole-run totals, a per-second series, or a window's totals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.iterations import IterationInterval
from swarmdeck.store import models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.writes import lock_run


def _row(interval: IterationInterval) -> dict[str, Any]:
    return {"scheduled": interval.scheduled, "started": interval.started,
            "dropped": interval.dropped, "lag": interval.lag.encode()}


def _from_row(row: Any) -> IterationInterval:
    return IterationInterval(start=int(row.start), region=str(row.region),
                             scheduled=int(row.scheduled), started=int(row.started),
                             dropped=int(row.dropped),
                             lag=LatencyHistogram.decode(bytes(row.lag)))


def add_iterations(engine: Engine, run_id: int, intervals: Iterable[IterationInterval]) -> None:
    deltas: dict[tuple[int, str], IterationInterval] = {}
    for interval in intervals:
        current = deltas.get(interval.key)
        if current is None:
            current = deltas[interval.key] = IterationInterval(interval.start, interval.region)
        current.merge(interval)
    table = models.iterations
    with write_connection(engine) as connection:
        lock_run(connection, run_id)
        if not deltas:
            return
        starts = sorted({start for start, _ in deltas})
        stored = connection.execute(select(table).where(
            table.c.run_id == run_id, table.c.start >= starts[0], table.c.start <= starts[-1]))
        for row in stored:
            delta = deltas.pop((int(row.start), str(row.region)), None)
            if delta is None:
                continue
            merged = _from_row(row)
            merged.merge(delta)
            connection.execute(update(table).where(
                table.c.run_id == run_id, table.c.start == merged.start,
                table.c.region == merged.region).values(**_row(merged)))
        if deltas:
            connection.execute(insert(table), [
                {"run_id": run_id, "start": d.start, "region": d.region, **_row(d)}
                for d in deltas.values()])


def iteration_series(connection: Connection, run_id: int, start: float | None = None,
                     end: float | None = None) -> list[IterationInterval]:
    """The run's iterations per interval start (regions merged), in time order; only those
    starting in ``[start, end)`` when given."""
    table = models.iterations
    query = select(table).where(table.c.run_id == run_id).order_by(table.c.start)
    if start is not None:
        query = query.where(table.c.start >= start)
    if end is not None:
        query = query.where(table.c.start < end)
    series: dict[int, IterationInterval] = {}
    for row in connection.execute(query):
        interval = _from_row(row)
        current = series.get(interval.start)
        if current is None:
            series[interval.start] = IterationInterval(interval.start, "*")
            current = series[interval.start]
        current.merge(interval)
    return list(series.values())
