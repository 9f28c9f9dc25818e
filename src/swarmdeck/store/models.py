"""The tables: runs, their raw intervals, the interval rollups, user-count samples and the
keys of the batches written (so that a batch written twice counts once).

Nothing is stored per request. A raw interval row holds one endpoint's measurements in one
region over one interval: counts, the HDR histogram of the successful requests in its
compressed form (which also carries the exact min/max), the exact min/max as columns,
failure reasons with counts as a JSON object, the failed requests' own histogram, and what
the responses' Server-Timing headers said (metrics/server_timing.py). Rollup rows have the same shape, keyed additionally by their level (see
``swarmdeck.store.rollups``). Changing a table here needs a new Alembic revision in
``migrations/versions``; a test fails while the two disagree.
"""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out on every backend (SQLite keeps naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # naive means UTC
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None,
                             dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    host: Mapped[str] = mapped_column(Text)
    locustfile: Mapped[str] = mapped_column(Text)
    locustfile_sha256: Mapped[str] = mapped_column(String(64))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    users: Mapped[int | None] = mapped_column(Integer)
    spawn_rate: Mapped[float | None] = mapped_column(Float)
    run_time_s: Mapped[float | None] = mapped_column(Float)
    shape: Mapped[str | None] = mapped_column(Text)
    interval_s: Mapped[float] = mapped_column(Float)
    swarmdeck_version: Mapped[str] = mapped_column(String(64))
    locust_version: Mapped[str] = mapped_column(String(64))
    python_version: Mapped[str] = mapped_column(String(64))
    git_commit: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pid: Mapped[int] = mapped_column(Integer)
    hostname: Mapped[str] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # bumped by every write of intervals; rollups are written only against the revision
    # they were computed from (see swarmdeck.store.rollups)
    revision: Mapped[int] = mapped_column(Integer)
    rolled_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # level 0 written
    # epoch s, a multiple of 60: the 10 s and 60 s rollups of every block starting before it
    # are written and exact (``Store.roll_forward`` during the run); None = none yet
    rolled_until: Mapped[int | None] = mapped_column(BigInteger)
    first_interval: Mapped[int | None] = mapped_column(BigInteger)
    last_interval: Mapped[int | None] = mapped_column(BigInteger)
    requests: Mapped[int] = mapped_column(BigInteger)  # exact, kept by add_intervals
    failures: Mapped[int] = mapped_column(BigInteger)
    p95_ms: Mapped[float | None] = mapped_column(Float)  # from the whole-run rollup


class _Measurements:
    """Columns shared by raw intervals and rollups."""

    requests: Mapped[int] = mapped_column(BigInteger)
    failures: Mapped[int] = mapped_column(BigInteger)
    bytes: Mapped[int] = mapped_column(BigInteger)
    # the successful requests' response times, LatencyHistogram.encode(); min_us and max_us
    # are its exact extremes
    histogram: Mapped[builtins.bytes] = mapped_column(LargeBinary)
    min_us: Mapped[int] = mapped_column(BigInteger)
    max_us: Mapped[int] = mapped_column(BigInteger)
    errors: Mapped[dict[str, int]] = mapped_column(JSON)  # failure reason -> count
    # the failed requests' response times; NULL without failures, and in rows written before
    # revision 0004, whose ``histogram`` holds every request (EndpointInterval.unsplit)
    failed_histogram: Mapped[builtins.bytes | None] = mapped_column(LargeBinary)
    # an open-model run's successful requests as Locust measured them (``histogram`` counts
    # from when each iteration was due); NULL in a closed-model run, where they are one
    service_histogram: Mapped[builtins.bytes | None] = mapped_column(LargeBinary)
    # what the successful responses' Server-Timing headers said (ServerTiming.encode());
    # NULL when none carried one, and in rows written before revision 0007
    server_timing: Mapped[builtins.bytes | None] = mapped_column(LargeBinary)


class Interval(_Measurements, Base):
    """One endpoint in one region over one interval, as measured (merged across workers)."""

    __tablename__ = "intervals"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch seconds
    method: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)


class Rollup(_Measurements, Base):
    """Intervals pre-merged per endpoint and region over a 10 s / 60 s block or the run."""

    __tablename__ = "rollups"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 10, 60; 0 = run
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # block start; 0 = run
    method: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)


class UserCount(Base):
    """The number of running users at one moment."""

    __tablename__ = "user_counts"
    __table_args__ = (Index("ix_user_counts_run_id_at", "run_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    at: Mapped[float] = mapped_column(Float)  # epoch seconds
    users: Mapped[int] = mapped_column(Integer)


class AppliedBatch(Base):
    """A batch of a run's writes (one flush, or the run's finish) already applied, by its
    idempotency key: a batch written again (a retry whose first answer was lost, a journal
    imported twice) is skipped, so it counts once (issue 13, ``swarmdeck.journal``)."""

    __tablename__ = "applied_batches"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<journal id>:<seq>"
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Iteration(Base):
    """An open-model run's iterations over one interval in one region: due, started (and
    their start lag, an HDR histogram of µs), dropped (merged across workers)."""

    __tablename__ = "iterations"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch seconds
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    scheduled: Mapped[int] = mapped_column(BigInteger)
    started: Mapped[int] = mapped_column(BigInteger)
    dropped: Mapped[int] = mapped_column(BigInteger)
    lag: Mapped[builtins.bytes] = mapped_column(LargeBinary)


runs = cast(Table, Run.__table__)
MAX_RUN_ID = 2**31 - 1  # the largest id runs.id holds (an INTEGER on PostgreSQL: 32 bits)
intervals = cast(Table, Interval.__table__)
rollups = cast(Table, Rollup.__table__)
user_counts = cast(Table, UserCount.__table__)
applied_batches = cast(Table, AppliedBatch.__table__)
iterations = cast(Table, Iteration.__table__)
