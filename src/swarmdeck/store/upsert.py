"""Merging intervals into stored rows: the same key twice adds up, exactly.

Used for raw intervals (keyed by start, method, name, region) and for rollups (keyed also
by level). The caller holds the run's write lock, so no other writer changes these rows
between the read and the write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, bindparam, insert, select, update

from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.store.rows import from_row, measurements

Key = tuple[Any, ...]
_CHUNK = 1000


def merge_rows(connection: Connection, table: Table, run_id: int,
               key_columns: Sequence[str], deltas: Mapping[Key, EndpointInterval],
               filters: Sequence[ColumnElement[bool]]) -> dict[Key, EndpointInterval]:
    """Merge each delta into the row with its key, creating missing rows.

    ``filters`` narrow the rows read to those that may hold the keys. Returns the stored
    intervals for every key of ``deltas`` after the merge; ``deltas`` are not changed.
    """
    if not deltas:
        return {}
    merged: dict[Key, EndpointInterval] = {}
    query = select(table).where(table.c.run_id == run_id, *filters)
    for row in connection.execute(query):
        key = tuple(row._mapping[column] for column in key_columns)
        delta = deltas.get(key)
        if delta is not None:
            current = from_row(row)
            current.merge(delta)
            merged[key] = current
    if merged:
        where = and_(table.c.run_id == bindparam("k_run_id"),
                     *(table.c[column] == bindparam(f"k_{column}") for column in key_columns))
        changes = [{"k_run_id": run_id, **_prefixed(key_columns, key),
                    **measurements(interval)} for key, interval in merged.items()]
        for offset in range(0, len(changes), _CHUNK):
            connection.execute(update(table).where(where), changes[offset:offset + _CHUNK])
    new = [(key, delta) for key, delta in deltas.items() if key not in merged]
    if new:
        rows = [{"run_id": run_id, **dict(zip(key_columns, key)), **measurements(delta)}
                for key, delta in new]
        for offset in range(0, len(rows), _CHUNK):
            connection.execute(insert(table), rows[offset:offset + _CHUNK])
        merged.update(new)
    return merged


def _prefixed(columns: Sequence[str], key: Key) -> dict[str, Any]:
    return {f"k_{column}": value for column, value in zip(columns, key)}
