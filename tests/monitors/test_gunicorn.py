"""Process and StatsD monitors against shopfront under real Gunicorn: the worker count, a
killed worker seen as a restart, and utilization near 100% when every worker is busy and
low when idle."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request
from collections.abc import Iterator

import psutil
import pytest
from tests.conftest import MonitoredShop

from swarmdeck.monitors.runner import MonitorSet
from swarmdeck.monitors.spec import parse_spec
from swarmdeck.records.monitors import Batch

pytestmark = pytest.mark.integration


def values(batches: list[Batch], name: str) -> list[float]:
    return [r.value for b in batches for r in b.readings if r.name == name]


@pytest.fixture
def sampled(monitored_shop: MonitoredShop, tmp_path: os.PathLike[str]
            ) -> Iterator[tuple[MonitorSet, list[Batch]]]:
    pidfile = os.path.join(tmp_path, "gunicorn.pid")
    with open(pidfile, "w") as fh:
        fh.write(f"{monitored_shop.pid}\n")
    batches: list[Batch] = []
    monitors = MonitorSet([parse_spec(f"process:{pidfile}"),
                           parse_spec(f"statsd://127.0.0.1:{monitored_shop.statsd_port}")],
                          batches.append)
    assert monitors.open_all() == [None, None]
    monitors.start()
    try:
        yield monitors, batches
    finally:
        monitors.stop()


LOGIN = json.dumps({"email": "api.loadtest@example.com", "password": "StrongPassword456!"})


def hammer(url: str, threads: int, seconds: float) -> int:
    """Log in (scrypt: CPU-heavy by design) from ``threads`` threads for ``seconds``; how
    many were answered."""
    done = [0]
    deadline = time.monotonic() + seconds

    def loop() -> None:
        while time.monotonic() < deadline:
            request = urllib.request.Request(url, data=LOGIN.encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
            done[0] += 1

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return done[0]


def test_workers_utilization_and_restarts(monitored_shop: MonitoredShop,
                                          sampled: tuple[MonitorSet, list[Batch]]) -> None:
    _, batches = sampled
    time.sleep(2.2)  # idle seconds
    idle = values(batches, "gunicorn.utilization")
    answered = hammer(monitored_shop.url + "/api/auth/login", threads=4, seconds=4)
    time.sleep(1.2)
    busy = values(batches, "gunicorn.utilization")[len(idle):]
    assert values(batches, "workers")[-1] == 2
    assert idle and max(idle) < 10, idle
    assert answered > 4
    # four clients of a CPU-heavy route for two workers: every worker busy all the time
    assert max(busy) > 80, busy
    requests = sum(values(batches, "gunicorn.requests"))
    assert requests >= answered * 0.9  # Gunicorn's own count, over StatsD
    assert max(values(batches, "cpu")) > 5  # % of all cores
    assert values(batches, "connections")

    worker = psutil.Process(monitored_shop.pid).children()[0]
    os.kill(worker.pid, signal.SIGKILL)
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and values(batches, "worker_restarts")[-1:] != [1]:
        time.sleep(0.3)
    assert values(batches, "worker_restarts")[-1] == 1
    assert values(batches, "workers")[-1] == 2
    names = {r.name for b in batches for r in b.readings}
    assert f"worker.{worker.pid}.rss" in names  # per worker, the killed one included
