"""Monitor series of a run (swarmdeck.monitors): one row per series (its name, source and
unit), one row per point (the epoch second it describes and its value). A second without a
point is a gap. The tables are declared here, on the models' metadata, next to the only
code that uses them (revision 0006).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from swarmdeck.records.monitors import MonitorPoint, MonitorSeries
from swarmdeck.store import models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.writes import lock_run

MAX_NAME = 300


class MonitorSeriesRow(models.Base):
    __tablename__ = "monitor_series"
    __table_args__ = (UniqueConstraint("run_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    source: Mapped[str] = mapped_column(Text)  # the monitor's spec, password masked
    unit: Mapped[str] = mapped_column(String(16))


class MonitorPointRow(models.Base):
    __tablename__ = "monitor_points"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("monitor_series.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch seconds
    value: Mapped[float] = mapped_column(Float)


monitor_series = cast(Table, MonitorSeriesRow.__table__)
monitor_points = cast(Table, MonitorPointRow.__table__)


def _series_ids(connection: Connection, run_id: int) -> dict[str, int]:
    rows = connection.execute(select(monitor_series.c.name, monitor_series.c.id)
                              .where(monitor_series.c.run_id == run_id))
    return {str(name): int(id_) for name, id_ in rows}


def add_points(engine: Engine, run_id: int, points: Iterable[MonitorPoint]) -> int:
    """Store points (one per series and second: a repeated one keeps the first); the
    number written."""
    chosen: dict[tuple[str, int], MonitorPoint] = {}
    for point in points:
        chosen.setdefault((point.series[:MAX_NAME], int(point.at)), point)
    with write_connection(engine) as connection:
        lock_run(connection, run_id)
        if not chosen:
            return 0
        ids = _series_ids(connection, run_id)
        for (name, _), point in chosen.items():
            if name not in ids:
                result = connection.execute(insert(monitor_series).values(
                    run_id=run_id, name=name, source=point.source, unit=point.unit[:16]))
                key = result.inserted_primary_key
                assert key is not None
                ids[name] = int(key[0])
        by_series: dict[int, set[int]] = {}
        for (name, at) in chosen:
            by_series.setdefault(ids[name], set()).add(at)
        stored: set[tuple[int, int]] = set()
        for series_id, ats in by_series.items():  # already stored: a late duplicate
            rows = connection.execute(select(monitor_points.c.at).where(
                monitor_points.c.series_id == series_id, monitor_points.c.at >= min(ats),
                monitor_points.c.at <= max(ats)))
            stored.update((series_id, int(at)) for (at,) in rows)
        values = [{"series_id": ids[name], "at": at, "value": float(point.value)}
                  for (name, at), point in chosen.items() if (ids[name], at) not in stored]
        if values:
            connection.execute(insert(monitor_points), values)
        return len(values)


def read_series(connection: Connection, run_id: int, t0: float) -> list[MonitorSeries]:
    """Every series of the run, points in seconds since ``t0`` (epoch s; a point's second
    that began before ``t0`` is at 0, as the charts place the first interval), by name."""
    series = connection.execute(
        select(monitor_series.c.id, monitor_series.c.name, monitor_series.c.source,
               monitor_series.c.unit).where(monitor_series.c.run_id == run_id)
        .order_by(monitor_series.c.name)).all()
    if not series:
        return []
    points: dict[int, list[tuple[float, float]]] = {int(s.id): [] for s in series}
    rows = connection.execute(
        select(monitor_points.c.series_id, monitor_points.c.at, monitor_points.c.value)
        .join(monitor_series, monitor_series.c.id == monitor_points.c.series_id)
        .where(monitor_series.c.run_id == run_id)
        .order_by(monitor_points.c.series_id, monitor_points.c.at))
    for series_id, at, value in rows:
        if at + 1 <= t0:  # sampled before the run started
            continue
        points[int(series_id)].append((max(0.0, round(float(at) - t0, 3)), float(value)))
    return [MonitorSeries(str(s.name), str(s.source), str(s.unit), tuple(points[int(s.id)]))
            for s in series]
