"""``statsd://HOST:PORT``: a StatsD UDP listener that swarmdeck runs for the length of the
run. Gunicorn sends to it with its own ``--statsd-host HOST:PORT`` (shopfront's config does
when ``GUNICORN_STATSD_HOST`` is set). Packets are filed by the second they arrived in;
once a second the sampler folds the second that ended (monitors/statsd_proto.py).

Gunicorn reports a request when it ends: busy time beyond every worker's second (a long
request ending) is carried into the next seconds, so utilization never passes 100% and no
work is lost (statsd_proto.gunicorn_series).

Gunicorn sends its ``gunicorn.workers`` gauge only when the number changes (at its start),
so a listener started later learns the worker count from ``?workers=N`` or from a
``process:`` monitor of the same run (``workers_hint``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from swarmdeck.monitors.sampler import Reading, SourceError
from swarmdeck.monitors.spec import MonitorSpec
from swarmdeck.monitors.statsd_proto import fold, gunicorn_series
from swarmdeck.records.monitors import TopQuery

MAX_PACKETS_PER_SECOND = 100_000  # beyond this a second's packets are dropped


class StatsdSampler:
    kind = "statsd"

    def __init__(self, spec: MonitorSpec,
                 workers_hint: Callable[[], float | None] = lambda: None) -> None:
        self.spec = spec
        self.workers_hint = workers_hint
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._packets: dict[int, list[bytes]] = {}
        self._gauges: dict[str, float] = {}
        self._workers: float | None = None  # Gunicorn's own gauge, once it came
        self._carried = 0.0  # busy seconds beyond the workers', for the next seconds
        self.received = 0

    def open(self) -> None:
        if self._sock is not None:
            return
        host, port = self.spec.host or "127.0.0.1", int(self.spec.port or 0)
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.bind((host, port))
        except OSError as exc:
            raise SourceError(f"cannot listen for StatsD on {host}:{port}: "
                              f"{exc.strerror or exc}") from None
        sock.settimeout(0.25)
        self._sock = sock
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen, name="statsd-listener",
                                        daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        assert self._sock is not None
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    def _listen(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            try:
                data = sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            second = int(time.time())
            with self._lock:
                bucket = self._packets.setdefault(second, [])
                if len(bucket) < MAX_PACKETS_PER_SECOND:
                    bucket.append(data)
                self.received += 1

    def sample(self, at: int) -> list[Reading]:
        with self._lock:
            packets = self._packets.pop(at, [])
            for old in [s for s in self._packets if s < at]:  # missed ticks: drop
                del self._packets[old]
        second = fold(packets, self._gauges)
        if "gunicorn.workers" in second.gauges:
            self._workers = second.gauges["gunicorn.workers"]
        workers = self.spec.workers or self.workers_hint() or self._workers
        series, self._carried = gunicorn_series(second, workers, self._carried)
        return [Reading(name, value, unit) for name, value, unit in series]

    def finish(self) -> tuple[TopQuery, ...]:
        return ()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
