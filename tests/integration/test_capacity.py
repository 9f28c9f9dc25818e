"""`swarmdeck capacity` end to end against a target of known capacity: a threaded server
on 127.0.0.1 whose 4 workers each take 25 ms per request (160 requests/s at most). Its
responses say how long each waited for a worker (Server-Timing ``queue``). The search finds
the knee within 15%, names the worker queue as what saturated first, stores every step as a
stage of one run, and exits 1
when the SLO fails at the lowest rate and 3 when the generator, not the target, is the
limit. Over workers it finds the same knee, and goes on when a worker is lost (exit 4)."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .test_distributed import free_port, start
from .test_run import swarmdeck

pytestmark = pytest.mark.integration

WORKERS, SERVICE_S = 4, 0.025
CAPACITY = WORKERS / SERVICE_S  # 160/s


class Target(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    workers = threading.Semaphore(WORKERS)
    served = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        arrived = time.perf_counter()
        with Target.workers:  # N workers: a request beyond them queues
            began = time.perf_counter()
            time.sleep(SERVICE_S)
            Target.served += 1
        # what a proxy in front would tell: the wait for a worker, then the app's own time
        timing = (f"queue;dur={(began - arrived) * 1000:.2f}, "
                  f"app;dur={(time.perf_counter() - began) * 1000:.2f}")
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer-Timing: "
                         + timing.encode() + b"\r\n\r\nok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    server = Target(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_locustfile(tmp_path: Path) -> Path:
    locustfile = tmp_path / "capacity_locustfile.py"
    locustfile.write_text("from locust import HttpUser, task\n\n\n"
                          "class Visitor(HttpUser):\n"
                          "    @task\n"
                          "    def page(self):\n"
                          "        self.client.get('/')\n")
    return locustfile


def search(tmp_path: Path, target: str, *args: str) -> tuple[int, dict[str, object], str]:
    locustfile = write_locustfile(tmp_path)
    result = swarmdeck("capacity", "-f", str(locustfile), "--host", target,
                       "--db", f"sqlite:///{tmp_path / 'runs.db'}", "-q", "--json",
                       "capacity.json", "--slo", "error_rate < 1%", *args, cwd=tmp_path,
                       timeout=150)
    output = result.stdout + result.stderr
    assert (tmp_path / "capacity.json").exists(), output[-3000:]
    return result.returncode, json.loads((tmp_path / "capacity.json").read_text()), output


def test_the_search_finds_the_knee_of_a_target_of_known_capacity(target: str,
                                                                 tmp_path: Path) -> None:
    started = time.monotonic()
    code, found, output = search(
        tmp_path, target, "--slo", "p95 < 100ms", "--start-rate", "50/s", "--step", "1.5s",
        "--settle", "0.5s", "--precision", "10%", "--confirm", "1.5s")
    assert code == 0, output[-3000:]
    capacity = found["capacity"]
    assert isinstance(capacity, dict) and capacity["found"] and capacity["confirmed"]
    assert abs(capacity["rate"] - CAPACITY) <= 0.15 * CAPACITY, found
    assert capacity["upper"] > capacity["rate"]
    steps = found["steps"]
    assert isinstance(steps, list)
    rates = [s["rate"] for s in steps]
    assert rates[:3] == [50, 100, 200]  # doubling until the SLO broke
    assert not steps[2]["passed"] and steps[2]["p95_ms"] > 100
    assert steps[-1]["confirm"] and steps[-1]["passed"]
    assert "Maximum sustainable rate" in output
    assert time.monotonic() - started < 90
    # one stored run, a stage per step, open-model latency
    shown = swarmdeck("show", str(found["run_id"]), "--json", "--db",
                      f"sqlite:///{tmp_path / 'runs.db'}", cwd=tmp_path)
    summary = json.loads(shown.stdout)
    assert summary["latency"] == "from_due"
    assert [st["rate"] for st in summary["stages"]] == rates
    assert summary["open_model"]["capacity"]["rate"] == capacity["rate"]
    # what saturated first, from the Server-Timing its responses carried: the wait for one
    # of the 4 workers grew past the app's own 25 ms while that stayed flat, near the knee
    first = capacity["saturated_first"]
    assert first is not None and first["series"] == "server-timing.queue", (
        capacity["saturation"], steps)
    assert first["source"] == "Server-Timing" and first["value"] >= first["limit"] >= 25
    assert first["rate"] in rates and first["rate"] > 100, (first, rates)  # 62% busy at 100
    assert "Saturated first: server-timing.queue" in output


def test_a_slo_broken_at_the_lowest_rate_exits_1(target: str, tmp_path: Path) -> None:
    code, found, output = search(tmp_path, target, "--slo", "p95 < 10ms", "--start-rate",
                                 "50/s", "--step", "1s", "--settle", "0s")
    assert code == 1, output[-3000:]
    assert not found["capacity"]["found"]  # type: ignore[index]
    assert [s["rate"] for s in found["steps"]] == [50]  # type: ignore[attr-defined]


def test_a_generator_that_cannot_start_the_rate_exits_3(target: str, tmp_path: Path) -> None:
    # one user starts 40 iterations/s at most (25 ms each): at 100/s the iterations wait
    # for it and are dropped, while the target answers every request it gets in 25 ms
    code, found, output = search(tmp_path, target, "--slo", "p95 < 100ms", "--start-rate",
                                 "100/s", "--step", "1.5s", "--settle", "0.5s",
                                 "--max-users", "1", "-u", "1")
    assert code == 3, output[-3000:]
    step = found["steps"][0]  # type: ignore[index]
    assert step["generator_limited"] and step["dropped"] > 0
    assert "the generator could not start 100/s" in found["capacity"]["message"]  # type: ignore[index]


def test_two_workers_find_the_knee_between_them(target: str, tmp_path: Path) -> None:
    # the master decides each half second of the schedule and deals it to its two workers;
    # it starts at 100/s, below the knee (62% busy): a step fewer than from 50/s
    started = time.monotonic()
    code, found, output = search(
        tmp_path, target, "--slo", "p95 < 100ms", "--start-rate", "100/s", "--step", "1.5s",
        "--settle", "0.5s", "--precision", "10%", "--confirm", "1.5s", "--workers", "2")
    assert code == 0, output[-3000:]
    capacity = found["capacity"]
    assert isinstance(capacity, dict) and capacity["found"] and capacity["confirmed"]
    assert abs(capacity["rate"] - CAPACITY) <= 0.15 * CAPACITY, found
    elapsed = time.monotonic() - started
    shown = swarmdeck("show", str(found["run_id"]), "--json", "--db",
                      f"sqlite:///{tmp_path / 'runs.db'}", cwd=tmp_path)
    summary = json.loads(shown.stdout)
    assert summary["open_model"]["generators"] == 2
    iterations = summary["open_model"]["iterations"]
    workers = summary["workers"]
    assert len(workers) == 2 and all(w["lost_at"] is None for w in workers)
    # both workers started iterations, and between them every one the master scheduled
    assert all(w["iterations"]["started"] > 0 for w in workers), workers
    assert sum(w["iterations"]["scheduled"] for w in workers) == iterations["scheduled"]
    assert sum(w["iterations"]["started"] for w in workers) == iterations["started"]
    assert iterations["started"] + iterations["dropped"] == iterations["scheduled"]
    assert elapsed < 60, elapsed


def test_a_worker_lost_mid_search_restarts_the_step_on_the_other_and_degrades(
        target: str, tmp_path: Path) -> None:
    port, locustfile = free_port(), str(write_locustfile(tmp_path))
    token = {"SWARMDECK_TOKEN": "s3cret"}
    run = start("capacity", "-f", locustfile, "--host", target, "-q", "--json", "c.json",
                "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--slo", "p95 < 500ms",
                "--start-rate", "100/s", "--max-rate", "100/s", "--step", "6s", "--settle",
                "0.5s", "--confirm", "1.5s", "--expect-workers", "2", "--master-bind",
                f"127.0.0.1:{port}", cwd=tmp_path, env=token)
    victim, survivor = (start("worker", "--master", f"127.0.0.1:{port}", "-f", locustfile,
                              cwd=tmp_path, env=token) for _ in range(2))
    served, deadline = Target.served, time.monotonic() + 60
    while Target.served < served + 50:  # the first step is under way on both
        assert time.monotonic() < deadline and run.poll() is None, "no load"
        time.sleep(0.1)
    victim.send_signal(signal.SIGKILL)
    out, err = run.communicate(timeout=120)
    survivor.communicate(timeout=30)
    victim.communicate(timeout=10)
    output = out + err
    assert run.returncode == 4, output[-3000:]  # degraded: a worker was lost
    # lost within 5 s of the kill, well within the 6-s step: it started again on the other
    assert "was lost (its last seconds are missing); the step starts again" in output, output
    found = json.loads((tmp_path / "c.json").read_text())
    # the step and its confirmation, on the other worker
    assert [(s["rate"], s["passed"]) for s in found["steps"]] == [(100, True)] * 2, output
    assert found["capacity"]["found"] and found["capacity"]["rate"] == 100, output
    shown = json.loads(swarmdeck("show", str(found["run_id"]), "--json", "--db",
                                 f"sqlite:///{tmp_path / 'runs.db'}", cwd=tmp_path).stdout)
    assert shown["status"] == "degraded"
    lost = [w for w in shown["workers"] if w["lost_at"]]
    assert len(lost) == 1 and lost[0]["id"] in shown["message"]
