"""``swarmdeck serve`` for real: Gunicorn on a free port, the URL printed, Ctrl-C stops it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.web.conftest import Seeded
from tests.web.platform import add_people
from tests.web.test_saved_tests import new_test


def test_serve_prints_its_url_serves_and_stops_on_ctrl_c(seeded: Seeded) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWARMDECK_DASHBOARD")}
    process = subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "serve", "--db", seeded.url, "--bind",
         "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+/) \(runs in sqlite:///", line)
        assert match, line + (process.stderr.read() if process.poll() is not None else "")
        url = match[1]
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(url + "api/runs?per_page=3", timeout=5) as answer:
                    body = json.load(answer)
                    assert answer.headers["Server"].startswith("gunicorn")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert body["runs"][0]["id"] == seeded.ids["running"]
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert answer.status == 200 and b"<h1>Runs</h1>" in answer.read()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        assert "Traceback" not in (process.stderr.read() if process.stderr else "")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def test_serve_with_users_listens_beyond_loopback_and_starts_runs(tmp_path: Path) -> None:
    """Under Gunicorn: users count as authentication (a public bind is allowed), the
    health check is open, the rest needs a token, and a run started from the API ends
    with its launch recorded by the Gunicorn worker that started it."""
    people = add_people(f"sqlite:///{tmp_path / 'platform.db'}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWARMDECK_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "serve", "--db", people.url, "--bind",
         "0.0.0.0:0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        cwd=tmp_path, start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"on http://0\.0\.0\.0:(\d+)/", line)
        assert match, line + (process.stderr.read() if process.poll() is not None else "")
        url = f"http://127.0.0.1:{match[1]}"

        def call(method: str, path: str, token: str | None = None,
                 body: object = None) -> tuple[int, Any]:
            request = urllib.request.Request(
                url + path, method=method, data=json.dumps(body).encode() if body else None,
                headers={"Content-Type": "application/json",
                         **({"Authorization": f"Bearer {token}"} if token else {})})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    return answer.status, json.load(answer)
            except urllib.error.HTTPError as exc:
                return exc.code, json.load(exc)

        assert call("GET", "/api/health") == (200, {"status": "ok"})
        assert call("GET", "/api/runs")[0] == 401
        token = people.tokens["tester"]
        status, saved = call("POST", "/api/tests", token, new_test(host="http://127.0.0.1:9"))
        assert status == 201
        status, launch = call("POST", f"/api/tests/{saved['id']}/runs", token)
        assert status == 202, launch
        deadline = time.monotonic() + 30
        while (found := call("GET", f"/api/launches/{launch['id']}", token)[1])[
                "status"] != "ended":
            assert time.monotonic() < deadline, found
            time.sleep(0.3)
        assert found["exit_code"] == 3  # nothing listens on port 9
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        assert "Traceback" not in (process.stderr.read() if process.stderr else "")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
