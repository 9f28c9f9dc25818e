"""``postgresql://USER@HOST/DB``: PostgreSQL's own statistics, once a second, over one
connection (psycopg, autocommit, short timeouts).

Series: ``pg.connections`` (client backends of the server, this monitor's own excluded),
``pg.db_connections`` (those of the spec's database), ``pg.active``, ``pg.idle_in_transaction``, ``pg.waiting`` (waiting on a lock),
``pg.max_connections``, and for the spec's database: ``pg.commits`` and ``pg.rollbacks``
(per second), ``pg.cache_hit`` (% of block reads served from shared buffers in the second),
``pg.deadlocks`` (per second), ``pg.temp_bytes`` (bytes/s written to temporary files).

With the pg_stat_statements extension installed in the database, ``finish`` gives the top
statements by total execution time *during the run*: the change since ``open``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from swarmdeck.monitors.sampler import Rates, Reading, SourceError, add_rate, one_line
from swarmdeck.monitors.spec import MonitorSpec
from swarmdeck.records.monitors import (
    BYTES,
    COUNT,
    PER_SECOND,
    PERCENT,
    TOP_QUERY_TEXT,
    TopQuery,
)

CONNECT_TIMEOUT_S = 3
STATEMENT_TIMEOUT_MS = 2000
TOP_QUERIES = 10

ACTIVITY = """
SELECT count(*),
       count(*) FILTER (WHERE state = 'active'),
       count(*) FILTER (WHERE state IN ('idle in transaction',
                                         'idle in transaction (aborted)')),
       count(*) FILTER (WHERE wait_event_type = 'Lock'),
       current_setting('max_connections')::int,
       count(*) FILTER (WHERE datname = current_database())
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
"""
DATABASE = """
SELECT xact_commit, xact_rollback, blks_hit, blks_read, deadlocks, temp_bytes
FROM pg_stat_database WHERE datname = current_database()
"""
STATEMENTS = """
SELECT queryid, left(query, %s), calls, total_exec_time, rows
FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database
                                      WHERE datname = current_database())
"""


class PostgresSampler:
    kind = "postgresql"

    def __init__(self, spec: MonitorSpec) -> None:
        self.spec = spec
        self._conn: Any = None
        self.rates = Rates()
        self._statements: Statements | None = None
        self._statements_read = False  # pg_stat_statements read once, at the first open
        self._hit_read: tuple[float, float] | None = None

    def _connect(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self.spec.url or "", autocommit=True,
                                   connect_timeout=CONNECT_TIMEOUT_S,
                                   application_name="swarmdeck-monitor",
                                   options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}")
        except psycopg.Error as exc:
            raise SourceError(_pg_error(exc)) from None
        return conn

    def open(self) -> None:
        if self._conn is not None:
            return
        self._conn = self._connect()
        self.rates.forget()
        self._hit_read = None
        if not self._statements_read:  # the run's start, once (a reconnect keeps it)
            self._statements_read = True
            self._statements = self._read_statements()

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        if self._conn is None:
            self.open()
        try:
            with self._conn.cursor() as cursor:
                cursor.execute(sql, params or None)
                return list(cursor.fetchall())
        except psycopg.Error as exc:
            self.close()
            raise SourceError(_pg_error(exc)) from None

    def _read_statements(self) -> Statements | None:
        installed = self._query(
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")
        if not installed:
            return None
        try:
            rows = self._query(STATEMENTS, (TOP_QUERY_TEXT,))
        except SourceError:  # installed but not preloaded: no statistics to read
            self._conn = self._connect()  # the failed query closed the connection
            return None
        return {int(r[0]): (str(r[1]), int(r[2]), float(r[3]), int(r[4]))
                for r in rows if r[0] is not None}

    def sample(self, at: int) -> list[Reading]:
        total, active, idle_tx, waiting, max_conn, mine = self._query(ACTIVITY)[0]
        out = [Reading("pg.connections", total, COUNT), Reading("pg.active", active, COUNT),
               Reading("pg.db_connections", mine, COUNT),
               Reading("pg.idle_in_transaction", idle_tx, COUNT),
               Reading("pg.waiting", waiting, COUNT),
               Reading("pg.max_connections", max_conn, COUNT)]
        rows = self._query(DATABASE)
        if rows:
            commits, rollbacks, hit, read, deadlocks, temp = (float(v or 0) for v in rows[0])
            add_rate(out, self.rates, "pg.commits", commits, PER_SECOND)
            add_rate(out, self.rates, "pg.rollbacks", rollbacks, PER_SECOND)
            add_rate(out, self.rates, "pg.deadlocks", deadlocks, PER_SECOND)
            add_rate(out, self.rates, "pg.temp_bytes", temp, BYTES + PER_SECOND)
            if self._hit_read is not None:
                d_hit, d_read = hit - self._hit_read[0], read - self._hit_read[1]
                if d_hit >= 0 and d_read >= 0 and d_hit + d_read > 0:
                    out.append(Reading("pg.cache_hit", 100 * d_hit / (d_hit + d_read),
                                       PERCENT))
            self._hit_read = (hit, read)
        return out

    def finish(self) -> tuple[TopQuery, ...]:
        """The statements that took the most time since ``open``, most first."""
        before = self._statements
        if before is None:
            return ()
        return top_statements(before, self._read_statements() or {})

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing what may be broken
                self._conn.close()
            self._conn = None


Statements = dict[int, tuple[str, int, float, int]]  # queryid -> (text, calls, ms, rows)


def top_statements(before: Statements, after: Statements,
                   top: int = TOP_QUERIES) -> tuple[TopQuery, ...]:
    """The ``top`` statements by total time between two reads of pg_stat_statements (a
    statement new since ``before`` counts whole; one reset, with fewer calls, is left out)."""
    changes = []
    for queryid, (text, calls, total_ms, rows) in after.items():
        was = before.get(queryid, (text, 0, 0.0, 0))
        d_calls, d_ms, d_rows = calls - was[1], total_ms - was[2], rows - was[3]
        if d_calls > 0 and d_ms > 0:
            changes.append(TopQuery(" ".join(text.split()), d_calls, round(d_ms, 3),
                                    round(d_ms / d_calls, 3), max(d_rows, 0)))
    changes.sort(key=lambda q: -q.total_ms)
    return tuple(changes[:top])


def _pg_error(exc: BaseException) -> str:
    """psycopg's message, one line (it never holds the password)."""
    return "PostgreSQL: " + one_line(exc).split(": ", 1)[-1]
