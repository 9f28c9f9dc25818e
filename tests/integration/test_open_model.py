"""The open model end to end: `swarmdeck run --arrival-rate` (real Locust, real sockets)
against small threaded servers on 127.0.0.1 that stall on a schedule or answer in a known
time, so that the truth is known: the latency from the due time shows a stall the service
time hides, iterations are dropped exactly when the pool is too small, the rate is held,
and two workers start the whole schedule between them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from swarmdeck.store import Store

from .test_run import swarmdeck

pytestmark = pytest.mark.integration

STALL_S, PERIOD_S = 0.3, 3.0  # 10% of the time stalled: the 1 s in 10 s, scaled
SLOW_S = 0.095  # /slow answers in this long: a user finishes one iteration per 10 ms tick


class Target(ThreadingHTTPServer):
    daemon_threads = True
    started = time.monotonic()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/stall":  # every request arriving in a stall waits for its end
            phase = (time.monotonic() - Target.started) % PERIOD_S
            if phase < STALL_S:
                time.sleep(STALL_S - phase)
        elif self.path == "/slow":
            time.sleep(SLOW_S)
        # one write: headers and body in one segment (no Nagle / delayed-ACK pause)
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    server = Target(("127.0.0.1", 0), Handler)
    Target.started = time.monotonic()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def locustfile(tmp_path: Path, path: str) -> Path:
    file = tmp_path / f"open_{path.strip('/') or 'root'}.py"
    file.write_text(
        "from locust import HttpUser, between, task\n\n\n"
        "class Visitor(HttpUser):\n"
        "    wait_time = between(1, 2)  # the open model replaces it with the schedule\n\n"
        "    @task\n"
        "    def page(self):\n"
        f"        self.client.get({path!r})\n")
    return file


def run(tmp_path: Path, target: str, path: str, *args: str,
        timeout: float = 90) -> dict[str, object]:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    result = swarmdeck("run", "-f", str(locustfile(tmp_path, path)), "--host", target,
                       "--db", db, "-q", "--json", "summary.json", *args, cwd=tmp_path,
                       timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary: dict[str, object] = json.loads((tmp_path / "summary.json").read_text())
    summary["db"] = db
    return summary


def test_the_latency_from_the_due_time_shows_a_stall_the_service_time_hides(
        target: str, tmp_path: Path) -> None:
    # 100/s for 15 s (5 stalls of 0.3 s): 10% of the requests arrive during a stall and wait
    # for its rest, so the truth is p95 = 150 ms (half a stall) and p99 = 270 ms. Ten users
    # are too few to keep sending during a stall: the iterations wait for them (late), as a
    # closed model's users would, and are sent once the stall is over.
    summary = run(tmp_path, target, "/stall", "--arrival-rate", "100/s", "-t", "15s",
                  "--max-users", "10")
    assert summary["latency"] == "from_due"
    totals = summary["totals"]
    assert isinstance(totals, dict)
    assert totals["requests"] == 1500
    assert 120 <= totals["p95_ms"] <= 180, totals
    assert 240 <= totals["p99_ms"] <= 300, totals
    service = totals["service_latency"]
    assert service["p95_ms"] < 30, service  # what Locust measured: the stall hidden
    iterations = summary["open_model"]["iterations"]  # type: ignore[index]
    assert (iterations["scheduled"], iterations["started"], iterations["dropped"]) == (
        1500, 1500, 0)
    assert iterations["lag_max_ms"] > 150  # they did wait for a user


def test_too_few_users_drop_iterations_exactly_as_many_as_they_cannot_start(
        target: str, tmp_path: Path) -> None:
    # /slow answers in 95 ms: each of 5 users starts one iteration per 10 ms tick at best,
    # one every 100 ms, so 5 users start 50/s of the 100/s; with --max-lag 0 (k6) the rest
    # are dropped at once.
    summary = run(tmp_path, target, "/slow", "--arrival-rate", "100/s", "-t", "5s",
                  "--max-users", "5", "--max-lag", "0")
    iterations = summary["open_model"]["iterations"]  # type: ignore[index]
    assert iterations["scheduled"] == 500
    assert iterations["started"] + iterations["dropped"] == 500
    assert abs(iterations["dropped"] - 250) <= 12, iterations
    assert summary["totals"]["requests"] == iterations["started"]  # type: ignore[index]
    findings = {f["code"]: f for f in summary["findings"]}  # type: ignore[attr-defined]
    finding = findings["generator-cannot-keep-up"]
    assert finding["evidence"]["cause"] == "users"
    assert "--max-users" in finding["fix"]


def test_the_arrival_rate_is_held_second_by_second(target: str, tmp_path: Path) -> None:
    summary = run(tmp_path, target, "/", "--arrival-rate", "200/s", "-t", "6s")
    iterations = summary["open_model"]["iterations"]  # type: ignore[index]
    assert (iterations["scheduled"], iterations["started"], iterations["dropped"]) == (
        1200, 1200, 0)
    with Store.open(str(summary["db"])) as store:
        seconds = store.iteration_series(int(summary["run_id"]))  # type: ignore[call-overload]
    full = seconds[1:-1]  # the first and last are partial: the schedule starts mid-second
    assert len(full) >= 4
    assert all(abs(s.started - 200) <= 4 for s in full), [s.started for s in seconds]
    assert "generator-cannot-keep-up" not in {f["code"] for f in summary["findings"]}  # type: ignore[attr-defined]


def test_two_workers_start_the_whole_schedule_between_them(target: str,
                                                           tmp_path: Path) -> None:
    summary = run(tmp_path, target, "/", "--arrival-rate", "100/s", "-t", "5s",
                  "--workers", "2", timeout=120)
    iterations = summary["open_model"]["iterations"]  # type: ignore[index]
    assert (iterations["scheduled"], iterations["started"], iterations["dropped"]) == (
        500, 500, 0)
    assert summary["totals"]["requests"] == 500  # type: ignore[index]
    assert summary["open_model"]["generators"] == 2  # type: ignore[index]
