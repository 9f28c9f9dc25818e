"""Thresholds evaluated on a stored run (never on live state)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.plan import Plan, resolve
from swarmdeck.records.codec import threshold_to_json
from swarmdeck.store import RunMeta, Store
from swarmdeck.verdict.thresholds import evaluate_run

T0 = 1_714_564_800  # 2024-05-01T12:00:00Z


def make_meta() -> RunMeta:
    return RunMeta(host="http://127.0.0.1:1", locustfile="l.py", locustfile_sha256="0" * 64,
                   plan={}, tags={}, users=1, spawn_rate=1.0, run_time_s=20.0, shape=None,
                   swarmdeck_version="t", locust_version="t", python_version="t",
                   git_commit=None, started_at=datetime.fromtimestamp(T0, UTC),
                   pid=1, hostname="test")


def make_interval(start: int, name: str, samples: list[int], method: str = "GET",
                  failures: int = 0) -> EndpointInterval:
    histogram = LatencyHistogram()
    for value in samples:
        histogram.record(value)
    return EndpointInterval(start=start, method=method, name=name, requests=len(samples),
                            failures=failures, histogram=histogram)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


@pytest.fixture
def stored_run(store: Store) -> int:
    meta = make_meta()
    run_id = store.create_run(meta)
    intervals = []
    for second in range(20):
        slow = 10 <= second < 13
        intervals.append(make_interval(T0 + second, "/api/products",
                                       [900_000 if slow else 20_000] * 5))
        intervals.append(make_interval(T0 + second, "/login", [5_000] * 5, method="POST",
                                       failures=1 if second == 0 else 0))
    store.add_intervals(run_id, intervals)
    store.finish_run(run_id, "passed", meta.started_at + timedelta(seconds=20))
    return run_id


@pytest.fixture
def plan_with(tmp_path: Path) -> Callable[..., Plan]:
    def make(*thresholds: str) -> Plan:
        return resolve({"thresholds": list(thresholds)}, {}, tmp_path)
    return make


def test_results_have_the_shared_shape(store: Store, stored_run: int,
                                       plan_with: Callable[..., Plan]) -> None:
    plan = plan_with("p95 < 1s", "POST /login: error_rate < 1% abort", "rps >= 10")
    results = evaluate_run(store, store.get_run(stored_run), plan)
    first = threshold_to_json(results[0])
    assert first == {"expr": "p95 < 1000ms", "endpoint": None,
                     "observed": pytest.approx(900.095, abs=1),
                     "observed_text": first["observed_text"], "passed": True, "abort": False}
    assert results[1].endpoint == "POST /login" and results[1].abort is True
    assert results[1].observed == pytest.approx(0.01) and results[1].passed is False
    assert results[1].observed_text == "1%"
    assert results[2].observed == pytest.approx(200 / 20) and results[2].passed is True


def test_windowed_threshold_finds_the_slow_stretch(store: Store, stored_run: int,
                                                   plan_with: Callable[..., Plan]) -> None:
    plan = plan_with("/api/products: p50[3s] < 500ms", "/api/products: p50 < 500ms")
    windowed, whole = evaluate_run(store, store.get_run(stored_run), plan)
    assert windowed.passed is False and (windowed.observed or 0) > 800
    assert whole.passed is True and (whole.observed or 0) < 25


def test_an_endpoint_without_requests_fails_and_says_so(store: Store, stored_run: int,
                                                        plan_with: Callable[..., Plan]) -> None:
    plan = plan_with("/api/prodcts: p95 < 1s", "GET /login: p95 < 1s")
    results = evaluate_run(store, store.get_run(stored_run), plan)
    assert [(r.passed, r.observed, r.observed_text) for r in results] == [
        (False, None, "no requests to /api/prodcts"), (False, None, "no requests to GET /login")]


def test_no_thresholds_no_results(store: Store, stored_run: int, tmp_path: Path) -> None:
    plan = replace(resolve({}, {}, tmp_path), thresholds=())
    assert evaluate_run(store, store.get_run(stored_run), plan) == []


def test_latency_thresholds_read_the_successes_and_failed_ones_the_failures(
        store: Store, plan_with: Callable[..., Plan]) -> None:
    """90 fast successes and 10 timeouts at 30 s, and an endpoint whose requests all
    failed, as the recorder stores them."""
    meta = make_meta()
    run_id = store.create_run(meta)
    intervals = []
    for second in range(10):
        timeouts, refused = LatencyHistogram(), LatencyHistogram()
        timeouts.record(30_000_000)
        refused.record(1_000)
        ok = make_interval(T0 + second, "/fast", [10_000] * 9)
        ok.requests, ok.failures, ok.failed_histogram = 10, 1, timeouts
        down = make_interval(T0 + second, "/down", [])
        down.requests, down.failures, down.failed_histogram = 1, 1, refused
        intervals += [ok, down]
    store.add_intervals(run_id, intervals)
    store.finish_run(run_id, "passed", meta.started_at + timedelta(seconds=10))
    plan = plan_with("/fast: p95 < 100ms", "/fast: failed.p95 < 1s",
                     "/fast: failed.p95[3s] < 1s", "/down: p95 < 100ms",
                     "/down: p95[3s] < 100ms", "/down: failed.max < 5ms")
    results = evaluate_run(store, store.get_run(run_id), plan)
    assert [(r.passed, r.observed, r.observed_text) for r in results] == [
        (True, 10.0, "10 ms"), (False, 30_000.0, "30000 ms"), (False, 30_000.0, "30000 ms"),
        (False, None, "no successful requests"), (False, None, "no successful requests"),
        (True, 1.0, "1 ms")]
