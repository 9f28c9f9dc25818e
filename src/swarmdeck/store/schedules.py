"""Schedules: a cron expression per saved test, and what happened the last time it fired.

``claim`` is how a scheduler takes one firing: it moves ``last_due`` from the value it read
to the new due time in one UPDATE, so that of two schedulers (two Gunicorn workers, two
servers) that saw the same due time only one starts the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Connection, Engine, Integer, String, Table, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from swarmdeck.store import items, models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.liveness import db_now


class ScheduleRow(models.Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    test_id: Mapped[int] = items.of_saved_test()
    cron: Mapped[str] = mapped_column(String(100))
    # extra `swarmdeck run` gates: compare_to (a run reference) and max_regression budgets
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(models.UTCDateTime)
    last_due: Mapped[datetime | None] = mapped_column(models.UTCDateTime)  # last fired for
    last_launch_id: Mapped[int | None] = mapped_column(Integer)
    last_message: Mapped[str | None] = mapped_column(Text)  # why the last firing failed


schedules = cast(Table, ScheduleRow.__table__)


@dataclass(frozen=True)
class Schedule:
    id: int
    test_id: int
    cron: str
    options: dict[str, Any]
    created_by: str
    created_at: datetime
    last_due: datetime | None
    last_launch_id: int | None
    last_message: str | None

    @property
    def since(self) -> datetime:
        """Times after this one are still to fire."""
        return self.last_due or self.created_at


def _schedule(row: Any) -> Schedule:
    return Schedule(int(row.id), int(row.test_id), row.cron, dict(row.options or {}),
                    row.created_by, row.created_at, row.last_due, row.last_launch_id,
                    row.last_message)


def get_schedule(connection: Connection, schedule_id: int) -> Schedule:
    return items.get(connection, schedules, _schedule, schedule_id, "schedule",
                     "see GET /api/schedules")


def list_schedules(connection: Connection, test_id: int | None = None) -> list[Schedule]:
    query = select(schedules).order_by(schedules.c.id)
    if test_id is not None:
        query = query.where(schedules.c.test_id == test_id)
    return [_schedule(row) for row in connection.execute(query)]


def add_schedule(engine: Engine, test_id: int, cron: str, options: dict[str, Any],
                 actor: str) -> Schedule:
    with write_connection(engine) as connection:
        new_id = items.add(connection, schedules, test_id=test_id, cron=cron,
                           options=options, created_by=actor, created_at=db_now(connection),
                           last_due=None, last_launch_id=None, last_message=None)
        return get_schedule(connection, new_id)


def remove_schedule(engine: Engine, schedule_id: int) -> Schedule:
    return items.remove(engine, schedules, schedule_id, get_schedule)


def claim(engine: Engine, schedule: Schedule, due: datetime) -> bool:
    """Take the firing at ``due``; False when another scheduler took it first."""
    with write_connection(engine) as connection:
        where = schedules.c.last_due.is_(None) if schedule.last_due is None \
            else schedules.c.last_due == schedule.last_due
        result = connection.execute(update(schedules).where(
            schedules.c.id == schedule.id, where).values(last_due=due))
        return result.rowcount == 1


def record_firing(engine: Engine, schedule_id: int, launch_id: int | None,
                  message: str | None) -> None:
    with write_connection(engine) as connection:
        connection.execute(update(schedules).where(schedules.c.id == schedule_id).values(
            last_launch_id=launch_id, last_message=message))
