"""`make demo` in small: both profiles under real Gunicorn, gated, compared, reported, their
capacities searched and compared at one rate. The README's first command must keep
working; this runs it end to end (shorter, the searches bounded low)."""

from __future__ import annotations

import json
import re
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
         "--workers", "2", "--workdir", str(work), "--db", db, "--max-rate", "80/s",
         "--rate-time", "4s"],
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
    # the capacity story: a search of each profile (monitored), then both at one rate
    sustains = re.search(r"naive sustains (?:at least )?(\d+) req/s, tuned (?:at least )?"
                         r"(\d+) req/s within p95 < 500 ms", out)
    assert sustains, out[-4000:]
    for profile in ("naive", "tuned"):
        searched = json.loads((work / f"{profile}-capacity.json").read_text())
        assert searched["capacity"]["found"] and searched["steps"]
        assert {s["series"] for s in searched["capacity"]["saturation"]} == {
            "gunicorn.utilization", "cpu"}
        at_rate = json.loads((work / f"{profile}-rate.json").read_text())
        assert at_rate["latency"] == "from_due" and at_rate["totals"]["requests"] > 0
    at = re.search(r"--arrival-rate (\d+)/s", out)
    assert at and int(sustains[1]) <= int(at[1]) <= int(sustains[2]), out[-4000:]
    assert "Saturated first: " in out
