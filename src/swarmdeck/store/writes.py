"""Writing a run: its record, heartbeats, intervals (merged by key), user counts, its end;
batches of them under an idempotency key, applied once however often they are written.

Every write of one run takes that run's row lock first (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` locks the whole database), so writers of one run
queue up and a merge never loses a concurrent report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update

from swarmdeck.errors import RunNotFound
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.records import Comparison, Finding, RunDetails, RunStatus, ThresholdOutcome
from swarmdeck.records.codec import details_from_json, details_to_json
from swarmdeck.store import models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.liveness import db_now
from swarmdeck.store.records import Batch, RunMeta
from swarmdeck.store.rollups import merge_blocks, merge_late
from swarmdeck.store.rows import copy_interval
from swarmdeck.store.upsert import merge_rows

RAW_KEY = ("start", "method", "name", "region")
RawKey = tuple[int, str, str, str]
_IN_LIMIT = 500  # more distinct starts than this are read by range instead of IN


def not_found(run_id: int | str) -> RunNotFound:
    return RunNotFound(f"no run {run_id} in the results database",
                       "run `swarmdeck runs` to list the stored runs")


def lock_run(connection: Connection, run_id: int) -> Row[Any]:
    """The run's row, locked until the transaction ends; RunNotFound if there is none."""
    row = connection.execute(
        select(models.runs).where(models.runs.c.id == run_id).with_for_update()).first()
    if row is None:
        raise not_found(run_id)
    return row


def create_run(engine: Engine, meta: RunMeta) -> int:
    values = asdict(meta)
    values.update(plan=dict(meta.plan), tags={str(k): str(v) for k, v in meta.tags.items()},
                  status=RunStatus.RUNNING.value, revision=0, requests=0,
                  failures=0)
    with write_connection(engine) as connection:
        values["heartbeat_at"] = db_now(connection)
        result = connection.execute(insert(models.runs).values(**values))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def heartbeat(engine: Engine, run_id: int, at: datetime | None) -> None:
    with write_connection(engine) as connection:
        result = connection.execute(update(models.runs).where(models.runs.c.id == run_id)
                                    .values(heartbeat_at=at or db_now(connection)))
        if result.rowcount == 0:
            raise not_found(run_id)


def coalesce(intervals: Iterable[EndpointInterval]) -> dict[RawKey, EndpointInterval]:
    """One interval per key; duplicates are merged into a copy, never into the caller's."""
    merged: dict[RawKey, EndpointInterval] = {}
    copied: set[RawKey] = set()
    for interval in intervals:
        key = (int(interval.start), interval.method, interval.name, interval.region)
        current = merged.get(key)
        if current is None:
            merged[key] = interval
            continue
        if key not in copied:
            current = merged[key] = copy_interval(current)
            current.start = key[0]
            copied.add(key)
        current.merge(interval)
    return merged


def add_intervals(engine: Engine, run_id: int, intervals: Iterable[EndpointInterval]) -> None:
    apply_batches(engine, run_id, [Batch(None, tuple(intervals))])


def claim(connection: Connection, run_id: int, key: str) -> bool:
    """Record the batch ``key`` as applied to the run; False when it already was. The caller
    holds the run's lock and applies the batch in the same transaction."""
    table = models.applied_batches
    seen = connection.execute(select(table.c.key).where(
        table.c.run_id == run_id, table.c.key == key)).first()
    if seen is not None:
        return False
    connection.execute(insert(table).values(run_id=run_id, key=key,
                                            applied_at=db_now(connection)))
    return True


