"""Rollups: intervals pre-merged so that any window of a finished run is answered fast.

The scheme
----------
Raw intervals (one row per interval start, endpoint and region; 1 s by default) are what
the run wrote. When a run finishes (``Store.finish_run``) or is found crashed, they are
merged once, per endpoint and region, into three levels of the ``rollups`` table:

* level 10: blocks ``[t, t + 10)`` with ``t`` a multiple of 10 epoch seconds,
* level 60: blocks ``[t, t + 60)`` with ``t`` a multiple of 60,
* level 0: the whole run (``start`` = 0).

An interval belongs to the block holding its start, so a block never straddles a window
boundary that is aligned to its size, whatever the interval length. A window
``[start, end)`` is covered greedily (``plan_window``): the whole minutes inside it from
level 60, then the whole 10 s blocks inside the remaining edges from level 10, then the
raw intervals of the last edges (under 10 s each side). A window holding all of the run's
data reads level 0 only. A 10-minute window of a 30-endpoint run thus merges about 10 x 30
minute rows, up to 2 x 5 x 30 ten-second rows and up to 2 x 9 x 30 raw rows, instead of
18,000 raw rows; the whole-run summary merges 30 rows instead of 108,000. HDR histograms
add bucket by bucket, so every level is exact, not an approximation.

Writing rollups reads all raw rows once, in start order, streaming: raw rows merge into the
open 10 s block, a closed 10 s block is written and merged into the open minute, a closed
minute into the run. Memory holds one block per level per endpoint and region.

Consistency: every write of intervals bumps ``runs.revision``. Rollups are computed from a
read (no lock held), then written in a write transaction only if the revision is still the
one they were computed from; otherwise they are computed again (and, after a few tries,
under the write lock). Until a run has rollups, every query merges raw intervals: correct,
slower. A late interval arriving after the rollups were written (a slow worker's last
report) is merged into its raw row and, in the same transaction, into its 10 s block, its
minute and the whole-run row (``merge_late``), so rollups stay exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.store import models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.rows import (
    MEASURE_COLUMNS,
    Merger,
    copy_interval,
    from_row,
    measurements,
    merge_all,
)
from swarmdeck.store.upsert import merge_rows

LEVELS = (60, 10)  # block sizes in seconds, coarsest first
RUN_LEVEL = 0  # the whole run
RAW = 1  # pieces of a window read from the raw intervals
OPTIMISTIC_TRIES = 3
_INSERT_CHUNK = 2000

Piece = tuple[int, int, int]  # (level, lo, hi): starts in [lo, hi) from that level
Region = tuple[str, str, str]  # (method, name, region)
RollupKey = tuple[int, int, str, str, str]  # (level, start, method, name, region)
ROLLUP_KEY = ("level", "start", "method", "name", "region")


def block_start(start: int, level: int) -> int:
    return 0 if level == RUN_LEVEL else start // level * level


def plan_window(start: int, end: int, levels: tuple[int, ...] = LEVELS) -> list[Piece]:
    """Pieces covering interval starts in ``[start, end)``: coarsest blocks, then edges."""
    pieces: list[Piece] = []

    def cover(lo: int, hi: int, depth: int) -> None:
        if lo >= hi:
            return
        if depth == len(levels):
            pieces.append((RAW, lo, hi))
            return
        size = levels[depth]
        first, last = -(-lo // size) * size, hi // size * size
        if first < last:
            pieces.append((size, first, last))
            cover(lo, first, depth + 1)
            cover(last, hi, depth + 1)
        else:
            cover(lo, hi, depth + 1)

    cover(start, end, 0)
    return pieces


class RollupBuilder:
    """Streams raw intervals, in start order, into rollup rows for all levels."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.rows: list[dict[str, Any]] = []
        self._open = {level: -1 for level in LEVELS}
        self._blocks = {level: Merger[Region](_region_key) for level in LEVELS}
        self._run = Merger[Region](_region_key)

    def add(self, interval: EndpointInterval) -> None:
        for depth, level in enumerate(LEVELS):
            block = block_start(interval.start, level)
            if block != self._open[level]:
                self._close(depth)
                self._open[level] = block
        self._blocks[LEVELS[-1]].add(interval)

    def finish(self) -> tuple[list[dict[str, Any]], dict[Region, EndpointInterval]]:
        """The rollup rows, and the whole-run intervals per endpoint and region."""
        self._close(0)
        whole = self._run.take()
        for key, interval in whole.items():
            self.rows.append(self._row(RUN_LEVEL, 0, key, interval))
        return self.rows, whole

    def _close(self, depth: int) -> None:
        """Close the open blocks from the finest level up to ``LEVELS[depth]``."""
        for index in range(len(LEVELS) - 1, depth - 1, -1):
            level = LEVELS[index]
            parent = self._blocks[LEVELS[index - 1]] if index > 0 else self._run
            for key, interval in self._blocks[level].take().items():
                self.rows.append(self._row(level, self._open[level], key, interval))
                parent.add(interval)

    def _row(self, level: int, start: int, key: Region,
             interval: EndpointInterval) -> dict[str, Any]:
        method, name, region = key
        return {"run_id": self.run_id, "level": level, "start": start, "method": method,
                "name": name, "region": region, **measurements(interval)}


