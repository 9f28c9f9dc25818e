"""The live document of a running run: the same numbers as the report's run_document,
kept up to date by reading only what is new, and handed back to run_document at the end."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.web.seeding import interval, seed_run

from swarmdeck.report.document import run_document
from swarmdeck.store import Store
from swarmdeck.web.live import LiveCache

ENDPOINTS = (("GET", "/"), ("GET", "/products"), ("POST", "/cart"))


def _same_data(live: dict[str, Any], full: dict[str, Any]) -> None:
    def without_rates(summary: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in summary.items() if k != "rps"}  # 'now' moved in between

    assert without_rates(live["totals"]) == without_rates(full["totals"])
    assert [without_rates(e) for e in live["endpoints"]] == [
        without_rates(e) for e in full["endpoints"]]
    assert live["distributions"] == full["distributions"]
    assert live["failures"] == full["failures"]
    for name in ("timeline", "endpoint_timelines"):
        assert live[name]["step_s"] == full[name]["step_s"]
        assert live[name]["t"] == full[name]["t"]
    for key in ("users", "p50", "p95", "p99"):
        assert live["timeline"][key] == full["timeline"][key], key
    assert live["endpoint_timelines"]["series"].keys() == full["endpoint_timelines"][
        "series"].keys()
    for key, line in full["endpoint_timelines"]["series"].items():
        for metric in ("p50", "p95", "p99"):
            assert live["endpoint_timelines"]["series"][key][metric] == line[metric]
    assert live["header"]["status"] == full["header"]["status"] == "running"


def test_live_document_follows_a_running_run(tmp_path: Path) -> None:
    started = datetime.now(UTC) - timedelta(seconds=120)
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        run_id = seed_run(store, started_at=started, seconds=100, endpoints=ENDPOINTS,
                          status="running", failure_every=7, seed=3)
        cache = LiveCache(store)
        first = cache.document(run_id)
        _same_data(first, run_document(store, run_id))
        assert first["live"]["settled_until"] is not None  # most of it is folded in

        t0 = int(started.timestamp())
        store.add_intervals(run_id, [interval(t0 + 100 + s, name, [5000, 9000, 400_000],
                                              method=method, failures=1)
                                     for s in range(6) for method, name in ENDPOINTS])
        store.heartbeat(run_id)
        later = cache.document(run_id)
        assert later["totals"]["requests"] == first["totals"]["requests"] + 6 * 3 * 3
        _same_data(later, run_document(store, run_id))
        assert later["live"]["settled_until"] > first["live"]["settled_until"]

        store.finish_run(run_id, "passed", datetime.now(UTC))
        final = cache.document(run_id)
        assert "live" not in final and final["header"]["status"] == "passed"
        assert cache.runs == {}


def test_live_poll_is_cheap_once_warm(tmp_path: Path) -> None:
    started = datetime.now(UTC) - timedelta(seconds=600)
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        run_id = seed_run(store, started_at=started, seconds=590, endpoints=ENDPOINTS,
                          status="running", per_second=3)
        cache = LiveCache(store)
        began = time.perf_counter()
        cache.document(run_id)
        cold = time.perf_counter() - began
        began = time.perf_counter()
        cache.document(run_id)
        warm = time.perf_counter() - began
    assert warm < cold / 3, (warm, cold)
