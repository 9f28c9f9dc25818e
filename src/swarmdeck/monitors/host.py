"""The host itself (what ``swarmdeck agent`` reports of the machine it runs on), with
psutil: ``host.cpu`` (% of all cores), ``host.memory`` (% used), ``host.memory_used``
(bytes), ``host.load1``, ``host.disk_read`` and ``host.disk_write`` (bytes/s),
``host.net_recv`` and ``host.net_sent`` (bytes/s); and its specs (``describe``)."""

from __future__ import annotations

import os
import platform
import socket
import time
from collections.abc import Callable
from typing import Any

import psutil

from swarmdeck.monitors.sampler import Rates, Reading, add_rate
from swarmdeck.records.monitors import BYTES, COUNT, PER_SECOND, PERCENT, TopQuery


def describe() -> dict[str, Any]:
    """The host as the agent sees it: name, system, cores, memory, disk."""
    disk = psutil.disk_usage("/")
    return {"hostname": socket.gethostname(), "system": platform.platform(),
            "python": platform.python_version(), "cores": psutil.cpu_count() or 1,
            "physical_cores": psutil.cpu_count(logical=False),
            "memory_bytes": psutil.virtual_memory().total, "disk_bytes": disk.total,
            "pid": os.getpid()}


class HostSampler:
    kind = "host"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.rates = Rates(clock)
        self._cpu: Any = None

    def open(self) -> None:
        self._cpu = psutil.cpu_times()

    def sample(self, at: int) -> list[Reading]:
        out: list[Reading] = []
        cpu = psutil.cpu_times()
        if self._cpu is not None:
            busy = (sum(cpu) - cpu.idle - getattr(cpu, "iowait", 0.0)) - (
                sum(self._cpu) - self._cpu.idle - getattr(self._cpu, "iowait", 0.0))
            total = sum(cpu) - sum(self._cpu)
            if total > 0:
                out.append(Reading("host.cpu", 100 * max(0.0, busy) / total, PERCENT))
        self._cpu = cpu
        memory = psutil.virtual_memory()
        out += [Reading("host.memory", float(memory.percent), PERCENT),
                Reading("host.memory_used", float(memory.total - memory.available), BYTES),
                Reading("host.load1", os.getloadavg()[0], COUNT)]
        disk = psutil.disk_io_counters()
        if disk is not None:
            add_rate(out, self.rates, "host.disk_read", float(disk.read_bytes),
                     BYTES + PER_SECOND)
            add_rate(out, self.rates, "host.disk_write", float(disk.write_bytes),
                     BYTES + PER_SECOND)
        net = psutil.net_io_counters()
        if net is not None:
            add_rate(out, self.rates, "host.net_recv", float(net.bytes_recv), BYTES + PER_SECOND)
            add_rate(out, self.rates, "host.net_sent", float(net.bytes_sent), BYTES + PER_SECOND)
        return out

    def finish(self) -> tuple[TopQuery, ...]:
        return ()

    def close(self) -> None:
        self._cpu = None
