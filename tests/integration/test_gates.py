"""Thresholds as CI gates, end to end: real `swarmdeck run` against shopfront under Gunicorn,
exit codes, the JSON summary, the JUnit and Markdown files, and the abort gate."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from shopfront.server import GunicornServer

from .conftest import SCENARIOS
from .test_run import stored_runs, swarmdeck

pytestmark = pytest.mark.integration


def run(shop: GunicornServer, tmp_path: Path, *extra: str, run_time: str = "5s"):  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    started = time.monotonic()
    result = swarmdeck("run", "-f", str(SCENARIOS / "jwt_api.py"), "--host", shop.url,
                       "-u", "4", "-r", "4", "-t", run_time, "--db", db, "-q",
                       "--json", "out/summary.json", *extra, cwd=tmp_path)
    return result, time.monotonic() - started, db


def test_passing_thresholds_exit_0(shop: GunicornServer, tmp_path: Path) -> None:
    result, _, _ = run(shop, tmp_path, "--threshold", "p95 < 30s",
                       "--threshold", "GET /api/products/:id: p99[2s] < 30s",
                       "--threshold", "requests > 1", "--junit", "out/junit.xml")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "passed"
    assert [(t["expr"], t["endpoint"], t["passed"]) for t in summary["thresholds"]] == [
        ("p95 < 30000ms", None, True), ("p99[2s] < 30000ms", "GET /api/products/:id", True),
        ("requests > 1", None, True)]
    assert all(t["observed"] > 0 for t in summary["thresholds"])
    suite = ET.parse(tmp_path / "out" / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0"


def test_an_impossible_threshold_fails_the_run(shop: GunicornServer, tmp_path: Path) -> None:
    result, _, db = run(shop, tmp_path, "--threshold", "p50 < 0.001ms",
                        "--threshold", "GET /api/nope: p95 < 1s",
                        "--threshold", "error_rate < 50%",
                        "--junit", "out/ci/junit.xml", "--markdown", "out/pr.md")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "failed"
    by_expr = {t["expr"]: t for t in summary["thresholds"]}
    assert by_expr["p50 < 0.001ms"]["passed"] is False
    assert by_expr["p50 < 0.001ms"]["observed"] > 0.001
    assert by_expr["p95 < 1000ms"] == {
        "expr": "p95 < 1000ms", "endpoint": "GET /api/nope", "observed": None,
        "observed_text": "no requests to GET /api/nope", "passed": False, "abort": False}
    assert by_expr["error_rate < 50%"]["passed"] is True
    assert stored_runs(tmp_path, db)[0]["status"] == "failed"
    suite = ET.parse(tmp_path / "out" / "ci" / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "2"
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert "p50 < 0.001ms [all endpoints]" in failed
    markdown = (tmp_path / "out" / "pr.md").read_text()
    assert "**failed**" in markdown and "p50 &lt; 0.001ms" in markdown
    assert "no requests to GET /api/nope" in markdown


def test_an_abort_threshold_stops_the_run_early(shop: GunicornServer, tmp_path: Path) -> None:
    result, took, _ = run(shop, tmp_path, "--threshold", "rps > 100000 abort=2s",
                          run_time="30s")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert took < 20, f"the run went on for {took:.0f} s"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert summary["duration_s"] < 10
    assert "threshold rps > 100000 breached at" in summary["message"]
    assert "run aborted (abort=true, grace 2s)" in summary["message"]
    assert summary["thresholds"][0]["passed"] is False


def test_a_malformed_threshold_exits_2_and_stores_nothing(shop: GunicornServer,
                                                          tmp_path: Path) -> None:
    result, _, db = run(shop, tmp_path, "--threshold", "p95 < 300 ms", "--threshold", "p59 < 1s")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--threshold 'p59 < 1s'" in lines[0] and "did you mean p95?" in lines[0]
    assert not (tmp_path / "runs.db").exists() or stored_runs(tmp_path, db) == []
