"""Store.series: per endpoint, one exactly merged interval per step, from raw intervals or
rollups alike."""

from __future__ import annotations

from datetime import UTC, datetime

from swarmdeck.store import Store
from tests.store.factories import make_interval, make_meta

T0 = 1_714_564_800  # a multiple of 60


def _run(store: Store, finish: bool) -> int:
    run_id = store.create_run(make_meta())
    intervals = [make_interval(T0 + s, "/a", [1000 + s, 2000], region=r)
                 for s in range(25) for r in ("eu", "us")]
    intervals += [make_interval(T0 + 12, "/b", [5000])]
    store.add_intervals(run_id, intervals)
    if finish:
        store.finish_run(run_id, "passed", datetime.now(UTC))
    return run_id


def test_series_merges_steps_and_regions(tmp_path):  # noqa: ANN001
    for finish in (False, True):
        with Store.open(f"sqlite:///{tmp_path}/s{finish}.db") as store:
            run_id = _run(store, finish)
            series = store.series(run_id, 10)
            a = [k for k in series if k.name == "/a"][0]
            assert [i.start for i in series[a]] == [T0, T0 + 10, T0 + 20]
            assert [i.requests for i in series[a]] == [40, 40, 20]
            assert series[a][0].histogram.min_us == 1000  # 1000 + s, s in 0..9
            assert series[a][2].histogram.min_us == 1020
            b = [k for k in series if k.name == "/b"][0]
            assert [(i.start, i.requests) for i in series[b]] == [(T0 + 10, 1)]
            eu = store.series(run_id, 1, region="eu")
            assert [i.requests for i in eu[a]] == [2] * 25
            assert all(i.region == "eu" for i in eu[a])
