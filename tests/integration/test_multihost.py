"""Master, workers and target on separate hosts: network namespaces joined by a bridge,
all created (and removed) by this test. Traffic stays inside them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopfront.server import GunicornServer

from .conftest import SCENARIOS, seed_database
from .test_run import ENV

pytestmark = pytest.mark.integration

IN_CI = os.environ.get("CI", "").lower() == "true"
SUBNET = "10.231.77"  # inside the namespaces this test creates, nowhere else


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


def netns_unavailable() -> str | None:
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"sdprobe{uuid.uuid4().hex[:6]}"
    try:
        sh("ip", "netns", "add", probe)
        sh("ip", "netns", "del", probe)
    except (subprocess.CalledProcessError, OSError) as exc:
        return f"cannot create network namespaces here: {exc}"
    return None


@pytest.fixture(scope="module")
def hosts() -> Iterator[dict[str, str]]:
    """Four hosts on one bridge: {name: address}; ``ip netns exec`` runs a command on one."""
    reason = netns_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true requires network namespaces: {reason}")
        pytest.skip(reason)
    tag = uuid.uuid4().hex[:5]
    bridge = f"sdbr{tag}"
    names = {"master": 2, "eu": 3, "us": 4, "shop": 5}
    namespaces = {name: f"sd{name}{tag}" for name in names}
    try:
        sh("ip", "link", "add", bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{SUBNET}.1/24", "dev", bridge)
        sh("ip", "link", "set", bridge, "up")
        for name, octet in names.items():
            ns, host_end, ns_end = namespaces[name], f"sdh{name[:2]}{tag}", f"sdn{name[:2]}{tag}"
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", ns_end)
            sh("ip", "link", "set", host_end, "master", bridge)
            sh("ip", "link", "set", host_end, "up")
            sh("ip", "link", "set", ns_end, "netns", ns)
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{SUBNET}.{octet}/24",
               "dev", ns_end)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", ns_end, "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        yield {**{f"{n}_ns": namespaces[n] for n in names},
               **{n: f"{SUBNET}.{o}" for n, o in names.items()}}
    finally:
        for ns in namespaces.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)


@pytest.fixture(scope="module")
def shop_host(hosts: dict[str, str], tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[GunicornServer]:
    """shopfront under Gunicorn on its own host, with an access log to count what it served."""
    tmp = tmp_path_factory.mktemp("shophost")
    env = seed_database(f"sqlite:///{tmp / 'shop.db'}", tmp)
    with GunicornServer(env, workers=2, bind_host=hosts["shop"], port=8000,
                        access_log=tmp / "access.log",
                        prefix=["ip", "netns", "exec", hosts["shop_ns"]]) as shop:
        yield shop


def in_ns(ns: str, *args: str) -> list[str]:
    return ["ip", "netns", "exec", ns, sys.executable, "-m", "swarmdeck", *args]


def start_run(hosts: dict[str, str], shop: GunicornServer, tmp_path: Path,
              run_time: str) -> tuple[subprocess.Popen[str], list[subprocess.Popen[str]]]:
    """The master on its host, a worker in eu-west and one in us-east on theirs."""
    token = {**ENV, "SWARMDECK_TOKEN": uuid.uuid4().hex}
    master = subprocess.Popen(
        in_ns(hosts["master_ns"], "run", "-f", str(SCENARIOS / "public_pages.py"),
              "--host", shop.url, "-u", "6", "-r", "6", "-t", run_time, "-q",
              "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--json", "s.json",
              "--expect-workers", "2", "--master-bind", f"{hosts['master']}:5557",
              "--expect-workers-timeout", "40s"),
        cwd=tmp_path, env=token, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    workers = [
        subprocess.Popen(in_ns(hosts[f"{region}_ns"], "worker", "--master",
                               f"{hosts['master']}:5557", "-f",
                               str(SCENARIOS / "public_pages.py"), "--region", label),
                         cwd=tmp_path, env=token, text=True, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
        for region, label in (("eu", "eu-west"), ("us", "us-east"))
    ]
    return master, workers


def finish(master: subprocess.Popen[str], workers: list[subprocess.Popen[str]]) -> str:
    """Wait for the run to end; the master's stderr."""
    _, err = master.communicate(timeout=90)
    for w in workers:
        w.communicate(timeout=30)
    return err


