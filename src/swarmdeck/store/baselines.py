"""Baselines: a name pointing at a run (``main``, ``release-2.3``), and resolving the run
references the CLI and ``--compare-to`` accept: a run id, ``last``, ``baseline:NAME``.

The table is declared here, on the models' metadata, next to the only code that uses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Engine, ForeignKey, String, Table, delete, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from swarmdeck.errors import BadInput
from swarmdeck.store import models
from swarmdeck.store.connect import write_connection
from swarmdeck.store.liveness import db_now
from swarmdeck.store.records import Baseline
from swarmdeck.store.writes import lock_run, not_found

_REF_HINT = ("give a run id (see `swarmdeck runs`), `last` (the newest finished run) or "
             "`baseline:NAME` (see `swarmdeck baseline list`)")
MAX_NAME = 200
# `last` is the newest run that ran to its end; crashed and aborted runs are partial
COMPLETED = ("degraded", "failed", "passed")


class BaselineRow(models.Base):
    __tablename__ = "baselines"

    name: Mapped[str] = mapped_column(String(MAX_NAME), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    set_at: Mapped[datetime] = mapped_column(models.UTCDateTime)


baselines = cast(Table, BaselineRow.__table__)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(c.isspace() for c in name):
        raise BadInput(f"bad baseline name {name!r}",
                       f"use a short name without spaces (at most {MAX_NAME} characters), "
                       "e.g. main or release-2.3")
    return name


def no_baseline(name: str) -> BadInput:
    return BadInput(f"no baseline {name!r}", f"set one with `swarmdeck baseline set {name} RUN`")


def set_baseline(engine: Engine, name: str, run_id: int) -> None:
    name = _check_name(name)
    with write_connection(engine) as connection:
        lock_run(connection, run_id)  # RunNotFound for an unknown run
        now = db_now(connection)
        connection.execute(delete(baselines).where(baselines.c.name == name))
        connection.execute(insert(baselines).values(name=name, run_id=run_id, set_at=now))


def get_baseline(connection: Connection, name: str) -> Baseline:
    row = connection.execute(select(baselines).where(baselines.c.name == name)).first()
    if row is None:
        raise no_baseline(name)
    return Baseline(row.name, int(row.run_id), row.set_at)


def list_baselines(connection: Connection) -> list[Baseline]:
    rows = connection.execute(select(baselines).order_by(baselines.c.name))
    return [Baseline(row.name, int(row.run_id), row.set_at) for row in rows]


def delete_baseline(engine: Engine, name: str) -> None:
    with write_connection(engine) as connection:
        result = connection.execute(delete(baselines).where(baselines.c.name == name))
        if result.rowcount == 0:
            raise no_baseline(name)


def resolve_ref(connection: Connection, ref: str, before: int | None) -> int:
    """The run id ``ref`` names; BadInput for a malformed or dangling reference."""
    text = str(ref).strip()
    if text.startswith("baseline:"):
        return get_baseline(connection, text.removeprefix("baseline:").strip()).run_id
    if text == "last":
        runs = models.runs
        query = select(runs.c.id).where(runs.c.status.in_(COMPLETED))
        if before is not None:
            query = query.where(runs.c.id < before)
        found = connection.execute(query.order_by(runs.c.id.desc()).limit(1)).scalar()
        if found is None:
            where = f" before run {before}" if before is not None else ""
            raise BadInput(f"no finished run{where} for `last`",
                           "run `swarmdeck run` first, or name a run id")
        return int(found)
    if text.isascii() and text.isdigit():
        run_id = int(text) if len(text) <= len(str(models.MAX_RUN_ID)) else 0
        if not 1 <= run_id <= models.MAX_RUN_ID:  # no such run; the database would refuse it
            raise not_found(text)
        exists = connection.execute(
            select(models.runs.c.id).where(models.runs.c.id == run_id)).scalar()
        if exists is None:
            raise not_found(run_id)
        return run_id
    raise BadInput(f"bad run reference {ref!r}", _REF_HINT)
