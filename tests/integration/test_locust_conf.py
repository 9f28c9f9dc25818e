"""A Locust project's own configuration under `swarmdeck run`: its locust.conf and LOCUST_*
variables are honoured (host, users, run time, locustfile, and the task tags Locust's parser
reads), what swarmdeck does not use is named in a warning, and swarmdeck's flags win."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shopfront.server import GunicornServer

pytestmark = pytest.mark.integration

ENV = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}
TAGGED = '''\
from locust import HttpUser, constant, tag, task


class TaggedUser(HttpUser):
    wait_time = constant(0.2)

    @tag("health")
    @task
    def health(self):
        self.client.get("/api/health", name="GET /api/health")

    @task
    def home(self):
        self.client.get("/", name="GET /")
'''
LOCUST_CONF = '''\
# as a Locust project keeps it
locustfile = tagged.py
host = http://127.0.0.1:9
users = 3
spawn-rate = 3
run-time = 4s
headless = true
tags = [health]
web-port = 8090
'''


def swarmdeck(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "swarmdeck", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=120, env={**ENV, **env}, check=False)


def test_locust_conf_and_locust_variables_are_honoured_and_flags_win(
    shop: GunicornServer, tmp_path: Path,
) -> None:
    (tmp_path / "tagged.py").write_text(TAGGED)
    (tmp_path / "locust.conf").write_text(LOCUST_CONF)
    db = f"sqlite:///{tmp_path / 'runs.db'}"

    # locust.conf's host is a closed port; LOCUST_HOST, a later layer, points at the shop
    result = swarmdeck("run", "-q", "--db", db, "--json", "first.json", cwd=tmp_path,
                       env={"LOCUST_HOST": shop.url})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    first = json.loads((tmp_path / "first.json").read_text())
    assert (first["host"], first["users"]) == (shop.url, 3)
    assert first["locustfile"] == str(tmp_path / "tagged.py")
    assert first["duration_s"] < 10
    assert first["totals"]["requests"] > 0
    # tags = [health] reached Locust: the untagged task never ran
    assert {e["name"] for e in first["endpoints"]} == {"GET /api/health"}
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [("swarmdeck: warning: Locust's option web-port (locust.conf:9) is "
                        "ignored: swarmdeck runs headless and has no Locust web UI (its "
                        "dashboard: swarmdeck serve)")]

    # swarmdeck's flags win over both: LOCUST_HOST now names a closed port
    result = swarmdeck("run", "-q", "--db", db, "--json", "second.json", "--host", shop.url,
                       "-u", "2", cwd=tmp_path, env={"LOCUST_HOST": "http://127.0.0.1:9"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    second = json.loads((tmp_path / "second.json").read_text())
    assert (second["host"], second["users"]) == (shop.url, 2)
    assert second["totals"]["requests"] > 0
