"""Rollups: intervals pre-merged so that any window of a run is answered fast, while it
runs and after.

The scheme
----------
Raw intervals (one row per interval start, endpoint and region; 1 s by default) are what
the run wrote. They are merged, per endpoint and region, into three levels of the
``rollups`` table:

* level 10: blocks ``[t, t + 10)`` with ``t`` a multiple of 10 epoch seconds,
* level 60: blocks ``[t, t + 60)`` with ``t`` a multiple of 60,
* level 0: the whole run (``start`` = 0), written once the run is over.

An interval belongs to the block holding its start, so a block never straddles a window
boundary that is aligned to its size, whatever the interval length. A window
``[start, end)`` is covered greedily (``plan_window``): the whole minutes inside it from
level 60, then the whole 10 s blocks inside the remaining edges from level 10, then the
raw intervals of the last edges (under 10 s each side). A window holding all of a finished
run's data reads level 0 only. A 10-minute window of a 30-endpoint run thus merges about
10 x 30 minute rows, up to 2 x 5 x 30 ten-second rows and up to 2 x 9 x 30 raw rows,
instead of 18,000 raw rows; the whole-run summary merges 30 rows instead of 108,000. HDR
histograms add bucket by bucket, so every level is exact, not an approximation.

During the run (``roll_forward``)
---------------------------------
The engine calls ``Store.roll_forward(run_id, settled_before)`` every ~30 s with
``settled_before`` ~20 s in the past. It writes the 10 s and 60 s rows of the whole minutes
from the watermark ``runs.rolled_until`` (a multiple of 60; NULL = nothing rolled yet, the
start is then the minute of the first interval) up to ``settled_before`` rounded down to a
minute, and advances the watermark. Invariant: for every block starting before
``rolled_until``, the 10 s and 60 s rows exist (when the block has data) and are exact.
Reads of a running run use the rollups below the watermark and raw intervals from it on,
so a dashboard poll of a 1-hour run merges ~60 x 30 minute rows plus at most ~1.5 minutes of
raw rows. ``finish_run`` (or finding the run crashed) then rolls only the rest and builds
the whole-run row from the minute rows below the watermark plus the tail: seconds, not a
re-read of every raw row. ``rolled_up_at`` still means "finished: level 0 exists".

Writing rollups reads raw rows once, in start order, streaming: raw rows merge into the
open 10 s block, a closed 10 s block is written and merged into the open minute, a closed
minute into the run (when finishing). Memory holds one block per level per endpoint and
region, plus the encoded rows to write.

Consistency: every write of intervals bumps ``runs.revision``. Rollups are computed from a
read (no lock held), then written in a write transaction only if the run's revision,
watermark and finished state are still the ones they were computed from; otherwise they
are computed again (and, after a few tries, under the write lock). An interval arriving for
a start below the watermark (a slow worker's report), or any interval after the finish, is
merged into its raw row and, in the same transaction under the run's lock, into its 10 s
block and its minute (``merge_blocks``) and, once finished, the whole-run row
(``merge_late``), so rollups stay exact. Nothing is lost or counted twice: a rollup
computed before such a write is thrown away by the revision check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, delete, insert, or_, select, update

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
MINUTE = LEVELS[0]
RUN_LEVEL = 0  # the whole run
RAW = 1  # pieces of a window read from the raw intervals
OPTIMISTIC_TRIES = 3
_INSERT_CHUNK = 2000
_READ_CHUNK = 200
PAUSE_EVERY = 50  # intervals read by roll_forward between pauses (a few ms of work)

Piece = tuple[int, int, int]  # (level, lo, hi): starts in [lo, hi) from that level
Region = tuple[str, str, str]  # (method, name, region)
RollupKey = tuple[int, int, str, str, str]  # (level, start, method, name, region)
ROLLUP_KEY = ("level", "start", "method", "name", "region")
Built = tuple[list[dict[str, Any]], dict[Region, EndpointInterval]]
T = TypeVar("T")


def block_start(start: int, level: int) -> int:
    return 0 if level == RUN_LEVEL else start // level * level


def floor_minute(at: float) -> int:
    return math.floor(at / MINUTE) * MINUTE


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
    """Streams raw intervals, in start order, into 10 s and 60 s rollup rows and, when
    ``whole``, the whole-run rows (fed also with minute rows already written)."""

    def __init__(self, run_id: int, *, whole: bool = True) -> None:
        self.run_id = run_id
        self.rows: list[dict[str, Any]] = []
        self._open = {level: -1 for level in LEVELS}
        self._blocks = {level: Merger[Region](_region_key) for level in LEVELS}
        self._run = Merger[Region](_region_key) if whole else None

    def add(self, interval: EndpointInterval) -> None:
        for depth, level in enumerate(LEVELS):
            block = block_start(interval.start, level)
            if block != self._open[level]:
                self._close(depth)
                self._open[level] = block
        self._blocks[LEVELS[-1]].add(interval)

    def add_minute(self, interval: EndpointInterval) -> None:
        """A minute row already stored: counts towards the whole run only."""
        if self._run is not None:
            self._run.add(interval)

    def finish(self) -> Built:
        """The rollup rows, and the whole-run intervals per endpoint and region."""
        self._close(0)
        whole = self._run.take() if self._run is not None else {}
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
                if parent is not None:
                    parent.add(interval)

    def _row(self, level: int, start: int, key: Region,
             interval: EndpointInterval) -> dict[str, Any]:
        method, name, region = key
        return {"run_id": self.run_id, "level": level, "start": start, "method": method,
                "name": name, "region": region, **measurements(interval)}


def _region_key(interval: EndpointInterval) -> Region:
    return (interval.method, interval.name, interval.region)


def p95_ms(whole: Iterable[EndpointInterval]) -> float | None:
    """The p95 of the successful requests over all endpoints and regions (None without
    any)."""
    total = merge_all(whole, start=0, method="", name="", region="")
    return total.histogram.percentile_ms(95) if total.histogram.count else None


@dataclass(frozen=True)
class RunState:
    """What a rollup was computed from; it is written only if this still holds."""

    revision: int
    rolled_up: bool
    rolled_until: int | None
    first_interval: int | None


def _state(connection: Connection, run_id: int, *, lock: bool = False) -> RunState | None:
    runs = models.runs
    query = select(runs.c.revision, runs.c.rolled_up_at, runs.c.rolled_until,
                   runs.c.first_interval).where(runs.c.id == run_id)
    row = connection.execute(query.with_for_update() if lock else query).first()
    if row is None:
        return None
    return RunState(int(row.revision), row.rolled_up_at is not None, row.rolled_until,
                    row.first_interval)


def _optimistically(engine: Engine, run_id: int,
                    compute: Callable[[Connection, RunState], T | None],
                    write: Callable[[Connection, RunState, T], None]) -> None:
    """Compute from a read, write if the run's state did not change meanwhile; retry, and
    at last compute under the run's write lock."""
    for _ in range(OPTIMISTIC_TRIES):
        with engine.connect() as connection, connection.begin():
            state = _state(connection, run_id)
            work = compute(connection, state) if state is not None else None
        if state is None or work is None:
            return
        with write_connection(engine) as connection:
            if _state(connection, run_id, lock=True) == state:
                write(connection, state, work)
                return
    with write_connection(engine) as connection:
        state = _state(connection, run_id, lock=True)
        work = compute(connection, state) if state is not None else None
        if state is not None and work is not None:
            write(connection, state, work)