def apply_batches(engine: Engine, run_id: int, batches: Sequence[Batch]) -> list[bool]:
    """Write the batches in one transaction; for each, whether it was applied (False: its
    key was applied before, so it is skipped)."""
    with write_connection(engine) as connection:
        run = lock_run(connection, run_id)
        applied = [batch.key is None or claim(connection, run_id, batch.key)
                   for batch in batches]
        fresh = [batch for batch, new in zip(batches, applied) if new]
        users = [{"run_id": run_id, "at": float(at), "users": int(n)}
                 for batch in fresh for at, n in batch.users]
        if users:
            connection.execute(insert(models.user_counts), users)
        deltas = coalesce(i for batch in fresh for i in batch.intervals)
        if deltas:
            _merge_intervals(connection, run, deltas)
        elif batches and run.status == RunStatus.RUNNING:  # its writer is alive
            connection.execute(update(models.runs).where(models.runs.c.id == run_id)
                               .values(heartbeat_at=db_now(connection)))
        return applied


def _merge_intervals(connection: Connection, run: Row[Any],
                     deltas: dict[RawKey, EndpointInterval]) -> None:
    """Merge intervals into the run's raw rows and totals (and its rollups, for those that
    arrive below the watermark or after the finish); the caller holds the run's lock."""
    run_id = run.id
    starts = sorted({key[0] for key in deltas})
    start_column = models.intervals.c.start
    narrow = ([start_column.in_(starts)] if len(starts) <= _IN_LIMIT
              else [start_column >= starts[0], start_column <= starts[-1]])
    merge_rows(connection, models.intervals, run_id, RAW_KEY, deltas, narrow)
    changes: dict[str, Any] = {
        "revision": run.revision + 1,
        "requests": run.requests + sum(d.requests for d in deltas.values()),
        "failures": run.failures + sum(d.failures for d in deltas.values()),
        "first_interval": min(starts[0], run.first_interval if run.first_interval
                              is not None else starts[0]),
        "last_interval": max(starts[-1], run.last_interval if run.last_interval
                             is not None else starts[-1]),
    }
    if run.status == RunStatus.RUNNING:
        changes["heartbeat_at"] = db_now(connection)
    if run.rolled_up_at is not None:
        changes["p95_ms"] = merge_late(connection, run_id, deltas.values())
    elif run.rolled_until is not None and starts[0] < run.rolled_until:
        # a late report below the watermark: keep the rollups written so far exact
        merge_blocks(connection, run_id,
                     [d for d in deltas.values() if d.start < run.rolled_until])
    connection.execute(update(models.runs).where(models.runs.c.id == run_id)
                       .values(**changes))


def add_user_counts(engine: Engine, run_id: int, samples: Iterable[tuple[float, int]]) -> None:
    rows = [{"run_id": run_id, "at": float(at), "users": int(users)} for at, users in samples]
    with write_connection(engine) as connection:
        lock_run(connection, run_id)
        if rows:
            connection.execute(insert(models.user_counts), rows)


def finish_run(engine: Engine, run_id: int, status: RunStatus, ended_at: datetime,
               message: str | None, details: RunDetails, key: str | None = None) -> bool:
    """Record how the run ended; False (and nothing changed) when the finish ``key`` was
    applied before."""
    with write_connection(engine) as connection:
        lock_run(connection, run_id)
        if key is not None and not claim(connection, run_id, key):
            return False
        connection.execute(update(models.runs).where(models.runs.c.id == run_id).values(
            status=RunStatus(status).value, ended_at=ended_at, message=message,
            details=details_to_json(details), heartbeat_at=db_now(connection)))
        return True


def record_verdict(engine: Engine, run_id: int, status: RunStatus | None, *,
                   thresholds: tuple[ThresholdOutcome, ...], findings: tuple[Finding, ...],
                   comparison: Comparison | None, message: str | None = None) -> None:
    """Store the verdict with the run's details; set ``status`` and ``message`` when
    given."""
    with write_connection(engine) as connection:
        run = lock_run(connection, run_id)
        details = replace(details_from_json(run.details), thresholds=thresholds,
                          findings=findings, comparison=comparison)
        values: dict[str, Any] = {"details": details_to_json(details)}
        if status is not None:
            values["status"] = RunStatus(status).value
        if message is not None:
            values["message"] = message
        connection.execute(update(models.runs).where(models.runs.c.id == run_id)
                           .values(**values))
