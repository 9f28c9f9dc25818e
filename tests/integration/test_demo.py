"""`make demo` in small: both profiles under real Gunicorn side by side, a capacity search
of each, one fixed-rate open-model run of each, gated, compared, reported. The README's
first command must keep working; this runs it end to end (shorter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO
from .test_run import ENV

pytestmark = pytest.mark.integration


def test_the_demo_searches_both_profiles_runs_them_at_one_rate_and_compares_them(
        tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    work = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "swarmdeck.demo", "--scale", "1", "--workers", "2",
         "--start-rate", "20/s", "--max-rate", "40/s", "--step", "1s", "-t", "4s",
         "--admin-time", "4s",
         "--workdir", str(work), "--db", db],
        cwd=REPO, text=True, capture_output=True, timeout=400, env=ENV, check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    # the searches: each profile's capacity, monitored (what saturated first)
    capacities = {}
    for profile in ("naive", "tuned"):
        search = json.loads((work / f"{profile}-capacity.json").read_text())
        assert search["slo"] == ["p95 < 500ms", "error_rate < 1%"]
        assert {s["series"] for s in search["capacity"]["saturation"]} >= {
            "gunicorn.utilization", "cpu"}
        capacities[profile] = search["capacity"]
    assert "Saturated first: " in out
    # the fixed rate: between the capacities, at most half the top rate (here 20/s)
    naive = json.loads((work / "naive.json").read_text())
    tuned = json.loads((work / "tuned.json").read_text())
    assert naive["tags"]["profile"] == "naive" and tuned["tags"]["profile"] == "tuned"
    for run in (naive, tuned):
        assert run["totals"]["requests"] > 0
        assert run["latency"] == "from_due"  # the open model
        gates = [(t["endpoint"], t["expr"]) for t in run["thresholds"]]
        assert gates == [("GET /", "p95 < 500ms"), (None, "error_rate < 1%")]
        assert "findings" in run
        # the server's side: Gunicorn's process tree and its StatsD metrics
        series = {m["name"]: m for m in run["monitors"]}
        assert series["workers"]["peak"] == 2 and "gunicorn.utilization" in series
        assert {s["status"] for s in run["monitor_sources"]} == {"ok"}
    assert tuned["comparison"]["base"]["run_id"] == naive["run_id"]
    # the demo turns shopfront's Server-Timing on: every response of the open-model runs
    # is timed, the naive list pages show their N+1s, tuned's none
    n_plus_one = {f["endpoint"] for f in naive["findings"] if f["code"] == "n-plus-one"}
    assert {"GET /", "GET /blog"} <= n_plus_one, naive["findings"]
    for endpoint in naive["endpoints"]:
        server = endpoint["server"]
        assert server is not None and server["coverage"] > 0.99, endpoint
    assert not [f for f in tuned["findings"] if f["code"] == "n-plus-one"]
    queries = {(s["name"], s["base"], s["candidate"]) for s in tuned["comparison"]["server"]
               if s["metric"] == "queries"}
    assert ("GET /blog", 30.0, 2.0) in queries, queries
    # the summary at the end: the capacities and the queries, naive -> tuned
    tail = out[out.rindex("] in short"):]
    assert "naive sustains " in tail and " within p95 < 500 ms" in tail
    assert "GET /blog 30 -> 2" in tail
    # the guide's heavy endpoint: naive's monthly report runs a query per row, tuned's not
    for profile in ("naive", "tuned"):
        admin = json.loads((work / f"{profile}-admin.json").read_text())
        found = {(f["code"], f["endpoint"]) for f in admin["findings"]}
        assert (("n-plus-one", "GET /reports/monthly-summary") in found) == (
            profile == "naive"), (profile, admin["findings"])
    report = work / "report.html"
    assert report.is_file() and report.stat().st_size > 10_000
    assert f"file://{report}" in out
    assert "swarmdeck serve" in out
