"""Runs started and stopped from the API: `swarmdeck run` as its own process against
shopfront under Gunicorn, the run recording its test's version and locustfile hash, a stop
that keeps the run (interrupted), the limits, and the permitted targets (an unverified
host refused before any request; a verified one accepted)."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
from flask import Flask
from tests.integration.conftest import SCENARIOS, shop  # noqa: F401 - the fixture
from tests.web.platform import Api, People, log_in
from tests.web.test_saved_tests import new_test

from swarmdeck.errors import NotPermitted
from swarmdeck.store import Store
from swarmdeck.web import close_app, create_app
from swarmdeck.web.launcher import launcher

pytestmark = pytest.mark.integration
PUBLIC_PAGES = (SCENARIOS / "public_pages.py").read_text()


@pytest.fixture
def app(people: People) -> Iterator[Flask]:
    app = create_app({"SWARMDECK_DB": people.url, "TESTING": True, "MAX_USERS": 50,
                      "MAX_RUN_TIME_S": 600, "MAX_RUNS": 2, "MAX_RUNS_PER_USER": 1})
    yield app
    close_app(app)


def shop_test(host: str, **changes: Any) -> dict[str, Any]:
    return new_test(**{"name": "public pages", "host": host, "users": 3, "spawn_rate": 3,
                       "run_time": "60s", "thresholds": [],
                       "locustfile": {"name": "public_pages.py", "source": PUBLIC_PAGES},
                       **changes})


def kill_launch(launch_id: int) -> None:
    """After a failed test: no run process of this launch is left behind."""
    for proc in psutil.process_iter(["cmdline"]):
        if f"swarmdeck.launch={launch_id}" in (proc.info["cmdline"] or []):
            proc.kill()


def wait_for(api: Api, launch_id: int, predicate: Any, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        launch = api.call("get", "/api/launches/{launch_id}", 200, launch_id=launch_id)
        if predicate(launch):
            return launch
        assert time.monotonic() < deadline, launch
        time.sleep(0.3)


def test_start_watch_and_stop_a_run(app: Flask, people: People, shop: Any) -> None:  # noqa: F811
    tester = Api(app, people.tokens["tester"])
    saved = tester.call("post", "/api/tests", 201, shop_test(shop.url))
    Api(app, people.tokens["viewer"]).call("post", "/api/tests/{test_id}/runs", 403,
                                           test_id=saved["id"])
    launch = tester.call("post", "/api/tests/{test_id}/runs", 202, test_id=saved["id"])
    try:
        assert launch["status"] == "running" and launch["run_id"] is not None, launch
        assert launch["run_url"] == f"/runs/{launch['run_id']}"
        # a second run of the same user is over the per-user limit
        refused = tester.call("post", "/api/tests/{test_id}/runs", 409, test_id=saved["id"])
        assert "the most per user" in refused["error"]
        run_id = launch["run_id"]
        deadline = time.monotonic() + 20
        while tester.call("get", "/api/runs/{run_id}", 200, run_id=run_id)["requests"] == 0:
            assert time.monotonic() < deadline, "no requests recorded"
            time.sleep(0.5)
        page = log_in(app.test_client(), "tester")
        assert "Stop the run" in page.get(f"/runs/{run_id}").text
        Api(app, people.tokens["viewer"]).call("post", "/api/runs/{run_id}/stop", 403,
                                               run_id=run_id)
        stopping = tester.call("post", "/api/runs/{run_id}/stop", 202, run_id=run_id)
        assert stopping["status"] == "stopping" and stopping["stopped_by"] == "tess"
        ended = wait_for(tester, launch["id"], lambda x: x["status"] == "ended")
        assert ended["exit_code"] == 130 and ended["message"] is None
    finally:
        kill_launch(launch["id"])
    run = tester.call("get", "/api/runs/{run_id}", 200, run_id=launch["run_id"])
    assert run["status"] == "aborted" and "interrupted" in (run["message"] or "")
    assert run["requests"] > 0
    assert run["locustfile_sha256"] == saved["current"]["locustfile"]["sha256"]
    assert run["tags"] == {"team": "shop", "swarmdeck.test": str(saved["id"]),
                           "swarmdeck.version": "1", "swarmdeck.launch": str(launch["id"])}
    assert run["users"] == 3 and run["host"] == shop.url
    tester.call("post", "/api/runs/{run_id}/stop", 409, run_id=launch["run_id"])
    audit = Api(app, people.tokens["admin"]).call("get", "/api/audit", 200)["entries"]
    assert [(e["actor"], e["action"], e["kind"]) for e in audit[:2]] == [
        ("tess", "stopped", "run"), ("tess", "started", "test")]


def test_a_locustfile_that_fails_to_load_ends_with_its_error(app: Flask,
                                                             people: People) -> None:
    tester = Api(app, people.tokens["tester"])
    broken = ("import no_such_module_here\nfrom locust import HttpUser\n\n\n"
              "class A(HttpUser):\n    pass\n")
    saved = tester.call("post", "/api/tests", 201, shop_test(
        "http://127.0.0.1:9", locustfile={"name": "broken.py", "source": broken}))
    launch = tester.call("post", "/api/tests/{test_id}/runs", 202, test_id=saved["id"])
    ended = wait_for(tester, launch["id"], lambda x: x["status"] == "ended")
    assert ended["exit_code"] == 2 and ended["run_id"] is None
    assert "no_such_module_here" in ended["message"], ended


def test_limits_are_checked_before_anything_starts(app: Flask, people: People) -> None:
    tester = Api(app, people.tokens["tester"])
    big = tester.call("post", "/api/tests", 201, shop_test("http://127.0.0.1:9", users=51))
    body = tester.call("post", "/api/tests/{test_id}/runs", 400, test_id=big["id"])
    assert "51 users is more than this server allows (50)" in body["error"]
    long = tester.call("post", "/api/tests", 201, shop_test("http://127.0.0.1:9",
                                                            run_time="11m"))
    body = tester.call("post", "/api/tests/{test_id}/runs", 400, test_id=long["id"])
    assert "longer than this server allows" in body["error"]
    tester.call("post", "/api/tests/{test_id}/runs", 404, test_id=999)
    assert tester.call("get", "/api/launches", 200)["launches"] == []


def _non_loopback_ip() -> str:
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family.name == "AF_INET" and not address.address.startswith("127."):
                return str(address.address)
    pytest.skip("this machine has no non-loopback IPv4 address to serve a target on")


class TokenServer(http.server.ThreadingHTTPServer):
    token = ""
    paths: list[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: TokenServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        body = self.server.token.encode()
        self.send_response(200 if self.path.endswith("swarmdeck-verification.txt") else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def target_server() -> Iterator[TokenServer]:
    ip = _non_loopback_ip()
    server = TokenServer((ip, 0), _Handler)
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_only_verified_targets_are_loaded(app: Flask, people: People,
                                          target_server: TokenServer) -> None:
    ip, port = target_server.server_address[:2]
    origin = f"http://{ip}:{port}"
    tester = Api(app, people.tokens["tester"])
    admin = Api(app, people.tokens["admin"])
    saved = tester.call("post", "/api/tests", 201, shop_test(origin))
    refused = tester.call("post", "/api/tests/{test_id}/runs", 403, test_id=saved["id"])
    assert "is not a permitted target" in refused["error"]
    tester.call("post", "/api/targets", 403, {"host": origin})
    target = admin.call("post", "/api/targets", 201, {"host": origin + "/"})
    assert target["origin"] == origin and target["verified_at"] is None
    assert "token" not in tester.call("get", "/api/targets", 200)["targets"][0]
    refused = tester.call("post", "/api/tests/{test_id}/runs", 403, test_id=saved["id"])
    assert "is not verified yet" in refused["error"]
    assert target_server.paths == []  # nothing was sent to it
    target_server.token = "some other token"
    wrong = admin.call("post", "/api/targets/{target_id}/verify", 400,
                       target_id=target["id"])
    assert "serves another token" in wrong["error"]
    target_server.token = target["token"] + "\n"
    verified = admin.call("post", "/api/targets/{target_id}/verify", 200,
                          target_id=target["id"])
    assert verified["verified_at"] is not None
    assert target_server.paths == ["/.well-known/swarmdeck-verification.txt"] * 2
    with app.app_context():  # accepted now (not started here: load goes to 127.0.0.1 only)
        assert launcher().check_target(origin) == origin
        with pytest.raises(NotPermitted):
            launcher().check_target(f"http://{ip}:{port + 1}")
    admin.call("delete", "/api/targets/{target_id}", 200, target_id=target["id"])
    with Store.open(people.url) as store:
        assert store.list_runs(5) == []
