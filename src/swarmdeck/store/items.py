"""Table access the platform's tables share (accounts, launches and targets, saved tests'
schedules and webhooks): a row read as its record, a row added and its new id, a row removed
and the record it was.

    def get_schedule(connection, schedule_id):
        return get(connection, schedules, _schedule, schedule_id, "schedule",
                   "see GET /api/schedules")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    ForeignKey,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy.orm import MappedColumn, mapped_column

from swarmdeck.errors import ItemNotFound
from swarmdeck.store.connect import write_connection

R = TypeVar("R")


def of_saved_test() -> MappedColumn[Any]:
    """A ``test_id`` column: the saved test a row belongs to (deleted with it), indexed."""
    return mapped_column(ForeignKey("saved_tests.id", ondelete="CASCADE"), index=True)


def find(connection: Connection, table: Table, record: Callable[[Any], R],
         *where: ColumnElement[bool]) -> R | None:
    """The first row matching ``where``, as its record; None when there is none."""
    row = connection.execute(select(table).where(*where)).first()
    return None if row is None else record(row)


def get(connection: Connection, table: Table, record: Callable[[Any], R], item_id: int,
        what: str, hint: str) -> R:
    """The row with the id, as its record; ItemNotFound ("no {what} {id}", ``hint``)."""
    found = find(connection, table, record, table.c.id == item_id)
    if found is None:
        raise ItemNotFound(f"no {what} {item_id}", hint)
    return found


def add(connection: Connection, table: Table, **values: Any) -> int:
    """Insert one row; its new id."""
    key = connection.execute(insert(table).values(**values)).inserted_primary_key
    return int(key[0])  # type: ignore[index]


def remove(engine: Engine, table: Table, item_id: int,
           read: Callable[[Connection, int], R]) -> R:
    """Delete the row with the id in one write transaction; what it was (``read``'s
    ItemNotFound when there is no such row)."""
    with write_connection(engine) as connection:
        found = read(connection, item_id)
        connection.execute(delete(table).where(table.c.id == item_id))
        return found
