"""Batches under an idempotency key, on both backends: written twice, they count once; the
finish under its key too; a late batch after the finish keeps the rollups exact."""

from __future__ import annotations

from datetime import UTC, datetime

from swarmdeck.metrics import EndpointKey
from swarmdeck.records import RunDetails, RunStatus
from swarmdeck.store import Batch, Store

from .factories import make_interval, make_meta

T0 = 1_700_000_000


def batch(key: str | None, second: int, samples: list[int]) -> Batch:
    return Batch(key, (make_interval(T0 + second, samples=samples),), ((T0 + second, 2),))


def test_batches_written_twice_count_once(store: Store) -> None:
    run_id = store.create_run(make_meta())
    first = batch("j:1", 0, [1000, 2000])
    assert store.apply_batches(run_id, [first, batch("j:2", 1, [3000])]) == [True, True]
    assert store.apply_batches(run_id, [batch("j:2", 1, [3000]), first]) == [False, False]
    assert store.apply_batches(run_id, [batch(None, 2, [4000])]) == [True]  # no key: always
    run = store.get_run(run_id)
    assert (run.requests, run.first_interval, run.last_interval) == (4, T0, T0 + 2)
    assert store.endpoint_data(run_id)[EndpointKey("GET", "/a")].histogram.max_us == 4000
    assert len(store.user_counts(run_id)) == 3


def test_a_finish_under_its_key_is_recorded_once(store: Store) -> None:
    run_id = store.create_run(make_meta())
    store.apply_batches(run_id, [batch("j:1", 0, [1000])])
    ended = datetime(2024, 5, 1, 12, 1, tzinfo=UTC)
    assert store.finish_run(run_id, RunStatus.DEGRADED, ended, "away", RunDetails(),
                            key="j:finish")
    store.record_verdict(run_id, status=RunStatus.DEGRADED, message="judged")
    later = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
    assert not store.finish_run(run_id, RunStatus.PASSED, later, None, RunDetails(),
                                key="j:finish")
    run = store.get_run(run_id)
    assert (run.status, run.ended_at, run.message) == (RunStatus.DEGRADED, ended, "judged")


def test_a_batch_arriving_after_the_finish_keeps_the_whole_run_exact(store: Store) -> None:
    """An import after the run was marked crashed (and rolled up) by another process."""
    run_id = store.create_run(make_meta())
    store.apply_batches(run_id, [batch("j:1", 0, [1000])])
    store.finish_run(run_id, RunStatus.CRASHED, datetime.now(UTC))
    store.apply_batches(run_id, [batch("j:2", 70, [9000, 9000, 9000])])
    run = store.get_run(run_id)
    assert run.requests == 4 and run.p95_ms is not None and run.p95_ms >= 8.9
    whole = store.endpoint_data(run_id)[EndpointKey("GET", "/a")]
    assert whole.requests == 4 and whole.histogram.max_us == 9000