def test_master_workers_and_target_on_separate_hosts(hosts: dict[str, str],
                                                     shop_host: GunicornServer,
                                                     tmp_path: Path) -> None:
    assert shop_host.url == f"http://{hosts['shop']}:8000"
    master, workers = start_run(hosts, shop_host, tmp_path, "8s")
    err = finish(master, workers)
    assert master.returncode == 0, err[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert set(summary["regions"]) == {"eu-west", "us-east"}
    assert all(r["requests"] > 0 for r in summary["regions"].values())
    hostnames = {w["region"] for w in summary["workers"]}
    assert hostnames == {"eu-west", "us-east"}


def partition(hosts: dict[str, str], worker: str, *, cut: bool) -> None:
    """Drop every packet between ``worker``'s host and the master's, both ways (blackhole
    routes inside the two namespaces), as a partition between two sites would; the worker
    still reaches the target, so what it sends is still served and counted."""
    verb = "add" if cut else "del"
    sh("ip", "netns", "exec", hosts[f"{worker}_ns"], "ip", "route", verb, "blackhole",
       f"{hosts['master']}/32")
    sh("ip", "netns", "exec", hosts["master_ns"], "ip", "route", verb, "blackhole",
       f"{hosts[worker]}/32")


def served_to(shop: GunicornServer, *addresses: str) -> int:
    """Requests in the target's access log from these hosts (not the fixture's own health
    polls, which come from the bridge's address and may be logged late)."""
    assert shop.access_log is not None
    return sum(1 for line in shop.access_log.read_text().splitlines()
               if line.split(" ", 1)[0] in addresses)


def test_a_worker_cut_off_from_the_master_for_5s_comes_back_and_nothing_is_lost(
        hosts: dict[str, str], shop_host: GunicornServer, tmp_path: Path) -> None:
    """The master declares the silent worker lost; when the partition heals (TCP kept the
    connection, ZeroMQ kept the reports queued), Locust takes it back, swarmdeck records the
    absence, merges the late reports and flushes it at the end like the others: the stored
    totals are what the target served, and the run passes."""
    both, eu = (hosts["eu"], hosts["us"]), hosts["eu"]
    served_before, eu_before = served_to(shop_host, *both), served_to(shop_host, eu)
    master, workers = start_run(hosts, shop_host, tmp_path, "20s")
    try:
        deadline = time.monotonic() + 40
        while served_to(shop_host, *both) - served_before < 4:
            assert time.monotonic() < deadline, "the workers generated no load"
            time.sleep(0.2)
        time.sleep(3.5)  # both workers have reported at least once (every 3 s)
        partition(hosts, "eu", cut=True)
        cut_at = time.time()
        time.sleep(5)
    finally:
        partition(hosts, "eu", cut=False)
    err = finish(master, workers)
    assert master.returncode == 0, err[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    served = served_to(shop_host, *both) - served_before
    assert summary["status"] == "passed"
    assert summary["totals"]["requests"] == served  # late, but every one of them
    assert summary["locust"]["requests"] == served
    assert summary["regions"]["eu-west"]["requests"] == served_to(shop_host, eu) - eu_before
    worker = next(w for w in summary["workers"] if w["region"] == "eu-west")
    assert worker["lost_at"] is None  # it came back
    ((since, back),) = worker["absent"]  # declared lost, then heard from again: recorded
    assert cut_at - 3 <= since <= cut_at + 1 and back - since >= 4
    assert any("unreachable" in w and worker["id"] in w for w in summary["warnings"])
