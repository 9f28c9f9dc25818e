"""The report's data document, from runs written through the store API."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.report.runs import (
    FINDINGS,
    HOSTILE_REASON,
    HOSTILE_TAG,
    IMG_NAME,
    OUTAGE,
    SCRIPT_NAME,
    T0,
    THRESHOLDS,
    make_run,
)

from swarmdeck.metrics import LatencyHistogram
from swarmdeck.report.document import (
    choose_step,
    compare_document,
    distribution,
    percentiles,
    run_document,
)
from swarmdeck.report.model import load_report
from swarmdeck.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


def test_header_and_totals_match_the_stored_run(store: Store) -> None:
    run_id = make_run(store, seconds=60)
    doc = run_document(store, run_id)
    report = load_report(store, run_id)
    header = doc["header"]
    assert (header["run_id"], header["status"], header["host"]) == (
        run_id, "passed", "http://127.0.0.1:5000")
    assert header["tags"] == {"branch": "main"}
    assert header["shape"] == "step" and header["git_commit"] == "deadbeef"
    assert header["versions"] == {"swarmdeck": "0.1.0", "locust": "2.31.0",
                                  "python": "3.11.9"}
    assert header["duration_s"] == 60.0
    assert "db_url" not in header["plan"] and header["plan"]["users"] == 10
    assert doc["totals"]["requests"] == report.totals.requests > 0
    assert doc["totals"]["p95_ms"] == pytest.approx(report.totals.p95_ms, rel=1e-3)
    rows = {row["key"]: row for row in doc["endpoints"]}
    assert set(rows) == {"GET /a", "POST /b"}
    assert rows["POST /b"]["failures"] == 6  # one a 10 s
    assert rows["POST /b"]["failure_pct"] == pytest.approx(
        100 * 6 / rows["POST /b"]["requests"], rel=1e-3)
    json.dumps(doc, allow_nan=False)  # JSON-able as it is


def test_timelines_cover_the_run_at_one_second_with_users(store: Store) -> None:
    run_id = make_run(store, seconds=60)
    doc = run_document(store, run_id)
    line = doc["timeline"]
    assert line["step_s"] == 1 and len(line["t"]) == 60
    assert line["t"][0] == 0 and line["t"][-1] == 59
    assert line["users"][0] == 1 and line["users"][-1] == 10
    requests = sum(line["rps"])  # 1 s steps: requests/s adds up to the requests
    assert requests == pytest.approx(doc["totals"]["requests"], rel=0.01)
    per = doc["endpoint_timelines"]
    assert per["t"] == line["t"]
    a = per["series"]["GET /a"]
    assert len(a["p95"]) == 60 and all(v is not None for v in a["p95"])
    # /a's latency doubles halfway: the chart shows it
    first, second = sorted(a["p50"][:30])[15], sorted(a["p50"][30:])[15]
    assert 1.6 < second / first < 2.5
    assert sum(per["series"]["POST /b"]["fps"]) == 6


def test_long_runs_use_rollup_steps_and_bounded_points(store: Store) -> None:
    assert choose_step(60) == 1
    assert choose_step(3600) == 10  # 360 points
    assert choose_step(3600, endpoints=30) == 60  # 30 x 60 points: bounded work
    assert choose_step(8 * 3600) == 300
    run_id = make_run(store, seconds=900, shape=False)
    doc = run_document(store, run_id)
    assert doc["timeline"]["step_s"] == 10 and len(doc["timeline"]["t"]) == 90
    doc = run_document(store, run_id, endpoint_point_budget=100)
    assert doc["timeline"]["step_s"] == 60  # 2 endpoints x 15 points <= 100
    assert len(doc["timeline"]["t"]) == len(doc["endpoint_timelines"]["t"]) == 15
    assert doc["timeline"]["rps"][5] == pytest.approx(doc["totals"]["rps"], rel=0.25)
    assert doc["timeline"]["users"][5] == 10


def test_percentiles_equal_the_histograms_own() -> None:
    rng = random.Random(3)
    for _ in range(50):
        histogram = LatencyHistogram()
        for _ in range(rng.randint(1, 300)):
            histogram.record(int(rng.lognormvariate(rng.uniform(5, 12), rng.uniform(0.1, 2))))
        ps = [1, 50, 90, 95, 99, 99.9, 100]
        assert percentiles(histogram, ps) == histogram.percentiles(ps)
    assert percentiles(LatencyHistogram(), [50]) == [0]


def test_distribution_holds_every_request_in_log_buckets() -> None:
    histogram = LatencyHistogram()
    for value_us in (900, 1_000, 1_100, 50_000, 52_000, 2_000_000):
        histogram.record(value_us)
    dist = distribution(histogram)
    assert sum(dist["counts"]) == 6
    assert len(dist["edges_ms"]) == len(dist["counts"]) + 1
    ratios = {round(b / a, 2) for a, b in zip(dist["edges_ms"], dist["edges_ms"][1:])}
    assert ratios <= {1.2, 1.21, 1.22}  # 12 a decade
    assert dist["edges_ms"][0] <= 0.9 and dist["edges_ms"][-1] > 2000
    # which bucket: the 2 s request sits in the last one, 50 ms ones together
    assert dist["counts"][-1] == 1 and max(dist["counts"]) == 2


def test_failures_stages_thresholds_and_findings(store: Store) -> None:
    run_id = make_run(store, seconds=120, verdict={"thresholds": THRESHOLDS,
                                                   "findings": FINDINGS})
    doc = run_document(store, run_id)
    failures = doc["failures"]
    assert failures["total"] == 12 and failures["more_reasons"] == 0
    assert failures["reasons"] == [{"reason": "HTTP 500", "count": 12,
                                    "endpoints": [{"key": "POST /b", "label": "POST /b",
                                                   "count": 12}]}]
    assert [s["name"] for s in doc["stages"]] == ["baseline", "peak", "beyond_peak",
                                                  "recovery"]
    assert doc["stages"][0]["start_s"] == 0 and doc["stages"][-1]["end_s"] == 120
    assert sum(s["requests"] for s in doc["stages"]) == doc["totals"]["requests"]
    assert doc["thresholds"] == THRESHOLDS and doc["findings"] == FINDINGS
    assert doc["comparison"] is None
    assert set(doc["distributions"]) == {"Aggregated", "GET /a", "POST /b"}
    # the distribution is of the successful requests' response times, as the percentiles
    assert sum(doc["distributions"]["Aggregated"]["counts"]) == (
        doc["totals"]["requests"] - doc["totals"]["failures"])


def test_outage_findings_give_the_charts_their_windows(store: Store) -> None:
    run_id = make_run(store, seconds=30, verdict={"findings": [*FINDINGS, OUTAGE]})
    doc = run_document(store, run_id)
    assert doc["outages"] == [{"start_s": 8, "end_s": 18, "failures": 600, "recovery_s": 2}]
    assert run_document(store, make_run(store, seconds=5, start=T0 + 100))["outages"] == []


def test_hostile_names_are_kept_as_plain_text(store: Store) -> None:
    run_id = make_run(store, seconds=20, names=("/a", SCRIPT_NAME, IMG_NAME), shape=False,
                      tags={"note": HOSTILE_TAG})
    doc = run_document(store, run_id)
    keys = {row["key"] for row in doc["endpoints"]}
    assert keys == {"GET /a", f"POST {SCRIPT_NAME}", f"GET {IMG_NAME}"}
    assert set(doc["endpoint_timelines"]["series"]) == keys
    assert doc["header"]["tags"] == {"note": HOSTILE_TAG}
    reasons = {r["reason"] for r in doc["failures"]["reasons"]}
    assert HOSTILE_REASON in reasons  # the document is data; escaping is the page's job


def test_compare_document_holds_both_runs_and_the_comparison(store: Store) -> None:
    base = make_run(store, seconds=60, seed=1)
    candidate = make_run(store, seconds=60, seed=2, scale_us=10_000, start=T0 + 3600)
    doc = compare_document(store, base, candidate)
    assert doc["kind"] == "compare"
    assert doc["base"]["header"]["run_id"] == base
    assert doc["candidate"]["header"]["run_id"] == candidate
    # each run's own time axis, from its own start
    assert doc["base"]["timeline"]["t"][0] == doc["candidate"]["timeline"]["t"][0] == 0
    comparison = doc["comparison"]
    assert comparison["base"]["run_id"] == base
    assert comparison["candidate"]["run_id"] == candidate
    verdicts = {(r["method"], r["name"]): r["verdict"] for r in comparison["rows"]
                if not r["overall"]}
    assert verdicts[("GET", "/a")] == "slower"  # twice the latency, 60 s of samples
    json.dumps(doc, allow_nan=False)


def test_a_run_still_in_progress_has_a_document(store: Store) -> None:
    import time
    from datetime import UTC, datetime

    from tests.store.factories import make_interval, make_meta

    start = int(time.time()) - 5
    run_id = store.create_run(make_meta(started_at=datetime.fromtimestamp(start, UTC)))
    store.add_intervals(run_id, [make_interval(start + s, "/a", [2_000, 3_000])
                                 for s in range(5)])
    doc = run_document(store, run_id)
    assert doc["header"]["status"] == "running" and doc["header"]["ended_at"] is None
    assert doc["totals"]["requests"] == 10
    assert len(doc["endpoint_timelines"]["series"]["GET /a"]["rps"]) == 5


def test_a_run_without_any_request_has_a_document(store: Store) -> None:
    from datetime import UTC, datetime

    from tests.store.factories import make_meta

    run_id = store.create_run(make_meta(started_at=datetime.fromtimestamp(T0, UTC)))
    store.finish_run(run_id, "crashed", datetime.fromtimestamp(T0 + 3, UTC),
                     message="target unreachable")
    doc = run_document(store, run_id)
    assert doc["header"]["status"] == "crashed"
    assert doc["header"]["message"] == "target unreachable"
    assert doc["totals"]["requests"] == 0 and doc["endpoints"] == []
    assert doc["timeline"]["t"] == [] and doc["endpoint_timelines"]["series"] == {}
    assert doc["distributions"] == {"Aggregated": {"edges_ms": [], "counts": []}}
    assert doc["failures"] == {"total": 0, "reasons": [], "more_reasons": 0}
