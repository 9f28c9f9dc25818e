"""Master, workers and target on separate hosts: network namespaces joined by a bridge,
all created (and removed) by this test. Traffic stays inside them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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


def in_ns(ns: str, *args: str) -> list[str]:
    return ["ip", "netns", "exec", ns, sys.executable, "-m", "swarmdeck", *args]


def test_master_workers_and_target_on_separate_hosts(hosts: dict[str, str],
                                                     tmp_path: Path) -> None:
    env = seed_database(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path)
    with GunicornServer(env, workers=2, bind_host=hosts["shop"], port=8000,
                        prefix=["ip", "netns", "exec", hosts["shop_ns"]]) as shop:
        assert shop.url == f"http://{hosts['shop']}:8000"
        token = {**ENV, "SWARMDECK_TOKEN": uuid.uuid4().hex}
        master = subprocess.Popen(
            in_ns(hosts["master_ns"], "run", "-f", str(SCENARIOS / "public_pages.py"),
                  "--host", shop.url, "-u", "6", "-r", "6", "-t", "8s", "-q",
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
        _, err = master.communicate(timeout=120)
        for w in workers:
            w.communicate(timeout=30)
    assert master.returncode == 0, err[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert set(summary["regions"]) == {"eu-west", "us-east"}
    assert all(r["requests"] > 0 for r in summary["regions"].values())
    hostnames = {w["region"] for w in summary["workers"]}
    assert hostnames == {"eu-west", "us-east"}
