"""Findings provoked against the real shopfront by real `swarmdeck run` subprocesses: each
finding from a script (or a server) that has the mistake, and none of warning or error level
from a clean run of the corrected scenarios against tuned shopfront under Gunicorn."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shopfront.server import GunicornServer

from .conftest import SCENARIOS, seed_database

pytestmark = pytest.mark.integration

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


def run(tmp: Path, locustfile: Path, host: str, *args: str) -> dict[str, Any]:
    """`swarmdeck run` as a user runs it; returns the JSON summary (with its findings)."""
    db = f"sqlite:///{tmp / 'runs.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "swarmdeck", "run", "-f", str(locustfile), "--host", host,
         "--db", db, "--json", str(tmp / "summary.json"), *args],
        check=False, cwd=tmp, text=True, capture_output=True, timeout=120, env=ENV)
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    summary: dict[str, Any] = json.loads((tmp / "summary.json").read_text())
    summary["_stdout"] = result.stdout
    return summary


def found(summary: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in summary["findings"] if f["code"] == code]


def locustfile(tmp: Path, source: str) -> Path:
    path = tmp / "locustfile.py"
    path.write_text(textwrap.dedent(source))
    return path


def test_guide_file_workflow_misses_csrf_and_its_login_fails(shop: GunicornServer,
                                                             tmp_path: Path) -> None:
    summary = run(tmp_path, SCENARIOS / "guide" / "file_workflow.py", shop.url,
                  "-u", "20", "-r", "20", "-t", "12s")
    csrf = {f["endpoint"]: f for f in found(summary, "csrf-missing")}
    assert "POST /login" in csrf, summary["findings"]
    assert csrf["POST /login"]["severity"] == "error"
    assert csrf["POST /login"]["evidence"]["share"] == 1.0
    assert "CSRF token is missing" in csrf["POST /login"]["message"]
    assert "csrf_token" in csrf["POST /login"]["fix"]
    auth = {f["endpoint"]: f for f in found(summary, "auth-failing")}
    assert "GET /reports/monthly-summary" in auth, summary["findings"]
    assert auth["GET /reports/monthly-summary"]["evidence"]["status_401"] >= 5
    # errors first, and the section is printed under the summary
    severities = [f["severity"] for f in summary["findings"]]
    assert severities == sorted(severities, key=("error", "warning", "info").index)
    out = summary["_stdout"]
    assert "Findings" in out and "csrf-missing" in out and "fix: " in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[str]:
    """shopfront under `flask run`: Werkzeug's development server."""
    env = {**os.environ, **seed_database(f"sqlite:///{tmp_path / 'dev.db'}", tmp_path)}
    port = _free_port()
    log = (tmp_path / "flask.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "shopfront", "run", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/api/health", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("flask run did not start: "
                                + (tmp_path / "flask.log").read_text()[-2000:])
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def test_werkzeug_dev_server_is_found(dev_server: str, tmp_path: Path) -> None:
    summary = run(tmp_path, SCENARIOS / "public_pages.py", dev_server,
                  "-u", "3", "-r", "3", "-t", "5s")
    (finding,) = found(summary, "dev-server")
    assert finding["severity"] == "error"
    assert any(s.startswith("Werkzeug/") for s in finding["evidence"]["servers"])
    assert "gunicorn" in finding["fix"]


def test_ids_in_unnamed_urls_are_a_name_explosion(shop: GunicornServer,
                                                  tmp_path: Path) -> None:
    script = locustfile(tmp_path, """
        import random
        from locust import HttpUser, constant, task

        class Browser(HttpUser):
            wait_time = constant(0.1)

            @task
            def product(self):
                self.client.get(f"/api/products/{random.randint(1, 400)}")
    """)
    summary = run(tmp_path, script, shop.url, "-u", "4", "-r", "4", "-t", "6s")
    (finding,) = found(summary, "name-explosion")
    assert finding["severity"] == "warning"
    assert finding["endpoint"] == "GET /api/products/{id}"  # the template it was grouped as
    assert finding["evidence"]["names"] >= 20
    assert 'name="/api/products/[id]"' in finding["fix"]


def test_a_user_without_wait_time_is_found(shop: GunicornServer, tmp_path: Path) -> None:
    script = locustfile(tmp_path, """
        from locust import HttpUser, between, task

        class Hammer(HttpUser):
            weight = 1

            @task
            def health(self):
                self.client.get("/api/health")

        class Reader(HttpUser):
            weight = 3
            wait_time = between(1, 2)

            @task
            def pricing(self):
                self.client.get("/pricing")
    """)
    summary = run(tmp_path, script, shop.url, "-u", "4", "-r", "4", "-t", "5s")
    (finding,) = found(summary, "no-wait-time")
    assert finding["severity"] == "warning"
    assert finding["evidence"]["user_class"] == "Hammer"
    assert finding["evidence"]["weight_share"] == 0.25


def test_a_task_burning_cpu_saturates_the_generator(shop: GunicornServer,
                                                    tmp_path: Path) -> None:
    script = locustfile(tmp_path, """
        import time
        from locust import HttpUser, constant, task

        class Burner(HttpUser):
            wait_time = constant(0)

            @task
            def burn(self):
                self.client.get("/api/health")
                end = time.process_time() + 0.05
                while time.process_time() < end:  # pure Python work, in the generator
                    sum(i * i for i in range(500))
    """)
    summary = run(tmp_path, script, shop.url, "-u", "1", "-r", "1", "-t", "12s")
    (finding,) = found(summary, "generator-saturated")
    assert finding["severity"] in ("warning", "error")
    assert finding["evidence"]["process"] == "local"
    assert finding["evidence"]["max_pct"] >= 90


@pytest.fixture(scope="module")
def naive_one_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    """shopfront's naive profile with one Gunicorn worker: a low, sharp capacity."""
    tmp = tmp_path_factory.mktemp("naive")
    env = seed_database(f"sqlite:///{tmp / 'shop.db'}", tmp, profile="naive", scale=2)
    with GunicornServer(env, workers=1) as server:
        yield server


def test_naive_profile_under_steps_shows_the_knee(naive_one_worker: GunicornServer,
                                                  tmp_path: Path) -> None:
    script = locustfile(tmp_path, """
        from locust import HttpUser, LoadTestShape, constant, task

        class Shopper(HttpUser):
            wait_time = constant(0.05)

            @task
            def listing(self):
                self.client.get("/api/products?limit=50", name="GET /api/products")

        class Steps(LoadTestShape):
            stages = [(4, 1), (8, 4), (12, 16), (16, 32)]  # (until second, users)

            def tick(self):
                t = self.get_run_time()
                for end, users in self.stages:
                    if t < end:
                        return users, 100
                return None
    """)
    summary = run(tmp_path, script, naive_one_worker.url)
    (finding,) = found(summary, "saturation")
    ev = finding["evidence"]
    assert finding["severity"] in ("info", "warning")
    assert ev["after_users"] > ev["knee_users"]
    assert ev["p95_after_ms"] > ev["p95_before_ms"]
    assert f"{ev['knee_users']:.0f} users" in finding["message"]


def test_clean_run_of_corrected_scenarios_has_no_warnings(shop: GunicornServer,
                                                          tmp_path: Path) -> None:
    summary = run(tmp_path, SCENARIOS / "locustfile.py", shop.url,
                  "-u", "10", "-r", "10", "-t", "10s")
    assert summary["totals"]["requests"] > 50
    serious = [f for f in summary["findings"] if f["severity"] in ("warning", "error")]
    assert serious == []


def test_a_working_form_login_is_not_auth_failing(shop: GunicornServer, tmp_path: Path) -> None:
    """The corrected session login (catch_response, redirect to the dashboard followed) must
    not count as a redirect to the login page: Locust's response wrapper reports the request
    name as its url, so the final URL has to come from the last request."""
    summary = run(tmp_path, SCENARIOS / "session_login.py", shop.url,
                  "-u", "6", "-r", "6", "-t", "6s")
    logins = next(e for e in summary["endpoints"] if e["name"] == "POST /login")
    assert logins["requests"] >= 5 and logins["failures"] == 0
    assert [f for f in summary["findings"] if f["code"] == "auth-failing"] == []