def roll_forward(engine: Engine, run_id: int, settled_before: float,
                 pause: Callable[[], None] | None = None) -> None:
    """Write the 10 s and 60 s rollups of the whole minutes from the watermark up to
    ``settled_before`` (rounded down to a minute) and advance the watermark there.
    ``pause``, when given, is called every ``PAUSE_EVERY`` intervals read (a load
    generator passes ``gevent.sleep`` so that its responses are timed meanwhile)."""
    target = floor_minute(settled_before)

    def compute(connection: Connection, state: RunState) -> tuple[int, int, Built] | None:
        if state.rolled_up or state.first_interval is None:
            return None
        lo = (state.rolled_until if state.rolled_until is not None
              else floor_minute(state.first_interval))
        if lo >= target:
            return None
        builder = RollupBuilder(run_id, whole=False)
        for count, interval in enumerate(_raw_in_order(connection, run_id, lo, target), 1):
            builder.add(interval)
            if pause is not None and count % PAUSE_EVERY == 0:
                pause()
        if pause is not None:
            pause()
        return lo, target, builder.finish()

    def write(connection: Connection, state: RunState,
              work: tuple[int, int, Built]) -> None:
        lo, hi, (rows, _) = work
        table = models.rollups
        connection.execute(delete(table).where(
            table.c.run_id == run_id, table.c.level.in_(LEVELS), table.c.start >= lo,
            table.c.start < hi))
        _insert(connection, rows)
        connection.execute(update(models.runs).where(models.runs.c.id == run_id)
                           .values(rolled_until=hi))

    _optimistically(engine, run_id, compute, write)


