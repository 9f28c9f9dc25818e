"""One report model: the JSON summary keeps its keys, and every output of a run (the JSON
summary, the Markdown, the JUnit XML, the HTML report's document) shows the same numbers,
thresholds and findings, because they all render from the run's ``RunReport``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.report.runs import FINDINGS, T0, THRESHOLDS, make_run
from tests.store.factories import make_interval, make_meta

from swarmdeck.report.document import run_document
from swarmdeck.report.junit import junit_xml
from swarmdeck.report.markdown import cell, markdown_summary
from swarmdeck.report.model import load_report
from swarmdeck.store import Store

# The JSON summary's keys (docs/cli.md): a public interface, kept as it is.
SUMMARY_KEYS = ["run_id", "status", "message", "host", "locustfile", "users", "shape", "tags",
                "started_at", "ended_at", "duration_s", "latency", "totals", "endpoints", "regions",
                "warnings", "locust", "workers", "stages", "thresholds", "findings",
                "script_errors", "store_outages"]
NUMBERS = {"requests", "failures", "rps", "avg_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms",
           "p999_ms", "max_ms", "failed_latency"}  # the last one added by issue 12
WORKERS = [{"id": "w-1", "region": "eu", "hostname": "gen-1", "joined_at": 1714564800.5,
            "lost_at": None},
           {"id": "w-2", "region": "us", "hostname": "gen-2", "joined_at": 1714564801.0,
            "lost_at": 1714564830.25}]
_RUN = {"started_at": "2024-05-01T12:00:00+00:00", "host": "http://127.0.0.1:8000", "tags": {}}
COMPARISON = {"base": {"run_id": 9, "ref": "baseline:main", **_RUN},
              "candidate": {"run_id": 10, "ref": "10", **_RUN}, "metric": "p95",
              "confidence": 0.95, "min_change": 0.1, "rows": [], "budgets": ["p95=+10%"],
              "budget_failures": [], "passed": True}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


def judged_run(store: Store, **verdict: Any) -> int:
    """A 60-s run as the engine and then the verdict store it."""
    return make_run(store, seconds=60, details={
        "locust_requests": 1234, "locust_failures": 6, "warnings": ["no final report from w-2"],
        "exceptions": [], "workers": WORKERS, "refused": {}},
        verdict={"thresholds": THRESHOLDS, "findings": FINDINGS, **verdict})


def test_the_json_summary_keeps_its_keys_and_the_stored_verdict(store: Store) -> None:
    summary = load_report(store, judged_run(store)).to_json()
    assert list(summary) == SUMMARY_KEYS  # no comparison key: the run was not compared
    assert (summary["status"], summary["duration_s"]) == ("passed", 60.0)
    assert summary["started_at"] == datetime.fromtimestamp(T0, UTC).isoformat()
    assert set(summary["totals"]) == NUMBERS
    assert [set(e) for e in summary["endpoints"]] == [
        NUMBERS | {"name", "method", "bytes", "errors", "server"}] * 2
    assert set(summary["regions"]) == {"local"}
    assert set(summary["regions"]["local"]) == NUMBERS
    assert [set(st) for st in summary["stages"]] == [NUMBERS | {"name", "start_s", "end_s",
                                                                "users"}] * 4
    # what the engine and the verdict stored comes back as it was stored
    assert summary["locust"] == {"requests": 1234, "failures": 6}
    assert summary["warnings"] == ["no final report from w-2"]
    assert summary["workers"] == WORKERS
    assert summary["thresholds"] == THRESHOLDS and summary["findings"] == FINDINGS
    json.dumps(summary, allow_nan=False)


def test_a_compared_run_adds_the_comparison_as_stored(store: Store) -> None:
    summary = load_report(store, judged_run(store, comparison=COMPARISON)).to_json()
    assert list(summary) == [*SUMMARY_KEYS, "comparison"]
    assert summary["comparison"] == COMPARISON


def test_a_run_without_details_has_empty_parts(store: Store) -> None:
    run_id = store.create_run(make_meta(started_at=datetime.fromtimestamp(T0, UTC)))
    store.finish_run(run_id, "crashed", datetime.fromtimestamp(T0 + 3, UTC),
                     message="target unreachable")
    summary = load_report(store, run_id).to_json()
    assert list(summary) == SUMMARY_KEYS
    assert (summary["status"], summary["message"]) == ("crashed", "target unreachable")
    assert (summary["locust"], summary["workers"], summary["warnings"]) == (None, [], [])
    assert (summary["thresholds"], summary["findings"], summary["endpoints"]) == ([], [], [])


def test_endpoints_by_region_only_with_several_regions(store: Store) -> None:
    run_id = store.create_run(make_meta(started_at=datetime.fromtimestamp(T0, UTC)))
    store.add_intervals(run_id, [make_interval(T0 + s, "/a", [1_000, 2_000], region=region)
                                 for s in range(10) for region in ("eu", "us")])
    store.finish_run(run_id, "passed", datetime.fromtimestamp(T0 + 10, UTC))
    summary = load_report(store, run_id).to_json()
    (endpoint,) = summary["endpoints"]
    assert set(endpoint["regions"]) == {"eu", "us"}
    assert endpoint["regions"]["eu"]["requests"] == 20
    assert set(endpoint["regions"]["eu"]) == NUMBERS


def test_every_output_shows_the_same_totals_thresholds_and_findings(store: Store) -> None:
    run_id = judged_run(store)
    report = load_report(store, run_id)
    summary = report.to_json()
    document = run_document(store, run_id)
    markdown = markdown_summary(report)
    suite = ET.fromstring(junit_xml(report).encode()).find("testsuite")
    assert suite is not None

    # the document: the summary's numbers, keys and verdict, as they are
    def numbers(row: dict[str, Any]) -> dict[str, Any]:
        return {key: row[key] for key in NUMBERS}

    assert numbers(document["totals"]) == summary["totals"]
    assert [numbers(row) for row in document["endpoints"]] == [
        numbers(e) for e in summary["endpoints"]]
    assert [(st["name"], st["start_s"], st["end_s"], numbers(st))
            for st in document["stages"]] == [
        (st["name"], st["start_s"], st["end_s"], numbers(st)) for st in summary["stages"]]
    for key in ("run_id", "status", "host", "started_at", "ended_at", "duration_s", "tags",
                "warnings", "locust"):
        assert document["header"][key] == summary[key], key
    assert document["header"]["workers"] == len(summary["workers"])
    assert document["thresholds"] == summary["thresholds"] == THRESHOLDS
    assert document["findings"] == summary["findings"] == FINDINGS

    # the Markdown: the same totals, thresholds and findings
    totals = summary["totals"]
    assert (f"{totals['requests']:,} requests · {totals['failures']:,} failures"
            in markdown)
    assert f"{totals['rps']:,.1f} req/s · p50 {totals['p50_ms']:,.1f} ms" in markdown
    thresholds, findings = summary["thresholds"], summary["findings"]
    passed = sum(t["passed"] for t in thresholds)
    assert f"**Thresholds**: {passed} of {len(thresholds)} passed" in markdown
    for t in thresholds:
        assert (f"| {'✅ pass' if t['passed'] else '❌ fail'} | {cell(t['expr'])} | "
                f"{cell(t['endpoint'] or 'all')} | {cell(t['observed_text'])} |") in markdown
    for f in findings:
        assert f"**{cell(f['code'])}** ({f['severity']})" in markdown

    # the JUnit XML: a case per threshold failing as the threshold did, one per endpoint
    # with failures counting the summary's failures, the summary's duration
    assert suite.get("time") == f"{summary['duration_s']:.3f}"
    cases = {case.get("name"): case.find("failure") is not None
             for case in suite.iter("testcase")}
    for t in thresholds:
        assert cases[f"{t['expr']} [{t['endpoint'] or 'all endpoints'}]"] is not t["passed"]
    failing = [e for e in summary["endpoints"] if e["failures"]]
    assert failing and all(cases[f"{e['method']} {e['name']}"] for e in failing)
    failures = {case.get("name"): case.find("failure") for case in suite.iter("testcase")}
    for e in failing:
        element = failures[f"{e['method']} {e['name']}"]
        assert element is not None
        assert (element.get("message") or "").startswith(
            f"{e['failures']} of {e['requests']} requests")


def test_a_running_run_lasts_until_now_everywhere(store: Store) -> None:
    started = datetime.now(UTC) - timedelta(seconds=30)
    run_id = store.create_run(make_meta(started_at=started))
    t0 = int(started.timestamp())
    store.add_intervals(run_id, [make_interval(t0 + s, "/a", [2_000]) for s in range(5)])
    record = store.get_run(run_id)
    assert 29.0 < record.duration_s() < 60.0
    assert record.duration_s(started + timedelta(seconds=12.5)) == 12.5
    assert record.duration_s(started - timedelta(seconds=1)) == 0.0  # never negative
    report = load_report(store, run_id, now=started + timedelta(seconds=20))
    assert report.duration_s == 20.0 and report.totals.rps == 5 / 20
    document = run_document(store, run_id)
    assert 29.0 < document["header"]["duration_s"] < 60.0


def test_failed_latency_in_the_json_summary_and_the_document(store: Store) -> None:
    """Percentiles of the successes; ``failed_latency`` where requests failed, null where
    none did; an endpoint whose requests all failed has null percentiles."""
    run_id = store.create_run(make_meta(started_at=datetime.fromtimestamp(T0, UTC)))
    store.add_intervals(run_id, [
        iv for s in range(10) for iv in (
            make_interval(T0 + s, "/fast", [10_000] * 9, failed=[30_000_000]),
            make_interval(T0 + s, "/clean", [20_000] * 2),
            make_interval(T0 + s, "/down", [], failed=[1_000, 2_000]))])
    store.finish_run(run_id, "passed", datetime.fromtimestamp(T0 + 10, UTC))
    summary = load_report(store, run_id).to_json()
    json.dumps(summary, allow_nan=False)
    by_name = {e["name"]: e for e in summary["endpoints"]}
    fast, clean, down = by_name["/fast"], by_name["/clean"], by_name["/down"]
    assert (fast["p95_ms"], fast["max_ms"]) == (10.0, 10.0)
    assert fast["failed_latency"] == {"p50_ms": 30_000.0, "p95_ms": 30_000.0,
                                      "max_ms": 30_000.0}
    assert clean["failed_latency"] is None and clean["p95_ms"] == 20.0
    assert [down[k] for k in ("avg_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms",
                              "max_ms")] == [None] * 7
    assert down["failed_latency"] == {"p50_ms": 1.0, "p95_ms": 2.0, "max_ms": 2.0}
    assert summary["totals"]["p95_ms"] == 20.0
    assert summary["totals"]["failed_latency"] == {"p50_ms": 2.0, "p95_ms": 30_000.0,
                                                   "max_ms": 30_000.0}
    assert summary["warnings"] == []  # stored split: nothing to warn about

    document = run_document(store, run_id)
    assert document["totals"]["failed_latency"] == summary["totals"]["failed_latency"]
    assert {row["name"]: row["failed_latency"] for row in document["endpoints"]} == {
        e["name"]: e["failed_latency"] for e in summary["endpoints"]}
    line = document["endpoint_timelines"]["series"]["GET /down"]
    assert line["p95"] == [None] * 10 and line["fps"] == [2] * 10  # failures, no latency
    json.dumps(document, allow_nan=False)
