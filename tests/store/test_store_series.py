"""Store.series and Store.iter_series: per endpoint, one exactly merged interval per step,
from raw intervals or rollups alike, streamed in time order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.store.factories import make_interval, make_meta

from swarmdeck.metrics import EndpointKey
from swarmdeck.store import Store

T0 = 1_714_564_800  # a multiple of 60
A, B = EndpointKey("GET", "/a"), EndpointKey("GET", "/b")


def _run(store: Store, finish: bool) -> int:
    run_id = store.create_run(make_meta())
    intervals = [make_interval(T0 + s, "/a", [1000 + s, 2000], region=r)
                 for s in range(25) for r in ("eu", "us")]
    intervals += [make_interval(T0 + 12, "/b", [5000])]
    store.add_intervals(run_id, intervals)
    if finish:
        store.finish_run(run_id, "passed", datetime.now(UTC))
    return run_id


@pytest.mark.parametrize("finish", [False, True], ids=["raw", "rollups"])
def test_series_merges_steps_and_regions(store: Store, finish: bool) -> None:
    run_id = _run(store, finish)
    series = store.series(run_id, 10)
    assert set(series) == {A, B}
    assert [i.start for i in series[A]] == [T0, T0 + 10, T0 + 20]
    assert [i.requests for i in series[A]] == [40, 40, 20]
    assert series[A][0].histogram.min_us == 1000  # 1000 + s, s in 0..9
    assert series[A][2].histogram.min_us == 1020
    assert [(i.start, i.requests) for i in series[B]] == [(T0 + 10, 1)]
    eu = store.series(run_id, 1, region="eu")
    assert [i.requests for i in eu[A]] == [2] * 25
    assert all(i.region == "eu" for i in eu[A])


def test_iter_series_streams_in_time_order(store: Store) -> None:
    run_id = _run(store, True)
    streamed = [(i.start, i.name, i.requests) for i in store.iter_series(run_id, 10)]
    assert streamed == [(T0, "/a", 40), (T0 + 10, "/a", 40), (T0 + 10, "/b", 1),
                        (T0 + 20, "/a", 20)]
    with pytest.raises(ValueError, match="whole number"):
        store.iter_series(run_id, 0)


@pytest.mark.parametrize("finish", [False, True], ids=["raw", "rollups"])
def test_iter_series_by_region_keeps_each_region(store: Store, finish: bool) -> None:
    run_id = _run(store, finish)
    streamed = [(i.start, i.name, i.region, i.requests)
                for i in store.iter_series(run_id, 10, by_region=True)]
    assert streamed == [(T0, "/a", "eu", 20), (T0, "/a", "us", 20),
                        (T0 + 10, "/a", "eu", 20), (T0 + 10, "/a", "us", 20),
                        (T0 + 10, "/b", "local", 1),
                        (T0 + 20, "/a", "eu", 10), (T0 + 20, "/a", "us", 10)]


@pytest.mark.parametrize("finish", [False, True], ids=["running", "finished"])
def test_endpoint_keys(store: Store, finish: bool) -> None:
    assert store.endpoint_keys(_run(store, finish)) == {A, B}
    assert store.endpoint_keys(store.create_run(make_meta())) == set()
