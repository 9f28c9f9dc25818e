"""failing-endpoint, outage and dev-server provoked by real `swarmdeck run` subprocesses
against small servers of this process: a WSGI app with an endpoint per failure (served by
a threaded wsgiref server that can be stopped and started again on its port), and Python's
http.server. Short runs: the three tests take about 40 s together."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from .test_findings import found, locustfile, run

pytestmark = pytest.mark.integration


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """/boom: 500; /limited: 429 three times in four; /ok: 200; anything else: 404."""
    path = environ["PATH_INFO"]
    if path == "/boom":
        status = "500 Internal Server Error"
    elif path == "/limited":
        with _lock:
            _counts["limited"] += 1
            status = "200 OK" if _counts["limited"] % 4 == 0 else "429 Too Many Requests"
    else:
        status = "200 OK" if path == "/ok" else "404 Not Found"
    # its own Server header: wsgiref's ("WSGIServer/0.2 CPython/...") is a dev-server's
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "2"),
                            ("Server", "swarmdeck-test-app")])
    return [b"ok"]


_lock = threading.Lock()
_counts = {"limited": 0}


class _Handler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True  # SO_REUSEADDR: started again on the same port


class Target:
    """The app on a fixed port, stopped (connections refused) and started again at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests = 0
        self._server: _ThreadingServer | None = None

    def _counted(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        self.requests += 1
        return app(environ, start_response)

    def start(self) -> float:
        server = make_server("127.0.0.1", self.port, self._counted,
                             server_class=_ThreadingServer, handler_class=_Handler)
        assert isinstance(server, _ThreadingServer)
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True).start()
        return time.time()

    def stop(self) -> float:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        return time.time()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def target() -> Iterator[Target]:
    served = Target()
    served.start()
    try:
        yield served
    finally:
        served.stop()


def test_each_failing_endpoint_gets_the_fix_for_its_code(target: Target, tmp_path: Path) -> None:
    refused = free_port()  # nothing listens there
    script = locustfile(tmp_path, f"""
        from locust import HttpUser, constant, task

        class Visitor(HttpUser):
            wait_time = constant(0.05)

            @task(3)
            def ok(self):
                self.client.get("/ok")

            @task
            def boom(self):
                self.client.get("/boom")

            @task
            def limited(self):
                self.client.get("/limited")

            @task
            def missing(self):
                self.client.get("/missing")

            @task
            def refused(self):
                self.client.get("http://127.0.0.1:{refused}/x", name="/refused")
    """)
    summary = run(tmp_path, script, target.url, "-u", "4", "-r", "4", "-t", "6s")
    failing = {f["endpoint"]: f for f in found(summary, "failing-endpoint")}
    assert set(failing) == {"GET /boom", "GET /limited", "GET /missing", "GET /refused"}, \
        summary["findings"]
    boom = failing["GET /boom"]
    assert boom["severity"] == "error"
    assert set(boom["evidence"]["status"]) == {"500"}
    assert "500 Server Error" in boom["message"]
    assert "the server fails under this load: see its logs between " in boom["fix"]
    assert " UTC (0:0" in boom["fix"]  # the times, on the clock and into the run
    assert boom["evidence"]["first_failure_s"] < boom["evidence"]["last_failure_s"]
    limited = failing["GET /limited"]
    assert set(limited["evidence"]["status"]) == {"429"}
    assert 0.6 < limited["evidence"]["share"] < 0.9
    assert limited["fix"].startswith("rate limited: raise the limit for the test or lower "
                                     "the rate")
    assert "check --host and the path" in failing["GET /missing"]["fix"]
    assert failing["GET /missing"]["evidence"]["status"] == {
        "404": failing["GET /missing"]["evidence"]["failures"]}
    assert "ConnectionRefusedError" in failing["GET /refused"]["message"]
    assert "the server or a proxy dropped connections" in failing["GET /refused"]["fix"]
    assert found(summary, "outage") == []  # one endpoint in six refused: no outage
    assert "failing-endpoint" in summary["_stdout"]


def test_a_target_stopped_mid_run_is_an_outage(target: Target, tmp_path: Path) -> None:
    script = locustfile(tmp_path, """
        from locust import HttpUser, constant, task

        class Visitor(HttpUser):
            wait_time = constant(0.05)

            @task
            def ok(self):
                self.client.get("/ok")
    """)
    times: dict[str, float] = {}

    def outage() -> None:
        """Stop the target 4 s after the run's first request, start it again 6 s later."""
        deadline = time.monotonic() + 60
        while target.requests == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(4)
        times["stopped"] = target.stop()
        time.sleep(6)
        times["started"] = target.start()

    choreography = threading.Thread(target=outage, daemon=True)
    choreography.start()
    summary = run(tmp_path, script, target.url, "-u", "4", "-r", "4", "-t", "16s")
    choreography.join(timeout=30)
    assert set(times) == {"stopped", "started"}
    (finding,) = found(summary, "outage")
    evidence = finding["evidence"]
    assert finding["severity"] == "error" and finding["endpoint"] is None
    assert abs(evidence["start_epoch"] - times["stopped"]) <= 1.5, (evidence, times)
    assert abs(evidence["end_epoch"] - times["started"]) <= 1.5, (evidence, times)
    assert 5 <= evidence["duration_s"] <= 8
    assert evidence["outage_failures"] >= 100
    assert evidence["kinds"].get("refused", 0) >= 0.9 * evidence["outage_failures"]
    assert evidence["recovery_s"] is not None and evidence["recovery_s"] <= 3
    assert finding["message"].startswith(
        f"the target was down from 0:{round(evidence['start_s']):02} to "
        f"0:{round(evidence['end_s']):02} ")
    assert "connection refused" in finding["message"]
    assert found(summary, "failing-endpoint") == []  # its failures are the outage's
    assert found(summary, "dev-server") == []


class _QuietStatic(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    """`python -m http.server` as a thread: Python's development server."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>hello</h1>")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietStatic, directory=str(site)))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_pythons_http_server_is_a_dev_server(http_server: str, tmp_path: Path) -> None:
    script = locustfile(tmp_path, """
        from locust import HttpUser, constant, task

        class Visitor(HttpUser):
            wait_time = constant(0.2)

            @task
            def home(self):
                self.client.get("/")
    """)
    summary = run(tmp_path, script, http_server, "-u", "2", "-r", "2", "-t", "3s")
    (finding,) = found(summary, "dev-server")
    assert finding["severity"] == "error"
    assert finding["evidence"]["dev_server"] == "http.server"
    assert any(s.startswith("SimpleHTTP/") for s in finding["evidence"]["servers"])
    assert "Python's http.server" in finding["message"]
    assert "python -m http.server" in finding["fix"]
