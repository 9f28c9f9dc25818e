"""Baselines (named runs) and run references, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import create_engine, insert

from swarmdeck.errors import BadInput, RunNotFound
from swarmdeck.store import Baseline, Store, connect, models
from swarmdeck.store.records import RunMeta

from .factories import make_meta

ENDED = datetime(2024, 5, 1, 12, 5, tzinfo=UTC)


def finished_run(store: Store, status: str = "passed") -> int:
    run_id = store.create_run(make_meta())
    store.finish_run(run_id, status, ENDED)
    return run_id


def test_set_get_list_and_replace(store: Store) -> None:
    first, second = finished_run(store), finished_run(store)
    store.set_baseline("main", first)
    store.set_baseline("release-2.3", second)
    baseline = store.get_baseline("main")
    assert isinstance(baseline, Baseline)
    assert (baseline.name, baseline.run_id) == ("main", first)
    assert baseline.set_at.tzinfo is not None
    store.set_baseline("main", second)  # replaces
    assert store.get_baseline("main").run_id == second
    assert [(b.name, b.run_id) for b in store.list_baselines()] == [
        ("main", second), ("release-2.3", second)]


def test_missing_baseline_says_how_to_set_one(store: Store) -> None:
    with pytest.raises(BadInput) as info:
        store.get_baseline("nope")
    assert str(info.value) == ("no baseline 'nope' (set one with "
                               "`swarmdeck baseline set nope RUN`)")
    with pytest.raises(BadInput, match="no baseline 'nope'"):
        store.delete_baseline("nope")
    with pytest.raises(BadInput, match="no baseline 'nope'"):
        store.resolve_ref("baseline:nope")


def test_unknown_run_and_bad_name(store: Store) -> None:
    with pytest.raises(RunNotFound, match="no run 99"):
        store.set_baseline("main", 99)
    run_id = finished_run(store)
    with pytest.raises(BadInput, match="bad baseline name"):
        store.set_baseline("two words", run_id)
    assert store.list_baselines() == []


def test_delete(store: Store) -> None:
    run_id = finished_run(store)
    store.set_baseline("main", run_id)
    store.delete_baseline("main")
    assert store.list_baselines() == []
    assert store.get_run(run_id).id == run_id  # the run stays


def test_resolve_refs(store: Store) -> None:
    old = finished_run(store)
    crashed = finished_run(store, "crashed")
    newest = finished_run(store, "failed")
    running = store.create_run(make_meta())
    store.set_baseline("main", old)
    assert store.resolve_ref(str(crashed)) == crashed
    assert store.resolve_ref("last") == newest  # crashed and running runs are skipped
    assert store.resolve_ref("last", before=newest) == old
    assert store.resolve_ref("last", before=running) == newest
    assert store.resolve_ref("baseline:main") == old
    with pytest.raises(BadInput, match="no finished run before run 1"):
        store.resolve_ref("last", before=old)
    with pytest.raises(RunNotFound, match="no run 999"):
        store.resolve_ref("999")
    with pytest.raises(BadInput, match="bad run reference 'yesterday'"):
        store.resolve_ref("yesterday")


def test_migrating_a_0001_database_keeps_its_runs(store_url: str) -> None:
    engine = create_engine(store_url)
    config = connect._alembic_config()
    meta: RunMeta = make_meta()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
            values = {**meta.__dict__, "status": "passed", "revision": 0, "requests": 0,
                      "failures": 0, "heartbeat_at": meta.started_at, "ended_at": ENDED}
            connection.execute(insert(models.runs).values(**values))
    finally:
        engine.dispose()
    with Store.open(store_url) as store:
        assert store.resolve_ref("last") == 1
        store.set_baseline("main", 1)
        assert store.get_baseline("main").run_id == 1


@pytest.mark.parametrize("ref", ["3000000000", "4294967296", "9" * 40, "0"])
def test_a_run_id_no_column_can_hold_is_no_run_on_either_backend(store: Store,
                                                                   ref: str) -> None:
    """PostgreSQL's runs.id is 32 bits: a larger id is a run that cannot exist ("no run
    N", exit 2), not a database error (exit 3); the same on SQLite."""
    with pytest.raises(RunNotFound, match=f"no run {ref} "):
        store.resolve_ref(ref)
    if len(ref) < 20:
        with pytest.raises(RunNotFound, match=f"no run {int(ref)} "):
            store.get_run(int(ref))
