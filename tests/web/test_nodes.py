"""Generator nodes: two `swarmdeck node` processes in two regions register with the
platform, serve one run started from the API (Locust's master/worker protocol), and the
run's requests come from both regions; a run asking for more nodes than are free is
refused with what is free."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.liveserver import LiveDashboard
from tests.web.platform import People, bearer, visitor
from tests.web.receiver import Receiver, receiver
from tests.web.test_saved_tests import new_test

from swarmdeck.store import Store

pytestmark = pytest.mark.integration
LOCUSTFILE = visitor(0.1)


@pytest.fixture
def live(people: People) -> Iterator[LiveDashboard]:
    with LiveDashboard(people.url, NODE_MASTER_HOST="127.0.0.1") as server:
        yield server


@pytest.fixture
def target() -> Iterator[Receiver]:
    with receiver() as server:
        yield server


def call(live: LiveDashboard, method: str, path: str, token: str,
         body: Any = None) -> tuple[int, Any]:
    client = live.app.test_client()
    response = client.open(path, method=method, json=body, headers=bearer(token))
    return response.status_code, response.get_json()


@pytest.fixture
def nodes(live: LiveDashboard, people: People, tmp_path: Path) -> Iterator[list[Any]]:
    env = {**os.environ, "SWARMDECK_NODE_TOKEN": people.tokens["tester"]}
    started = [subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "node", "--server", live.url, "--region", region,
         "--name", f"gen-{region}"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for region in ("eu-west", "us-east")]
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in started:
            try:
                process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def wait(what: str, check: Any, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.3)
    return found


def test_two_nodes_in_two_regions_serve_one_run(live: LiveDashboard, people: People,
                                                target: Receiver, nodes: list[Any]) -> None:
    token = people.tokens["tester"]

    def states() -> dict[str, str]:
        return {n["region"]: n["state"] for n in call(live, "GET", "/api/nodes", token)[1]
                ["nodes"]}

    wait("both nodes registered", lambda: states() == {"eu-west": "idle",
                                                       "us-east": "idle"})
    assert call(live, "POST", "/api/nodes/heartbeat", people.tokens["viewer"],
                {"name": "x", "region": "y"})[0] == 403
    status, too_many = call(live, "POST", "/api/tests", token, new_test(
        host=target.url, regions={"eu-west": 2}, locustfile={"name": "home.py",
                                                             "source": LOCUSTFILE}))
    assert status == 201
    status, refused = call(live, "POST", f"/api/tests/{too_many['id']}/runs", token)
    assert status == 409, refused
    assert "the test asks for 2 in eu-west (1 free)" in refused["error"]
    status, saved = call(live, "POST", "/api/tests", token, new_test(
        host=target.url, users=4, spawn_rate=4, run_time="4s", thresholds=[],
        regions={"eu-west": 1, "us-east": 1},
        locustfile={"name": "home.py", "source": LOCUSTFILE}))
    assert status == 201 and saved["current"]["settings"]["regions"] == {
        "eu-west": 1, "us-east": 1}
    status, launch = call(live, "POST", f"/api/tests/{saved['id']}/runs", token)
    assert status == 202, launch
    assert set(states().values()) <= {"assigned", "busy"}
    ended = wait("the run to end", lambda: (found := call(
        live, "GET", f"/api/launches/{launch['id']}", token)[1])["status"] == "ended"
        and found, timeout_s=90)
    assert ended["exit_code"] == 0, ended
    with Store.open(people.url) as store:
        by_region = store.endpoint_region_data(ended["run_id"])
        run = store.get_run(ended["run_id"])
    assert {region for _, region in by_region} == {"eu-west", "us-east"}
    assert all(interval.requests > 0 for interval in by_region.values())
    assert run.requests == sum(i.requests for i in by_region.values())
    wait("the nodes idle again", lambda: states() == {"eu-west": "idle", "us-east": "idle"})
    page = live.app.test_client().get("/nodes", headers=bearer(token)).text
    assert "gen-eu-west" in page and "gen-us-east" in page
    assert all(process.poll() is None for process in nodes)