def _region_key(interval: EndpointInterval) -> Region:
    return (interval.method, interval.name, interval.region)


def p95_ms(whole: Iterable[EndpointInterval]) -> float | None:
    """The p95 over all endpoints and regions (None without requests)."""
    total = merge_all(whole, start=0, method="", name="", region="")
    return total.histogram.percentile_ms(95) if total.requests else None


def roll_up(engine: Engine, run_id: int) -> None:
    """Write the rollups of a run (once; late intervals keep them exact afterwards)."""
    for _ in range(OPTIMISTIC_TRIES):
        with engine.connect() as connection, connection.begin():
            state = _state(connection, run_id)
            if state is None or state[1]:
                return
            built = _build(connection, run_id)
        with write_connection(engine) as connection:
            current = _state(connection, run_id, lock=True)
            if current is None or current[1]:
                return
            if current[0] == state[0]:
                _write(connection, run_id, *built)
                return
    with write_connection(engine) as connection:
        current = _state(connection, run_id, lock=True)
        if current is not None and not current[1]:
            _write(connection, run_id, *_build(connection, run_id))


def _state(connection: Connection, run_id: int, *,
           lock: bool = False) -> tuple[int, bool] | None:
    query = select(models.runs.c.revision, models.runs.c.rolled_up_at).where(
        models.runs.c.id == run_id)
    row = connection.execute(query.with_for_update() if lock else query).first()
    return None if row is None else (int(row.revision), row.rolled_up_at is not None)


def _build(connection: Connection,
           run_id: int) -> tuple[list[dict[str, Any]], dict[Region, EndpointInterval]]:
    builder = RollupBuilder(run_id)
    for interval in _raw_in_order(connection, run_id):
        builder.add(interval)
    return builder.finish()


def _raw_in_order(connection: Connection, run_id: int) -> Iterator[EndpointInterval]:
    table = models.intervals
    query = (select(*(table.c[name] for name in MEASURE_COLUMNS))
             .where(table.c.run_id == run_id).order_by(table.c.start))
    result = connection.execution_options(yield_per=_INSERT_CHUNK).execute(query)
    for row in result:
        yield from_row(row)


def _write(connection: Connection, run_id: int, rows: list[dict[str, Any]],
           whole: dict[Region, EndpointInterval]) -> None:
    connection.execute(delete(models.rollups).where(models.rollups.c.run_id == run_id))
    for offset in range(0, len(rows), _INSERT_CHUNK):
        connection.execute(insert(models.rollups), rows[offset:offset + _INSERT_CHUNK])
    connection.execute(update(models.runs).where(models.runs.c.id == run_id).values(
        rolled_up_at=datetime.now(UTC), p95_ms=p95_ms(whole.values())))


def merge_late(connection: Connection, run_id: int,
               deltas: Iterable[EndpointInterval]) -> float | None:
    """Merge intervals that arrived after the rollups into every level; the new p95.

    The caller holds the run's write lock and has merged ``deltas`` into the raw rows.
    """
    deltas = list(deltas)
    table = models.rollups
    whole: dict[RollupKey, EndpointInterval] = {}
    for level in (*LEVELS, RUN_LEVEL):
        per_block = Merger[RollupKey](_block_key(level))
        for interval in deltas:
            per_block.add(copy_interval(interval))
        blocks = per_block.take()
        starts = sorted({key[1] for key in blocks})
        whole = merge_rows(connection, table, run_id, ROLLUP_KEY, blocks,
                           [table.c.level == level, table.c.start.in_(starts)])
    others = connection.execute(
        select(*(table.c[name] for name in MEASURE_COLUMNS))
        .where(table.c.run_id == run_id, table.c.level == RUN_LEVEL))
    return p95_ms([whole.get((RUN_LEVEL, 0, row.method, row.name, row.region))
                   or from_row(row) for row in others])


def _block_key(level: int) -> Callable[[EndpointInterval], RollupKey]:
    def key(interval: EndpointInterval) -> RollupKey:
        return (level, block_start(interval.start, level), interval.method, interval.name,
                interval.region)
    return key
