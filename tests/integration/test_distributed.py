"""Distributed runs on Locust's master/worker protocol: local and remote workers, tokens,
regions, and the faults (a worker killed, all workers lost, the master killed)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shopfront.server import GunicornServer

from .conftest import SCENARIOS
from .test_run import ENV, stored_runs, swarmdeck

pytestmark = pytest.mark.integration



def wait_for_load(shop: GunicornServer, served_before: int, timeout_s: float = 60) -> None:
    """Until the target has served requests from the run (workers start slowly on a busy
    machine: a fixed sleep is not enough)."""
    deadline = time.monotonic() + timeout_s
    while shop.served_requests() == served_before:
        assert time.monotonic() < deadline, "the workers generated no load"
        time.sleep(0.25)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "swarmdeck", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**ENV, **(env or {})})


def worker(port: int, region: str, cwd: Path, token: str | None = "s3cret",
           locustfile: str = str(SCENARIOS / "public_pages.py"),
           *extra: str) -> subprocess.Popen[str]:
    env = {"SWARMDECK_TOKEN": token} if token else {}
    return start("worker", "--master", f"127.0.0.1:{port}", "-f", locustfile,
                 "--region", region, *extra, cwd=cwd, env=env)


def master(port: int, shop: GunicornServer, cwd: Path, *extra: str,
           locustfile: str = str(SCENARIOS / "public_pages.py"), run_time: str = "20s",
           workers: int = 2) -> subprocess.Popen[str]:
    return start("run", "-f", locustfile, "--host", shop.url, "-u", "6", "-r", "6",
                 "-t", run_time, "-q", "--db", f"sqlite:///{cwd / 'runs.db'}",
                 "--json", "s.json", "--expect-workers", str(workers),
                 "--master-bind", f"127.0.0.1:{port}", "--expect-workers-timeout", "30s",
                 *extra, cwd=cwd, env={"SWARMDECK_TOKEN": "s3cret"})


def test_local_workers_give_exact_totals(shop: GunicornServer, tmp_path: Path) -> None:
    served_before = shop.served_requests()
    result = swarmdeck("run", "-f", str(SCENARIOS / "jwt_api.py"), "--host", shop.url,
                       "-u", "6", "-r", "6", "-t", "6s", "--workers", "2", "-q",
                       "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--json", "s.json",
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["status"] == "passed"
    assert len(summary["workers"]) == 2
    requests = summary["totals"]["requests"]
    assert requests > 0
    assert requests == shop.served_requests() - served_before  # what the target served
    assert summary["locust"]["requests"] == requests  # what the workers sent, per Locust
    assert summary["regions"]["local"]["requests"] == requests


def test_remote_workers_in_two_regions(shop: GunicornServer, tmp_path: Path) -> None:
    port = free_port()
    run = master(port, shop, tmp_path, run_time="6s")
    # the second worker receives the locustfile from the master (Locust's `-f -`)
    workers = [worker(port, "eu-west", tmp_path), worker(port, "us-east", tmp_path,
                                                         locustfile="-")]
    _, err = run.communicate(timeout=120)
    assert run.returncode == 0, err[-3000:]
    for w in workers:
        w.communicate(timeout=30)
        assert w.returncode == 0
    summary = json.loads((tmp_path / "s.json").read_text())
    regions = summary["regions"]
    assert set(regions) == {"eu-west", "us-east"}
    assert all(r["requests"] > 0 for r in regions.values())
    assert sum(r["requests"] for r in regions.values()) == summary["totals"]["requests"]
    for endpoint in summary["endpoints"]:  # every endpoint broken down by region
        assert sum(r["requests"] for r in endpoint["regions"].values()) == endpoint["requests"]
    shown = swarmdeck("show", str(summary["run_id"]), "--by-region", "--db",
                      f"sqlite:///{tmp_path / 'runs.db'}", cwd=tmp_path)
    assert "Endpoints by region" in shown.stdout
    assert "eu-west" in shown.stdout and "us-east" in shown.stdout


def test_a_killed_worker_degrades_the_run_and_keeps_its_reports(shop: GunicornServer,
                                                                tmp_path: Path) -> None:
    port = free_port()
    run = master(port, shop, tmp_path, run_time="20s")
    served = shop.served_requests()
    victim, survivor = worker(port, "local", tmp_path), worker(port, "local", tmp_path)
    wait_for_load(shop, served)
    time.sleep(5)  # joined, spawned, reported at least once (every 3 s)
    victim.send_signal(signal.SIGKILL)
    killed_at = time.time()
    _, err = run.communicate(timeout=120)
    survivor.communicate(timeout=30)
    victim.communicate(timeout=10)
    assert run.returncode == 4, err[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["status"] == "degraded"
    lost = [w for w in summary["workers"] if w["lost_at"]]
    assert len(lost) == 1 and lost[0]["id"] in summary["message"]
    assert lost[0]["lost_at"] - killed_at < 5  # noticed within 5 s
    dead_id = lost[0]["id"]
    assert dead_id in summary["message"]
    assert summary["totals"]["requests"] > 0


def test_all_workers_lost_ends_the_run_with_exit_3(shop: GunicornServer,
                                                   tmp_path: Path) -> None:
    port = free_port()
    run = master(port, shop, tmp_path, run_time="60s")
    served = shop.served_requests()
    workers = [worker(port, "local", tmp_path), worker(port, "local", tmp_path)]
    wait_for_load(shop, served)
    time.sleep(5)  # a worker reports every 3 s: let each report at least once
    for w in workers:
        w.send_signal(signal.SIGKILL)
        w.communicate(timeout=10)
    _, err = run.communicate(timeout=90)
    assert run.returncode == 3, err[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["status"] == "degraded"
    assert "all 2 workers lost" in summary["message"]
    assert summary["totals"]["requests"] > 0  # what they reported before dying is kept
    assert summary["duration_s"] < 40


def test_a_worker_with_the_wrong_token_is_refused(shop: GunicornServer,
                                                  tmp_path: Path) -> None:
    port = free_port()
    run = start("run", "-f", str(SCENARIOS / "public_pages.py"), "--host", shop.url,
                "-t", "5s", "-q", "--db", f"sqlite:///{tmp_path / 'runs.db'}",
                "--expect-workers", "1", "--master-bind", f"127.0.0.1:{port}",
                "--expect-workers-timeout", "8s", "--token", "right", cwd=tmp_path)
    intruder = worker(port, "local", tmp_path, token="wrong")
    _, worker_err = intruder.communicate(timeout=60)
    _, master_err = run.communicate(timeout=60)
    assert intruder.returncode == 2
    assert "refused this worker: wrong or missing token" in worker_err
    assert run.returncode == 3
    assert "only 0 of 1 workers arrived" in master_err and "wrong or missing token" in master_err
    assert "Traceback" not in worker_err + master_err
    assert stored_runs(tmp_path, f"sqlite:///{tmp_path / 'runs.db'}") == []


def test_without_a_token_the_master_binds_loopback_only(shop: GunicornServer,
                                                        tmp_path: Path) -> None:
    port = free_port()
    result = swarmdeck("run", "-f", str(SCENARIOS / "public_pages.py"), "--host", shop.url,
                       "-t", "5s", "-q", "--db", f"sqlite:///{tmp_path / 'runs.db'}",
                       "--expect-workers", "1", "--master-bind", f"0.0.0.0:{port}",
                       "--expect-workers-timeout", "2s", cwd=tmp_path,
                       env={"SWARMDECK_TOKEN": ""})
    assert result.returncode == 3
    assert f"binds 127.0.0.1:{port} only" in result.stdout + result.stderr


def test_a_killed_master_stops_its_workers_and_is_marked_crashed(shop: GunicornServer,
                                                                 tmp_path: Path) -> None:
    port = free_port()
    run = master(port, shop, tmp_path, run_time="120s")
    served = shop.served_requests()
    workers = [worker(port, "local", tmp_path, "s3cret", str(SCENARIOS / "public_pages.py"),
                      "--master-timeout", "8s") for _ in range(2)]
    wait_for_load(shop, served)
    time.sleep(5)  # reported at least once (every 3 s)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=10)
    killed_at = time.monotonic()
    for w in workers:  # they give up on a silent master after --master-timeout (Locust's 60 s)
        w.communicate(timeout=40)
    assert 7 < time.monotonic() - killed_at < 30
    (row,) = stored_runs(tmp_path, f"sqlite:///{tmp_path / 'runs.db'}")
    assert row["status"] == "crashed"
    assert int(row["requests"]) > 0  # type: ignore[call-overload]
