"""Crash detection: a run still ``running`` whose writer stopped answering.

A run's writer sends a heartbeat (``Store.heartbeat``, and every ``add_intervals``). A
``running`` run is taken as crashed when its last heartbeat is older than
``STALE_AFTER_S``, or when it was started on this host by a process that no longer exists.

Heartbeats are stamped, and their age judged, by one clock: PostgreSQL's when the store is
on a server (so that a laptop whose clock is off never declares a healthy run dead), this
machine's for SQLite (a local file).
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

from sqlalchemy import Connection, text

STALE_AFTER_S = 30.0


def db_now(connection: Connection) -> datetime:
    """Now, by the database server's clock where there is one; timezone-aware UTC."""
    if connection.dialect.name == "postgresql":
        now: datetime = connection.execute(text("SELECT statement_timestamp()")).scalar_one()
        return now.astimezone(UTC)
    return datetime.now(UTC)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def this_host() -> str:
    return socket.gethostname()


def crash_message(*, heartbeat_at: datetime, pid: int, hostname: str, now: datetime,
                  host: str, stale_after_s: float = STALE_AFTER_S) -> str | None:
    """Why a running run is taken as crashed, or None while it looks alive."""
    age = (now - heartbeat_at).total_seconds()
    seen = f"{heartbeat_at:%Y-%m-%d %H:%M:%S} UTC"
    if age > stale_after_s:
        return (f"crashed: no heartbeat since {seen} ({age:.0f} s before the check); "
                f"process {pid} on {hostname} stopped reporting")
    if hostname == host and not pid_alive(pid):
        return f"crashed: process {pid} on {hostname} is gone; last seen {seen}"
    return None
