"""`make demo` in small: both profiles under real Gunicorn, gated, compared, reported.
The README's first command must keep working; this runs it end to end (shorter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO
from .test_run import ENV

pytestmark = pytest.mark.integration


def test_the_demo_runs_both_profiles_compares_them_and_writes_the_report(
        tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    work = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "swarmdeck.demo", "--scale", "1", "-u", "6", "-t", "10s",
         "--workers", "2", "--workdir", str(work), "--db", db],
        cwd=REPO, text=True, capture_output=True, timeout=400, env=ENV, check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    naive = json.loads((work / "naive.json").read_text())
    tuned = json.loads((work / "tuned.json").read_text())
    assert naive["tags"]["profile"] == "naive" and tuned["tags"]["profile"] == "tuned"
    for run in (naive, tuned):
        assert run["totals"]["requests"] > 0
        gates = [(t["endpoint"], t["expr"]) for t in run["thresholds"]]
        assert gates == [("GET /", "p95 < 500ms"), (None, "error_rate < 1%")]
        assert "findings" in run
        # the server's side: Gunicorn's process tree and its StatsD metrics
        series = {m["name"]: m for m in run["monitors"]}
        assert series["workers"]["peak"] == 2 and "gunicorn.utilization" in series
        assert {s["status"] for s in run["monitor_sources"]} == {"ok"}
    assert tuned["comparison"]["base"]["run_id"] == naive["run_id"]
    # the demo turns shopfront's Server-Timing on: naive's list pages show their N+1s
    # (where they had the 5 timed responses a finding needs), tuned's none
    n_plus_one = {f["endpoint"] for f in naive["findings"] if f["code"] == "n-plus-one"}
    for endpoint in naive["endpoints"]:
        server = endpoint["server"]
        assert server is not None, endpoint["name"]
        if endpoint["name"] in ("GET /", "GET /blog") and server["responses"] >= 5:
            assert endpoint["name"] in n_plus_one, naive["findings"]
    assert not [f for f in tuned["findings"] if f["code"] == "n-plus-one"]
    assert "swarmdeck compare" in out and "Thresholds" in out
    report = work / "report.html"
    assert report.is_file() and report.stat().st_size > 10_000
    assert f"file://{report}" in out
    assert "swarmdeck serve" in out
