"""Runs started by the platform (launches) and the permitted targets.

A launch is one ``swarmdeck run`` process the server started for a saved test's version:
who asked, its process (pid, host), the run it created (found by its tag), how it ended.
Limits are checked and the launch recorded in one write transaction, so that two servers
(or Gunicorn workers) cannot both take the last slot. A permitted target is a host an
admin added, with the token it must serve to be verified.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from swarmdeck.errors import BadInput, Conflict
from swarmdeck.store import items, models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.liveness import db_now

ACTIVE = ("starting", "running", "stopping")
_LAUNCH_LOCK = 0x5357_4C41_554E  # "SWLAUN": the PostgreSQL advisory lock key


class LaunchRow(models.Base):
    __tablename__ = "launches"
    __table_args__ = (Index("ix_launches_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("saved_tests.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    locustfile_sha256: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # starting, running, stopping, ended
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"),
                                               index=True)
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str] = mapped_column(String(255))
    users: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(models.UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(models.UTCDateTime)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    stopped_by: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    # a run on registered nodes: where its master listens, the token its workers give
    master_port: Mapped[int | None] = mapped_column(Integer)
    worker_token: Mapped[str | None] = mapped_column(String(64))  # a secret: never shown


class TargetRow(models.Base):
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(255), unique=True)  # scheme://host[:port]
    token: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(models.UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(models.UTCDateTime)


launches = cast(Table, LaunchRow.__table__)
targets = cast(Table, TargetRow.__table__)


@dataclass(frozen=True)
class Launch:
    id: int
    test_id: int
    version: int
    locustfile_sha256: str
    requested_by: str
    status: str
    run_id: int | None
    pid: int | None
    hostname: str
    users: int
    created_at: datetime
    ended_at: datetime | None
    exit_code: int | None
    stopped_by: str | None
    message: str | None
    master_port: int | None = None
    worker_token: str | None = None


@dataclass(frozen=True)
class Target:
    id: int
    origin: str
    token: str
    added_by: str
    created_at: datetime
    verified_at: datetime | None


@dataclass(frozen=True)
class Limits:
    max_runs: int
    max_runs_per_user: int


def _launch(row: Any) -> Launch:
    return Launch(int(row.id), int(row.test_id), int(row.version), row.locustfile_sha256,
                  row.requested_by, row.status, row.run_id, row.pid, row.hostname,
                  int(row.users), row.created_at, row.ended_at, row.exit_code,
                  row.stopped_by, row.message, row.master_port, row.worker_token)


def _target(row: Any) -> Target:
    return Target(int(row.id), row.origin, row.token, row.added_by, row.created_at,
                  row.verified_at)


# -- launches ----------------------------------------------------------------------------

def get_launch(connection: Connection, launch_id: int) -> Launch:
    return items.get(connection, launches, _launch, launch_id, "launch",
                     "see GET /api/launches")


def launch_of_run(connection: Connection, run_id: int) -> Launch | None:
    return items.find(connection, launches, _launch, launches.c.run_id == run_id)


def list_launches(connection: Connection, limit: int, *, active: bool = False,
                  test_id: int | None = None) -> list[Launch]:
    query = select(launches).order_by(launches.c.id.desc()).limit(limit)
    if active:
        query = query.where(launches.c.status.in_(ACTIVE))
    if test_id is not None:
        query = query.where(launches.c.test_id == test_id)
    return [_launch(row) for row in connection.execute(query)]


def reserve(engine: Engine, *, test_id: int, version: int, sha256: str, requested_by: str,
            hostname: str, users: int, limits: Limits) -> Launch:
    """Record a new launch (``starting``) unless a limit of concurrent runs is reached."""
    with write_connection(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _LAUNCH_LOCK})
        active = select(func.count()).select_from(launches).where(
            launches.c.status.in_(ACTIVE))
        overall = int(connection.execute(active).scalar_one())
        if overall >= limits.max_runs:
            raise Conflict(f"{overall} runs are going on, the most this server starts at "
                           "once", "wait for one to end, or raise serve --max-runs")
        mine = int(connection.execute(active.where(
            launches.c.requested_by == requested_by)).scalar_one())
        if mine >= limits.max_runs_per_user:
            raise Conflict(f"{requested_by} has {mine} runs going on, the most per user",
                           "wait for one to end, or raise serve --max-runs-per-user")
        new_id = items.add(
            connection, launches, test_id=test_id, version=version, locustfile_sha256=sha256,
            requested_by=requested_by, status="starting", run_id=None, pid=None,
            hostname=hostname, users=users, created_at=db_now(connection), ended_at=None,
            exit_code=None, stopped_by=None, message=None)
        return get_launch(connection, new_id)


def update_launch(engine: Engine, launch_id: int, **values: Any) -> Launch:
    with write_connection(engine) as connection:
        if values.get("status") == "ended" and "ended_at" not in values:
            values["ended_at"] = db_now(connection)
        connection.execute(update(launches).where(launches.c.id == launch_id).values(**values))
        return get_launch(connection, launch_id)


# -- permitted targets -------------------------------------------------------------------

def list_targets(connection: Connection) -> list[Target]:
    return [_target(row) for row in connection.execute(select(targets).order_by(
        targets.c.origin))]


def find_target(connection: Connection, origin: str) -> Target | None:
    return items.find(connection, targets, _target, targets.c.origin == origin)


def get_target(connection: Connection, target_id: int) -> Target:
    return items.get(connection, targets, _target, target_id, "target",
                     "see GET /api/targets")


def add_target(engine: Engine, origin: str, added_by: str) -> Target:
    with write_connection(engine) as connection:
        if find_target(connection, origin) is not None:
            raise Conflict(f"{origin} is already a target", "verify the one listed")
        new_id = items.add(connection, targets, origin=origin, token=secrets.token_hex(16),
                           added_by=added_by, created_at=db_now(connection),
                           verified_at=None)
        return get_target(connection, new_id)


def mark_verified(engine: Engine, target_id: int) -> Target:
    with write_connection(engine) as connection:
        connection.execute(update(targets).where(targets.c.id == target_id)
                           .values(verified_at=db_now(connection)))
        return get_target(connection, target_id)


def remove_target(engine: Engine, target_id: int) -> Target:
    return items.remove(engine, targets, target_id, get_target)


def check_origin(origin: str) -> str:
    if not origin or len(origin) > 255:
        raise BadInput("bad target", "e.g. https://shop.example.com")
    return origin
