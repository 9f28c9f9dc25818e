"""Reading runs back: lists, records, per-endpoint and per-region data, timelines.

Queries read rollups where they exist (see ``swarmdeck.store.rollups``): all of a finished
run's, and those below the watermark ``rolled_until`` of a running run; raw intervals for
the rest (the last minute or so of a running run, sub-10 s edges of windows).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, exists, func, literal, select

from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.records import RunStatus
from swarmdeck.records.codec import details_from_json
from swarmdeck.store import models
from swarmdeck.store.records import RunMeta, RunRecord, RunRow, TimelinePoint
from swarmdeck.store.rollups import LEVELS, MINUTE, RAW, RUN_LEVEL, floor_minute, plan_window
from swarmdeck.store.rows import MEASURE_COLUMNS, Merger, from_row, relabel
from swarmdeck.store.writes import not_found

ALL = "*"  # the region (or endpoint) label of data merged over all of them
_META_FIELDS = tuple(RunMeta.__dataclass_fields__)


def load_run(connection: Connection, run_id: int) -> Row[Any]:
    if not 1 <= run_id <= models.MAX_RUN_ID:  # no such run; the database would refuse it
        raise not_found(run_id)
    row = connection.execute(select(models.runs).where(models.runs.c.id == run_id)).first()
    if row is None:
        raise not_found(run_id)
    return row


def list_runs(connection: Connection, limit: int, *, host: str | None = None,
              locustfile: str | None = None, tag: tuple[str, str] | None = None,
              status: str | None = None, since: datetime | None = None,
              until: datetime | None = None, offset: int = 0) -> list[RunRow]:
    """Newest first; every filter given must hold (``since <= started_at < until``)."""
    runs = models.runs
    query = select(runs)
    if host is not None:
        query = query.where(runs.c.host == host)
    if locustfile is not None:
        query = query.where(runs.c.locustfile == locustfile)
    if tag is not None:
        query = query.where(_has_tag(connection, *tag))
    if status is not None:
        query = query.where(runs.c.status == status)
    if since is not None:
        query = query.where(runs.c.started_at >= since)
    if until is not None:
        query = query.where(runs.c.started_at < until)
    query = query.order_by(runs.c.id.desc()).limit(limit).offset(offset)
    return [RunRow(id=row.id, started_at=row.started_at, ended_at=row.ended_at,
                   host=row.host, locustfile=row.locustfile, users=row.users,
                   status=RunStatus(row.status), requests=int(row.requests),
                   failures=int(row.failures), p95_ms=row.p95_ms,
                   tags=dict(row.tags or {}))
            for row in connection.execute(query)]


def _has_tag(connection: Connection, key: str, value: str) -> ColumnElement[bool]:
    """The run's tags hold ``key`` = ``value``; any key (SQLite's JSON paths cannot quote
    every key, so there it reads the tags through ``json_each``)."""
    tags = models.runs.c.tags
    if connection.dialect.name != "sqlite":
        same: ColumnElement[bool] = tags[key].as_string() == value
        return same
    each = func.json_each(tags).table_valued("key", "value")
    return exists(select(literal(1)).select_from(each)
                  .where(each.c.key == key, each.c.value == value))


def run_record(row: Row[Any]) -> RunRecord:
    meta = RunMeta(**{name: getattr(row, name) for name in _META_FIELDS})
    return RunRecord(id=row.id, meta=meta, status=RunStatus(row.status),
                     ended_at=row.ended_at, message=row.message,
                     details=details_from_json(row.details),
                     heartbeat_at=row.heartbeat_at, requests=int(row.requests),
                     failures=int(row.failures), p95_ms=row.p95_ms,
                     first_interval=row.first_interval, last_interval=row.last_interval,
                     rolled_up=row.rolled_up_at is not None, rolled_until=row.rolled_until)


def _measures(level: int) -> Select[Any]:
    table = models.intervals if level == RAW else models.rollups
    query = select(*(table.c[name] for name in MEASURE_COLUMNS))
    return query if level == RAW else query.where(table.c.level == level)


def _rows_query(run_id: int, level: int, lo: int | None, hi: int | None,
                region: str | None) -> Select[Any]:
    """The run's measurement rows of one level, starting in [lo, hi), of one region (None:
    all)."""
    table = models.intervals if level == RAW else models.rollups
    query = _measures(level).where(table.c.run_id == run_id)
    if lo is not None:
        query = query.where(table.c.start >= lo)
    if hi is not None:
        query = query.where(table.c.start < hi)
    if region is not None:
        query = query.where(table.c.region == region)
    return query


def _rows(connection: Connection, run_id: int, level: int, lo: int | None, hi: int | None,
          region: str | None) -> Iterable[Any]:
    return connection.execute(_rows_query(run_id, level, lo, hi, region))


def _ceil(value: float | None) -> int | None:
    return None if value is None else math.ceil(value)


def window_pieces(run: Row[Any], lo: int | None, hi: int | None) -> list[tuple[int, int, int]]:
    """What to read for interval starts in [lo, hi): (level, lo, hi) pieces. A finished run
    reads rollups only (raw for sub-10 s edges); a running one reads rollups below its
    watermark ``rolled_until`` and raw intervals from it on."""
    first, last = run.first_interval, run.last_interval
    if first is None:
        return []
    lo = first if lo is None else max(lo, first)
    hi = last + 1 if hi is None else min(hi, last + 1)
    if lo >= hi:
        return []
    if run.rolled_up_at is not None and lo <= first and hi > last:
        return [(RUN_LEVEL, 0, 1)]
    # no data before the first interval or after the last: widen to whole minutes there
    if lo <= first:
        lo = floor_minute(first)
    if hi > last:
        hi = floor_minute(last) + MINUTE
    if run.rolled_up_at is not None:
        return plan_window(lo, hi)
    until = run.rolled_until
    if until is None or until <= lo:
        return [(RAW, lo, hi)]
    pieces = plan_window(lo, min(hi, until))
    if hi > until:
        pieces.append((RAW, until, hi))
    return pieces


def _step_sources(run: Row[Any], step_s: int) -> list[tuple[int, int | None, int | None]]:
    """What to read, in start order, for steps of ``step_s``: (level, lo, hi) pieces. The
    10 s or 60 s rollups when the step is a multiple of them (below the watermark of a
    running run), else raw intervals."""
    level = next((size for size in LEVELS if step_s % size == 0), RAW)
    if level == RAW or run.rolled_up_at is not None:
        return [(level, None, None)]
    until = run.rolled_until
    if until is None:
        return [(RAW, None, None)]
    return [(level, None, until), (RAW, until, None)]


def endpoint_data(connection: Connection, run: Row[Any], start: float | None,
                  end: float | None, region: str | None) -> dict[EndpointKey, EndpointInterval]:
    lo, hi = _ceil(start), _ceil(end)
    merger = Merger[EndpointKey](lambda interval: interval.endpoint)
    for level, piece_lo, piece_hi in window_pieces(run, lo, hi):
        merger.add_rows(_rows(connection, run.id, level, piece_lo, piece_hi, region))
    label = lo if lo is not None else run.first_interval
    return relabel(merger.take(), start=label, region=region if region is not None else ALL)


def endpoint_region_data(connection: Connection, run: Row[Any]
                         ) -> dict[tuple[EndpointKey, str], EndpointInterval]:
    merger = Merger[tuple[EndpointKey, str]](lambda interval: (interval.endpoint,
                                                               interval.region))
    for level, lo, hi in window_pieces(run, None, None):
        merger.add_rows(_rows(connection, run.id, level, lo, hi, None))
    return relabel(merger.take(), start=run.first_interval)


def user_counts(connection: Connection, run_id: int) -> list[tuple[float, int]]:
    table = models.user_counts
    query = (select(table.c.at, table.c.users).where(table.c.run_id == run_id)
             .order_by(table.c.at, table.c.id))
    return [(float(row.at), int(row.users)) for row in connection.execute(query)]


def timeline(connection: Connection, run: Row[Any], step_s: int) -> list[TimelinePoint]:
    if run.first_interval is None:
        return []
    merger = Merger[int](lambda interval: interval.start // step_s * step_s)
    for level, lo, hi in _step_sources(run, step_s):
        merger.add_rows(_rows(connection, run.id, level, lo, hi, None))
    merged = merger.take()
    samples = user_counts(connection, run.id)
    first = run.first_interval // step_s * step_s
    return [_point(start, merged.get(start), _users_by(samples, start + step_s))
            for start in range(first, run.last_interval + 1, step_s)]


def _users_by(samples: Sequence[tuple[float, int]], end: float) -> int | None:
    """The last user count sampled before ``end``."""
    index = bisect_left(samples, end, key=lambda sample: sample[0])
    return samples[index - 1][1] if index else None


def _point(start: int, data: EndpointInterval | None, users: int | None) -> TimelinePoint:
    """Counts of every request; percentiles of the successful ones (None without any)."""
    if data is None or data.histogram.count == 0:
        return TimelinePoint(start, data.requests if data else 0,
                             data.failures if data else 0, None, None, None, users)
    histogram = data.histogram
    return TimelinePoint(start, data.requests, data.failures, histogram.percentile_ms(50),
                         histogram.percentile_ms(95), histogram.percentile_ms(99), users)


def iter_series(connection: Connection, run: Row[Any], step_s: int, region: str | None,
                by_region: bool = False) -> Iterator[EndpointInterval]:
    """Per step of ``step_s`` seconds and endpoint (and region, with ``by_region``), one
    merged interval, in time order (then method, name, region); steps without requests
    are absent. Streams: only one step's intervals are held at a time (a decoded histogram
    is ~190 KB, so a long run's raw intervals cannot all be in memory). Reads the 10 s or
    60 s rollups when the step is a multiple of them and the run has them (below the
    watermark of a running run), else the raw intervals."""
    if run.first_interval is None:
        return
    label = None if by_region else region if region is not None else ALL
    current: int | None = None
    merger = Merger[tuple[EndpointKey, str]](
        lambda interval: (interval.endpoint, interval.region if by_region else ""))
    for row in _ordered_rows(connection, run.id, _step_sources(run, step_s), region):
        step = int(row.start) // step_s * step_s
        if step != current:
            if current is not None:
                yield from _step_out(merger, current, label)
            current = step
        merger.add(from_row(row))
    if current is not None:
        yield from _step_out(merger, current, label)


def endpoint_keys(connection: Connection, run: Row[Any]) -> set[EndpointKey]:
    """The endpoints with data in the run (from the same rows the whole-run reads use)."""
    keys: set[EndpointKey] = set()
    for level, lo, hi in window_pieces(run, None, None):
        table = models.intervals if level == RAW else models.rollups
        query = select(table.c.method, table.c.name).distinct().where(table.c.run_id == run.id)
        if level != RAW:
            query = query.where(table.c.level == level)
        if lo is not None:
            query = query.where(table.c.start >= lo)
        if hi is not None:
            query = query.where(table.c.start < hi)
        keys.update(EndpointKey(row.method, row.name) for row in connection.execute(query))
    return keys


def _ordered_rows(connection: Connection, run_id: int,
                  sources: list[tuple[int, int | None, int | None]], region: str | None
                  ) -> Iterator[Any]:
    """The rows of each source in start order; sources cover consecutive start ranges."""
    for level, lo, hi in sources:
        table = models.intervals if level == RAW else models.rollups
        query = _rows_query(run_id, level, lo, hi, region).order_by(
            table.c.start, table.c.method, table.c.name)
        yield from connection.execute(query).yield_per(1000)


def _step_out(merger: Merger[tuple[EndpointKey, str]], start: int, region: str | None
              ) -> Iterator[EndpointInterval]:
    """The step's intervals in (method, name, region) order; relabelled with ``region``
    unless None (each keeps its own)."""
    for _, interval in sorted(merger.take().items()):
        interval.start = start
        if region is not None:
            interval.region = region
        yield interval
