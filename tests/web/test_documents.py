"""The run page's data: the report's run_document, following a running run (whose rollups
are written as it goes) and kept while the run's stored state is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.store.factories import record_verdict
from tests.web.seeding import interval, seed_run

from swarmdeck.report.document import run_document
from swarmdeck.store import Store
from swarmdeck.web.documents import DocumentCache

ENDPOINTS = (("GET", "/"), ("GET", "/products"), ("POST", "/cart"))


def _numbers(document: dict[str, Any]) -> dict[str, Any]:
    """What a viewer reads, without what depends on the clock ('now' moves the rates of a
    running run and the generation time)."""
    def without_rates(summary: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in summary.items() if k != "rps"}

    return {"totals": without_rates(document["totals"]),
            "endpoints": [without_rates(e) for e in document["endpoints"]],
            "distributions": document["distributions"], "failures": document["failures"],
            "timeline": {k: v for k, v in document["timeline"].items() if k not in ("rps", "fps")},
            "series": {key: {m: line[m] for m in ("p50", "p95", "p99")}
                       for key, line in document["endpoint_timelines"]["series"].items()}}


def test_running_run_document_follows_new_intervals(tmp_path: Path) -> None:
    started = datetime.now(UTC) - timedelta(seconds=150)
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        run_id = seed_run(store, started_at=started, seconds=130, endpoints=ENDPOINTS,
                          status="running", failure_every=7, seed=3)
        cache = DocumentCache(store, min_rebuild_s=0, build_share=1e9)  # rebuild each time
        first = cache.document(run_id)
        assert first["header"]["status"] == "running"
        assert set(first["endpoint_timelines"]["series"]) == {
            "GET /", "GET /products", "POST /cart"}

        t0 = int(started.timestamp())
        store.add_intervals(run_id, [interval(t0 + 130 + s, name, [5000, 9000, 400_000],
                                              method=method, failures=1)
                                     for s in range(6) for method, name in ENDPOINTS])
        later = cache.document(run_id)
        assert later["totals"]["requests"] == first["totals"]["requests"] + 6 * 3 * 3
        assert later["totals"]["failures"] == first["totals"]["failures"] + 6 * 3
        assert later["totals"]["max_ms"] >= 400

        store.finish_run(run_id, "passed", datetime.now(UTC))
        final = cache.document(run_id)
        assert final["header"]["status"] == "passed"
        assert final["totals"]["requests"] == later["totals"]["requests"]


def test_rollups_written_during_the_run_change_no_number(tmp_path: Path) -> None:
    """The engine rolls the settled minutes up while the run goes on: the page reads those
    rollups from then on, and must show exactly what it showed from the raw intervals."""
    started = datetime.now(UTC) - timedelta(seconds=200)
    endpoints = [("GET", f"/item/{i}") for i in range(25)]
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        run_id = seed_run(store, started_at=started, seconds=190, endpoints=endpoints,
                          status="running", failure_every=5, per_second=2, seed=11)
        raw = run_document(store, run_id)
        assert raw["endpoint_timelines"]["step_s"] == 10  # a step the rollups serve
        store.roll_forward(run_id, settled_before=started.timestamp() + 170)
        assert store.get_run(run_id).rolled_until is not None
        rolled = DocumentCache(store).document(run_id)
        assert _numbers(rolled) == _numbers(raw)


def test_a_document_is_kept_until_the_run_changes(tmp_path: Path) -> None:
    started = datetime.now(UTC) - timedelta(seconds=60)
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        run_id = seed_run(store, started_at=started, seconds=30, endpoints=ENDPOINTS,
                          status="passed")
        cache = DocumentCache(store, keep=1)
        first = cache.document(run_id)
        assert cache.document(run_id) is first  # nothing changed: not built again
        assert first["thresholds"] == []

        failed = {"expr": "p95 < 1ms", "endpoint": None, "observed": 20.5,
                  "observed_text": "20.5 ms", "passed": False, "abort": False}
        record_verdict(store, run_id, {"thresholds": [failed]}, status="failed")
        judged = cache.document(run_id)
        assert judged["header"]["status"] == "failed"
        assert [t["passed"] for t in judged["thresholds"]] == [False]

        other = seed_run(store, started_at=started, seconds=10, endpoints=ENDPOINTS,
                         status="passed")
        cache.document(other)
        assert list(cache.entries) == [other]  # keeps only the last `keep` runs


def test_a_running_run_is_rebuilt_at_most_every_few_seconds(tmp_path: Path) -> None:
    started = datetime.now(UTC) - timedelta(seconds=60)
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        run_id = seed_run(store, started_at=started, seconds=40, endpoints=ENDPOINTS,
                          status="running")
        cache = DocumentCache(store, min_rebuild_s=3600)
        first = cache.document(run_id)
        t0 = int(started.timestamp())
        store.add_intervals(run_id, [interval(t0 + 40, "/", [5000], method="GET")])
        assert cache.document(run_id) is first  # new data, but rebuilt too recently

        store.finish_run(run_id, "passed", datetime.now(UTC))
        final = cache.document(run_id)  # the end is shown at once
        assert final["header"]["status"] == "passed"
        assert final["totals"]["requests"] == first["totals"]["requests"] + 1


def test_a_running_run_with_two_regions_shows_what_it_shows_once_finished(
        tmp_path: Path) -> None:
    """A running run's table and regions are gathered from its series read; a finished
    one's come from its whole-run rows: the same numbers."""
    started = datetime.now(UTC) - timedelta(seconds=100)
    t0 = int(started.timestamp())
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        run_id = seed_run(store, started_at=started, seconds=0, status="running")
        batch = []
        for s in range(90):
            for region, slow in (("eu-west", 1), ("us-east", 3)):
                for method, name in ENDPOINTS:
                    iv = interval(t0 + s, name, [4000 * slow, 9000 * slow], method=method,
                                  failures=s % 11 == 0)
                    iv.region = region
                    batch.append(iv)
        store.add_intervals(run_id, batch)
        running = run_document(store, run_id)
        assert set(running["regions"]) == {"eu-west", "us-east"}
        assert running["regions"]["us-east"]["p50_ms"] > running["regions"]["eu-west"]["p50_ms"]
        store.finish_run(run_id, "passed", started + timedelta(seconds=90))
        finished = run_document(store, run_id)

    def without_rates(summary: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in summary.items() if k != "rps"}

    assert _numbers(running) == _numbers(finished)
    assert {name: without_rates(s) for name, s in running["regions"].items()} == {
        name: without_rates(s) for name, s in finished["regions"].items()}
