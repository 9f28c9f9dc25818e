"""`swarmdeck run` end to end: real Locust against shopfront under real Gunicorn, results
stored, shown again, and every bad input answered with one line and its exit code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shopfront.server import GunicornServer

from .conftest import SCENARIOS

pytestmark = pytest.mark.integration

ENV = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}


def swarmdeck(*args: str, cwd: Path, timeout: float = 120,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "swarmdeck", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=timeout, env={**ENV, **(env or {})},
                          check=False)



def wait_for_load(shop: GunicornServer, served_before: int,
                  process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """Until the target has served requests of the run (polled: Locust starts slowly on a
    busy machine, and sooner on an idle one)."""
    deadline = time.monotonic() + 60
    while shop.served_requests() == served_before:
        assert process.poll() is None, f"the run ended (exit {process.returncode})"
        assert time.monotonic() < deadline, "the run generated no load"
        time.sleep(0.2)


def stored_runs(cwd: Path, db: str) -> list[dict[str, object]]:
    result = swarmdeck("runs", "--db", db, "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_run_stores_exact_counts_and_show_prints_it_again(shop: GunicornServer,
                                                          tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    served_before = shop.served_requests()
    # jwt_api.py follows no redirects: one Locust request is one request Gunicorn serves.
    result = swarmdeck("run", "-f", str(SCENARIOS / "jwt_api.py"), "--host", shop.url,
                       "-u", "8", "-r", "8", "-t", "6s", "--db", db, "--json", "summary.json",
                       "--tag", "branch=main", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    for key in ("run_id", "status", "host", "started_at", "ended_at", "duration_s", "totals",
                "endpoints"):
        assert key in summary
    assert summary["status"] == "passed"
    totals = summary["totals"]
    for key in ("requests", "failures", "rps", "p50_ms", "p95_ms", "p99_ms", "p999_ms",
                "max_ms"):
        assert key in totals
    assert totals["failures"] == 0
    assert totals["p50_ms"] <= totals["p95_ms"] <= totals["p99_ms"] <= totals["max_ms"]
    served = shop.served_requests() - served_before
    assert totals["requests"] == served, "stored total differs from what Gunicorn served"
    names = {e["name"] for e in summary["endpoints"]}
    assert {"POST /api/auth/login", "GET /api/products", "GET /api/products/:id"} <= names
    assert sum(e["requests"] for e in summary["endpoints"]) == totals["requests"]
    # this shopfront sends no Server-Timing: no split, and no error
    assert all(e["server"] is None for e in summary["endpoints"])
    assert "Where the time went" not in result.stdout

    shown = swarmdeck("show", str(summary["run_id"]), "--db", db, "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == summary
    text = swarmdeck("show", str(summary["run_id"]), "--db", db, cwd=tmp_path)
    assert text.stdout.strip() and text.stdout.strip() in result.stdout
    # the scenario names its requests "GET /api/products/:id" (method GET): printed once
    assert "GET /api/products/:id " in text.stdout and "POST /api/auth/login " in text.stdout
    assert "GET GET" not in text.stdout and "POST POST" not in text.stdout
    (row,) = stored_runs(tmp_path, db)
    assert row["status"] == "passed" and row["requests"] == totals["requests"]


def test_locust_counters_equal_stored_totals(shop: GunicornServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    result = swarmdeck("run", "-f", str(SCENARIOS / "locustfile.py"), "--host", shop.url,
                       "-u", "10", "-r", "10", "-t", "5s", "-q", "--db", db,
                       "--json", "s.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["totals"]["requests"] > 0
    # Locust's own counters, taken from its RequestStats at the end of the run:
    assert summary["locust"] == {"requests": summary["totals"]["requests"],
                                 "failures": summary["totals"]["failures"]}


def test_ctrl_c_stops_gracefully_and_keeps_everything(shop: GunicornServer,
                                                      tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    served = shop.served_requests()
    process = subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "run", "-f", str(SCENARIOS / "public_pages.py"),
         "--host", shop.url, "-u", "5", "-r", "5", "-t", "60s", "-q", "--db", db,
         "--json", "s.json"], cwd=tmp_path, env=ENV, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    wait_for_load(shop, served, process)
    time.sleep(2)  # the users run (a flush every 2 s at most)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Traceback" not in err
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["status"] == "aborted"
    assert summary["totals"]["requests"] > 0
    assert summary["duration_s"] < 30


def test_killed_run_is_marked_crashed_with_its_intervals_kept(shop: GunicornServer,
                                                               tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    served = shop.served_requests()
    process = subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "run", "-f", str(SCENARIOS / "public_pages.py"),
         "--host", shop.url, "-u", "5", "-r", "5", "-t", "60s", "-q", "--db", db],
        cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_load(shop, served, process)
    time.sleep(4)  # a flush or two (every 2 s at most)
    process.kill()
    process.wait(timeout=10)
    (row,) = stored_runs(tmp_path, db)
    assert row["status"] == "crashed"
    assert int(row["requests"]) > 0  # type: ignore[call-overload]


@pytest.mark.postgres
def test_a_run_stored_in_postgresql(shop: GunicornServer, postgres_url: str,
                                    tmp_path: Path) -> None:
    result = swarmdeck("run", "-f", str(SCENARIOS / "public_pages.py"), "--host", shop.url,
                       "-u", "4", "-r", "4", "-t", "4s", "-q", "--db", postgres_url,
                       "--json", "s.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["totals"]["requests"] > 0
    assert summary["locust"]["requests"] == summary["totals"]["requests"]
    shown = swarmdeck("show", str(summary["run_id"]), "--db", postgres_url, "--json",
                      cwd=tmp_path)
    assert json.loads(shown.stdout) == summary
    assert any(row["id"] == summary["run_id"] for row in stored_runs(tmp_path, postgres_url))


def test_step_shape_stages_add_up_to_the_run(shop: GunicornServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    result = swarmdeck("run", "-f", str(SCENARIOS / "public_pages.py"), "--host", shop.url,
                       "-u", "8", "--shape", "step", "-t", "8s", "-q", "--db", db,
                       "--json", "s.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    stages = summary["stages"]
    assert [s["name"] for s in stages] == ["baseline", "peak", "beyond_peak", "recovery"]
    assert [s["users"] for s in stages] == [2, 8, 12, 2]
    # every request falls in exactly one stage (the last stage may end with the run)
    assert sum(s["requests"] for s in stages) == summary["totals"]["requests"]


FAILING_LOCUSTFILE = '''
from locust import HttpUser, constant, task

REFUSED = "http://127.0.0.1:{port}/down"  # nothing listens there: refused in ~1 ms


class Shopper(HttpUser):
    wait_time = constant(0.05)

    @task(4)
    def home(self):
        self.client.get("/")

    @task
    def missing(self):
        self.client.get("/no-such-page", name="GET /missing")  # 404: a failure

    @task
    def refused(self):
        self.client.get(REFUSED, name="refused")
'''


def test_failed_requests_latency_is_kept_apart(shop: GunicornServer, tmp_path: Path) -> None:
    """Percentiles of the successful responses; the failed ones' latency in
    ``failed_latency`` where requests failed; an endpoint whose requests all failed has no
    percentiles, and a latency threshold on it fails saying so."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    locustfile = tmp_path / "failing.py"
    locustfile.write_text(FAILING_LOCUSTFILE.replace("{port}", str(port)))
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    result = swarmdeck("run", "-f", str(locustfile), "--host", shop.url, "-u", "4", "-r", "4",
                       "-t", "4s", "--db", db, "--json", "s.json",
                       "--threshold", "GET /: p95 < 5s", "--threshold", "failed.max < 10s",
                       "--threshold", "refused: p95 < 1s", cwd=tmp_path)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    by_name = {e["name"]: e for e in summary["endpoints"]}
    home, missing, refused = by_name["/"], by_name["GET /missing"], by_name["refused"]
    assert home["failures"] == 0 and home["failed_latency"] is None
    assert home["p50_ms"] is not None and home["p50_ms"] <= home["p95_ms"]
    assert missing["failures"] == missing["requests"] > 0
    assert refused["failures"] == refused["requests"] > 0
    for endpoint in (missing, refused):
        assert endpoint["p50_ms"] is None and endpoint["p95_ms"] is None
        failed = endpoint["failed_latency"]
        assert failed is not None and 0 < failed["p50_ms"] <= failed["p95_ms"] <= failed["max_ms"]
    totals = summary["totals"]
    assert totals["failed_latency"] is not None
    assert totals["p95_ms"] == pytest.approx(home["p95_ms"])  # only home's responses succeeded
    assert [(t["expr"], t["passed"], t["observed_text"]) for t in summary["thresholds"]][2] == (
        "p95 < 1000ms", False, "no successful requests")
    assert [t["passed"] for t in summary["thresholds"]][:2] == [True, True]
    assert "Failed requests' response times" in result.stdout
    shown = swarmdeck("show", str(summary["run_id"]), "--db", db, "--json", cwd=tmp_path)
    assert json.loads(shown.stdout) == summary
