"""``process:PID`` / ``process:PIDFILE``: a process and its descendants (a Gunicorn master
and its workers), read with psutil once a second.

Series: ``cpu`` (% of all the host's cores, so 100% is every core busy), ``rss`` (bytes,
the tree), ``rss.largest`` (the largest worker), ``threads``, ``fds`` (open file
descriptors), ``connections`` (established TCP connections), ``workers`` (the master's
children), ``worker_restarts`` (cumulative: a worker that ended and a new one that took its
place), and per worker ``worker.<pid>.cpu`` (% of one core) and ``worker.<pid>.rss``.

A pid file is read again every second, so a restarted master is followed (its counts
start over).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import psutil

from swarmdeck.monitors.sampler import Reading, SourceError
from swarmdeck.monitors.spec import MonitorSpec
from swarmdeck.records.monitors import BYTES, COUNT, PERCENT, TopQuery

MAX_WORKER_SERIES = 32  # per-worker series are kept for this many workers at most


class ProcessSampler:
    kind = "process"

    def __init__(self, spec: MonitorSpec, clock: Callable[[], float] = time.monotonic) -> None:
        self.spec = spec
        self.clock = clock
        self.cores = psutil.cpu_count() or 1
        self._master: psutil.Process | None = None
        self._cpu: dict[int, float] = {}  # pid -> cpu seconds at the last sample
        self._last_at: float | None = None
        self._workers: set[int] = set()
        self._ended_unreplaced = 0
        self.restarts = 0
        self._named: set[int] = set()  # workers with their own series

    def _pid(self) -> int:
        if self.spec.pid is not None:
            return self.spec.pid
        path = Path(self.spec.pidfile or "")
        try:
            text = path.read_text().strip()
        except OSError as exc:
            raise SourceError(f"cannot read the pid file {path}: {exc.strerror or exc}") \
                from None
        if not text.isdigit():
            raise SourceError(f"the pid file {path} holds no pid ({text[:20]!r})")
        return int(text)

    def _process(self) -> psutil.Process:
        pid = self._pid()
        master = self._master
        if master is not None and master.pid == pid and master.is_running():
            return master
        try:
            master = psutil.Process(pid)
        except psutil.NoSuchProcess:
            raise SourceError(f"no process {pid}") from None
        except psutil.AccessDenied:
            raise SourceError(f"not allowed to read process {pid}") from None
        if self._master is not None:  # a new master: start counting again
            self._cpu.clear()
            self._workers.clear()
            self._last_at = None
        self._master = master
        return master

    def open(self) -> None:
        self._process()

    def sample(self, at: int) -> list[Reading]:
        master = self._process()
        now = self.clock()
        try:
            workers = master.children(recursive=False)
            tree = [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            raise SourceError(f"process {master.pid} ended") from None
        elapsed = None if self._last_at is None else now - self._last_at
        self._last_at = now
        readings: list[Reading] = []
        cpu_total = 0.0
        rss_total = threads = fds = 0
        conns: set[tuple[object, object]] = set()
        cpu_now: dict[int, float] = {}
        per: dict[int, tuple[float | None, int]] = {}
        for proc in tree:
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    seconds = times.user + times.system
                    rss = proc.memory_info().rss
                    threads += proc.num_threads()
                    fds += proc.num_fds()
                    for c in proc.net_connections(kind="tcp"):
                        if c.status == psutil.CONN_ESTABLISHED:
                            conns.add((c.laddr, c.raddr))
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
            except psutil.AccessDenied:
                raise SourceError(f"not allowed to read process {proc.pid}") from None
            cpu_now[proc.pid] = seconds
            rss_total += rss
            used = None
            if elapsed and elapsed > 0:
                before = self._cpu.get(proc.pid, 0.0 if proc.pid not in self._cpu
                                       and self._started_since(proc) else None)
                if before is not None:
                    used = max(0.0, seconds - before)
                    cpu_total += used
            per[proc.pid] = (None if used is None or not elapsed else 100 * used / elapsed, rss)
        self._cpu = cpu_now
        worker_pids = {w.pid for w in workers}
        self._count_restarts(worker_pids)
        if elapsed and elapsed > 0:
            readings.append(Reading("cpu", 100 * cpu_total / elapsed / self.cores, PERCENT))
        worker_rss = [per[pid][1] for pid in worker_pids if pid in per]
        readings += [Reading("rss", rss_total, BYTES),
                     Reading("rss.largest", max(worker_rss, default=rss_total), BYTES),
                     Reading("threads", threads, COUNT), Reading("fds", fds, COUNT),
                     Reading("connections", len(conns), COUNT),
                     Reading("workers", len(worker_pids), COUNT),
                     Reading("worker_restarts", self.restarts, COUNT)]
        for pid in sorted(worker_pids):
            if pid not in per or (pid not in self._named
                                  and len(self._named) >= MAX_WORKER_SERIES):
                continue
            self._named.add(pid)
            cpu, rss = per[pid]
            if cpu is not None:
                readings.append(Reading(f"worker.{pid}.cpu", cpu, PERCENT))
            readings.append(Reading(f"worker.{pid}.rss", rss, BYTES))
        return readings

    def _started_since(self, proc: psutil.Process) -> bool:
        """Whether a process first seen now started after the last sample (then all its
        CPU time is new; else it was missed, and counts from the next sample)."""
        try:
            return bool(proc.create_time() >= time.time() - 1.5)
        except psutil.Error:
            return False

    def _count_restarts(self, pids: set[int]) -> None:
        if self._workers:
            ended = len(self._workers - pids)
            appeared = len(pids - self._workers)
            self._ended_unreplaced += ended
            replaced = min(self._ended_unreplaced, appeared)
            self.restarts += replaced
            self._ended_unreplaced -= replaced
        self._workers = pids

    def finish(self) -> tuple[TopQuery, ...]:
        return ()

    def close(self) -> None:
        self._master = None
