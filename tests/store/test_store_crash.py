"""A run whose writer died is marked crashed when the store is next opened, data kept."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from swarmdeck.metrics import EndpointKey
from swarmdeck.store import STALE_AFTER_S, Store

from .factories import assert_same, brute_force, make_interval, make_meta


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_without_heartbeat_is_marked_crashed_on_open(store_url: str) -> None:
    intervals = [make_interval(1000 + s, "/a", [1000 * (s + 1)]) for s in range(25)]
    last_seen = datetime.now(UTC) - timedelta(seconds=STALE_AFTER_S + 30)
    with Store.open(store_url) as store:
        run_id = store.create_run(make_meta(hostname="another-machine", pid=4242))
        store.add_intervals(run_id, intervals)
        store.heartbeat(run_id, at=last_seen)

    with Store.open(store_url) as store:  # opening the store finds the dead run
        record = store.get_run(run_id)
        assert record.status == "crashed"
        assert record.ended_at == last_seen
        assert f"{last_seen:%Y-%m-%d %H:%M:%S} UTC" in (record.message or "")
        assert "4242" in (record.message or "")
        assert record.rolled_up
        assert_same(store.endpoint_data(run_id), brute_force(intervals))
        assert_same(store.endpoint_data(run_id, 1005, 1015), brute_force(intervals, 1005, 1015))
        assert store.mark_stale_runs_crashed() == []  # once only


def test_a_run_whose_process_is_gone_is_marked_crashed(store: Store) -> None:
    run_id = store.create_run(make_meta(pid=_dead_pid()))  # this host, fresh heartbeat
    store.add_intervals(run_id, [make_interval(1000, "/a", [1500, 2500])])

    assert store.mark_stale_runs_crashed() == [run_id]
    record = store.get_run(run_id)
    assert record.status == "crashed"
    assert "is gone" in (record.message or "")
    assert record.requests == 2
    assert store.endpoint_data(run_id)[EndpointKey("GET", "/a")].requests == 2


def test_live_runs_are_left_running(store: Store) -> None:
    here = store.create_run(make_meta(pid=os.getpid()))
    elsewhere = store.create_run(make_meta(hostname="another-machine", pid=_dead_pid()))
    assert store.mark_stale_runs_crashed() == []
    assert store.get_run(here).status == "running"
    assert store.get_run(elsewhere).status == "running"
    finished = store.create_run(make_meta(pid=_dead_pid()))
    store.finish_run(finished, "passed", datetime.now(UTC))
    assert store.mark_stale_runs_crashed() == []
    assert store.get_run(finished).status == "passed"
