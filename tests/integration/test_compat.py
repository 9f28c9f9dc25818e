"""Any locustfile that runs under `locust --headless` runs unmodified under `swarmdeck run`:
FastHttpUser, task weights, tags, event hooks, custom arguments, catch_response, name=, and
a LoadTestShape defined in the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopfront.server import GunicornServer

from .test_run import swarmdeck

pytestmark = pytest.mark.integration

LOCUSTFILE = '''
import json, os
from locust import FastHttpUser, HttpUser, LoadTestShape, constant, events, tag, task

HOOKS = os.environ["HOOKS_FILE"]

def note(what):
    with open(HOOKS, "a") as fh:
        fh.write(what + "\\n")

@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--product", type=int, default=101)

@events.init.add_listener
def _(environment, **kwargs):
    note(f"init product={environment.parsed_options.product}")

@events.test_start.add_listener
def _(environment, **kwargs):
    note("test_start")

@events.test_stop.add_listener
def _(environment, **kwargs):
    note("test_stop")

@events.quitting.add_listener
def _(environment, **kwargs):
    note("quitting")

class Fast(FastHttpUser):
    wait_time = constant(0.2)
    weight = 2

    def on_start(self):
        note("on_start")

    @tag("catalog")
    @task(3)
    def product(self):
        pid = self.environment.parsed_options.product
        self.client.get(f"/api/products/{pid}", name="/api/products/:id")

    @tag("checkout")
    @task(1)
    def not_found(self):
        with self.client.get("/api/products/0", name="missing", catch_response=True) as r:
            if r.status_code == 404:
                r.success()

class Plain(HttpUser):
    wait_time = constant(0.2)

    @tag("catalog")
    @task
    def pricing(self):
        self.client.get("/pricing")

class TwoSteps(LoadTestShape):
    def tick(self):
        t = self.get_run_time()
        if t < 2:
            return (2, 10)
        if t < 4:
            return (4, 10)
        return None
'''



def test_an_ordinary_locustfile_runs_unmodified(shop: GunicornServer, tmp_path: Path) -> None:
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    hooks = tmp_path / "hooks.txt"
    result = swarmdeck("run", "-f", "locustfile.py", "--host", shop.url, "-q",
                       "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--json", "s.json",
                       "--", "--product", "104", cwd=tmp_path,
                       env={"HOOKS_FILE": str(hooks)})
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    events = hooks.read_text().splitlines()
    assert events[0] == "init product=104"  # custom argument reached parsed_options
    assert {"test_start", "test_stop", "quitting", "on_start"} <= set(events)
    names = {e["name"]: e for e in summary["endpoints"]}
    assert {"/api/products/:id", "missing", "/pricing"} <= set(names)
    assert names["missing"]["failures"] == 0  # catch_response turned the 404 into a success
    assert summary["shape"] == "TwoSteps"  # the file's LoadTestShape ended the run
    assert 3.5 < summary["duration_s"] < 15


def test_locust_tags_select_tasks(shop: GunicornServer, tmp_path: Path) -> None:
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    result = swarmdeck("run", "-f", "locustfile.py", "--host", shop.url, "-q",
                       "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--json", "s.json",
                       "--class", "Fast", "--", "--tags", "checkout", cwd=tmp_path,
                       env={"HOOKS_FILE": str(tmp_path / "hooks.txt")})
    assert result.returncode == 0, result.stderr[-3000:]
    names = {e["name"] for e in json.loads((tmp_path / "s.json").read_text())["endpoints"]}
    assert names == {"missing"}
