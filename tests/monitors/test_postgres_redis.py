"""PostgreSQL and Redis monitors against the machine's servers: connections held open are
seen, a lock wait is seen as waiting, Redis commands are counted."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from swarmdeck.monitors.postgres import top_statements
from swarmdeck.monitors.runner import MonitorSet
from swarmdeck.monitors.spec import parse_spec
from swarmdeck.records.monitors import Batch


def sample(monitors: MonitorSet, at: int) -> dict[str, float]:
    batch = monitors.sample_once(0, at)
    assert batch.error is None, batch.error
    return {r.name: r.value for r in batch.readings}


@pytest.mark.postgres
def test_postgres_sees_held_connections_and_a_lock_wait(postgres_url: str) -> None:
    libpq = postgres_url.replace("+psycopg", "")
    monitors = MonitorSet([parse_spec(postgres_url)], lambda b: None)
    assert monitors.open_all() == [None]
    try:
        first = sample(monitors, 1)
        assert first["pg.db_connections"] == 0 and first["pg.max_connections"] >= 1
        held = [psycopg.connect(libpq, autocommit=True) for _ in range(4)]
        try:
            held[0].execute("CREATE TABLE IF NOT EXISTS t (x int)")
            locker = psycopg.connect(libpq)
            locker.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")  # held: no commit yet
            waiter = threading.Thread(target=lambda: held[1].execute("SELECT * FROM t"))
            waiter.start()
            time.sleep(0.5)
            seen = sample(monitors, 2)
            assert seen["pg.db_connections"] == 5
            assert seen["pg.waiting"] >= 1
            assert seen["pg.idle_in_transaction"] >= 1  # the locker, between statements
            assert "pg.commits" in seen  # a rate: the second sample has one
            locker.rollback()
            waiter.join(timeout=5)
            locker.close()
        finally:
            for conn in held:
                conn.close()
    finally:
        monitors.stop()


@pytest.mark.postgres
def test_pg_stat_statements_installed_but_not_preloaded_is_no_error(postgres_url: str) -> None:
    libpq = postgres_url.replace("+psycopg", "")
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    monitors = MonitorSet([parse_spec(postgres_url)], lambda b: None)
    assert monitors.open_all() == [None]
    assert "pg.connections" in sample(monitors, 1)
    assert monitors.stop() == [()]  # no statistics to read: no top statements


def test_top_statements_are_the_change_during_the_run() -> None:
    before = {1: ("SELECT $1", 10, 100.0, 10), 2: ("UPDATE t  SET x = $1", 5, 50.0, 5)}
    after = {1: ("SELECT $1", 110, 300.0, 110), 2: ("UPDATE t  SET x = $1", 5, 50.0, 5),
             3: ("INSERT INTO t VALUES ($1)", 4, 400.0, 4)}
    top = top_statements(before, after)
    assert [(q.query, q.calls, q.total_ms, q.mean_ms) for q in top] == [
        ("INSERT INTO t VALUES ($1)", 4, 400.0, 100.0), ("SELECT $1", 100, 200.0, 2.0)]
    assert top_statements(before, after, top=1)[0].calls == 4


@pytest.mark.postgres
def test_an_unreachable_postgres_is_one_line_without_the_password() -> None:
    monitors = MonitorSet([parse_spec("postgresql://u:s3cret@127.0.0.1:1/none")],
                          lambda b: None)
    (error,) = monitors.open_all()
    assert error is not None and error.startswith("PostgreSQL:") and "s3cret" not in error
    assert "\n" not in error


@pytest.mark.redis
def test_redis_counts_commands_and_clients(redis_url: str) -> None:
    import redis

    batches: list[Batch] = []
    monitors = MonitorSet([parse_spec(redis_url)], batches.append)
    assert monitors.open_all() == [None]
    client = redis.Redis.from_url(redis_url)
    try:
        sample(monitors, 1)
        for i in range(200):
            client.set(f"swarmdeck-monitor-test:{i}", i)
            client.get(f"swarmdeck-monitor-test:{i}")
        seen = sample(monitors, 2)
        assert seen["redis.ops"] > 100  # per second since the last sample
        assert seen["redis.clients"] >= 2
        assert seen["redis.memory"] > 0
        assert seen["redis.hit_ratio"] > 0
    finally:
        client.delete(*[f"swarmdeck-monitor-test:{i}" for i in range(200)])
        client.close()
        monitors.stop()
