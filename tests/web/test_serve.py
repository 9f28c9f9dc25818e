"""``swarmdeck serve`` for real: Gunicorn on a free port, the URL printed, Ctrl-C stops it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

from tests.web.conftest import Seeded


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