def roll_up(engine: Engine, run_id: int) -> None:
    """Finish the rollups of a run (once; late intervals keep them exact afterwards): the
    10 s and 60 s rows from the watermark on, and the whole-run rows from the minute rows
    below it plus those."""

    def compute(connection: Connection, state: RunState) -> Built | None:
        if state.rolled_up:
            return None
        since = state.rolled_until
        builder = RollupBuilder(run_id)
        if since is not None:
            for row in _rollup_rows(connection, run_id, MINUTE, since):
                builder.add_minute(from_row(row))
        for interval in _raw_in_order(connection, run_id, since, None):
            builder.add(interval)
        return builder.finish()

    def write(connection: Connection, state: RunState, built: Built) -> None:
        rows, whole = built
        table = models.rollups
        stale = delete(table).where(table.c.run_id == run_id)
        if state.rolled_until is not None:  # keep the blocks below the watermark
            stale = stale.where(or_(table.c.level == RUN_LEVEL,
                                    table.c.start >= state.rolled_until))
        connection.execute(stale)
        _insert(connection, rows)
        connection.execute(update(models.runs).where(models.runs.c.id == run_id).values(
            rolled_up_at=datetime.now(UTC), p95_ms=p95_ms(whole.values())))

    _optimistically(engine, run_id, compute, write)


def _rollup_rows(connection: Connection, run_id: int, level: int,
                 before: int) -> Iterable[Any]:
    table = models.rollups
    query = select(*(table.c[name] for name in MEASURE_COLUMNS)).where(
        table.c.run_id == run_id, table.c.level == level, table.c.start < before)
    return connection.execute(query.execution_options(yield_per=_INSERT_CHUNK))


def _raw_in_order(connection: Connection, run_id: int, lo: int | None,
                  hi: int | None) -> Iterator[EndpointInterval]:
    table = models.intervals
    query = (select(*(table.c[name] for name in MEASURE_COLUMNS))
             .where(table.c.run_id == run_id).order_by(table.c.start))
    if lo is not None:
        query = query.where(table.c.start >= lo)
    if hi is not None:
        query = query.where(table.c.start < hi)
    # on the statement, not the connection: that may go on to write (no server-side cursor);
    # in small batches: roll_forward pauses between them for the load generator
    for row in connection.execute(query.execution_options(yield_per=_READ_CHUNK)):
        yield from_row(row)


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    for offset in range(0, len(rows), _INSERT_CHUNK):
        connection.execute(insert(models.rollups), rows[offset:offset + _INSERT_CHUNK])


def merge_blocks(connection: Connection, run_id: int, deltas: Sequence[EndpointInterval],
                 levels: Sequence[int] = LEVELS) -> dict[RollupKey, EndpointInterval]:
    """Merge intervals into their rollup rows of ``levels`` (creating missing rows); the
    stored rows of the last level after the merge.

    The caller holds the run's write lock and has merged ``deltas`` into the raw rows.
    """
    table = models.rollups
    merged: dict[RollupKey, EndpointInterval] = {}
    for level in levels:
        per_block = Merger[RollupKey](_block_key(level))
        for interval in deltas:
            per_block.add(copy_interval(interval))
        blocks = per_block.take()
        starts = sorted({key[1] for key in blocks})
        merged = merge_rows(connection, table, run_id, ROLLUP_KEY, blocks,
                            [table.c.level == level, table.c.start.in_(starts)])
    return merged


def merge_late(connection: Connection, run_id: int,
               deltas: Iterable[EndpointInterval]) -> float | None:
    """Merge intervals that arrived after the finish into every level; the new p95.

    The caller holds the run's write lock and has merged ``deltas`` into the raw rows.
    """
    whole = merge_blocks(connection, run_id, list(deltas), (*LEVELS, RUN_LEVEL))
    table = models.rollups
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
