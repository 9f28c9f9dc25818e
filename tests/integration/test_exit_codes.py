"""Failed requests fail a run where `locust --headless` fails it: the same locustfiles,
run by both against shopfront under real Gunicorn, exit alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopfront.server import GunicornServer

from .conftest import run_locust
from .test_run import swarmdeck

pytestmark = pytest.mark.integration

ALL_404 = '''
from locust import HttpUser, constant, task


class Lost(HttpUser):
    wait_time = constant(0.05)

    @task
    def missing(self):
        self.client.get("/no-such-page")
'''

HALF_404 = '''
from locust import HttpUser, constant, task


class Mixed(HttpUser):
    wait_time = constant(0.05)

    @task
    def home(self):
        self.client.get("/blog")

    @task
    def missing(self):
        self.client.get("/no-such-page")
'''


def _run(tmp: Path, host: str, script: str, *extra: str) -> tuple[int, dict[str, object]]:
    locustfile = tmp / "locustfile.py"
    locustfile.write_text(script)
    result = swarmdeck("run", "-f", str(locustfile), "--host", host, "-u", "3", "-r", "3",
                       "-t", "3s", "--db", "runs.db", "--json", "s.json", "-q", *extra,
                       cwd=tmp)
    assert (tmp / "s.json").exists(), result.stdout + result.stderr
    return result.returncode, json.loads((tmp / "s.json").read_text())


def test_a_404_only_run_fails_as_locust_fails_it(shop: GunicornServer, tmp_path: Path) -> None:
    (tmp_path / "locustfile.py").write_text(ALL_404)
    locust = run_locust(tmp_path / "locustfile.py", shop.url, tmp_path, users=3, run_time="3s")
    assert locust.total_failures == locust.total_requests > 0
    code, summary = _run(tmp_path, shop.url, ALL_404)
    assert (locust.returncode, code) == (1, 1)
    totals = summary["totals"]
    assert isinstance(totals, dict) and totals["failures"] == totals["requests"] > 0
    assert summary["status"] == "failed"
    assert summary["message"] == f"{totals['failures']:,} of {totals['requests']:,} requests failed"
    codes = [f["code"] for f in summary["findings"]]  # type: ignore[union-attr]
    assert "failing-endpoint" in codes


def test_exit_code_on_error_zero_keeps_the_run_passing(shop: GunicornServer,
                                                      tmp_path: Path) -> None:
    code, summary = _run(tmp_path, shop.url, ALL_404, "--exit-code-on-error", "0")
    assert (code, summary["status"]) == (0, "passed")
    code, summary = _run(tmp_path, shop.url, ALL_404, "--exit-code-on-error", "5")
    assert (code, summary["status"]) == (5, "failed")


def test_an_error_rate_threshold_decides_instead(shop: GunicornServer, tmp_path: Path) -> None:
    code, summary = _run(tmp_path, shop.url, HALF_404, "--threshold", "error_rate < 90%")
    assert (code, summary["status"]) == (0, "passed")
    code, summary = _run(tmp_path, shop.url, HALF_404, "--threshold", "error_rate < 10%")
    assert (code, summary["status"]) == (1, "failed")
    thresholds = summary["thresholds"]
    assert isinstance(thresholds, list) and thresholds[0]["passed"] is False
