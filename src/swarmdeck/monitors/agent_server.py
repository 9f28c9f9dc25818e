"""``swarmdeck agent``: a small HTTP server on the target's host that samples the host
(monitors/host.py) and any monitors it was given, once a second, for a run's
``agent://HOST:PORT`` monitor to read.

    GET /v1/info     the host (hostname, system, cores, memory, disk) and its monitors
    GET /v1/sample   the last complete second's readings: {"at", "readings", "errors"}

Every request needs ``Authorization: Bearer TOKEN`` when the agent has a token (as workers
need the master's); without one it listens on the loopback interface only (the CLI refuses
any other address).
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from swarmdeck.monitors.host import HostSampler, describe
from swarmdeck.monitors.runner import MonitorSet
from swarmdeck.monitors.spec import MonitorSpec
from swarmdeck.records.monitor_codec import readings_to_json
from swarmdeck.records.monitors import Batch, Reading

KEEP_SECONDS = 10


class Agent:
    """The agent's sampling and its last seconds of readings."""

    def __init__(self, specs: Sequence[MonitorSpec], token: str | None) -> None:
        self.token = token
        self.specs = list(specs)
        self._lock = threading.Lock()
        self._seconds: dict[int, list[Reading]] = {}
        self._errors: dict[int, list[str]] = {}
        self.monitors = MonitorSet(self.specs, self._emit, extra=[HostSampler()])

    def _emit(self, batch: Batch) -> None:
        with self._lock:
            self._seconds.setdefault(batch.at, []).extend(batch.readings)
            if batch.error:
                who = (self.specs[batch.monitor].shown if batch.monitor < len(self.specs)
                       else "host")
                self._errors.setdefault(batch.at, []).append(f"{who}: {batch.error}")
            for old in [s for s in self._seconds if s < batch.at - KEEP_SECONDS]:
                self._seconds.pop(old, None)
                self._errors.pop(old, None)

    def start(self) -> list[str]:
        """Open the sources and start sampling; a warning per source not reachable."""
        errors = self.monitors.open_all()
        self.monitors.start()
        return [f"monitor {spec.shown}: {error}" for spec, error in zip(self.specs, errors)
                if error is not None]

    def stop(self) -> None:
        self.monitors.stop()

    def latest(self) -> dict[str, Any]:
        """The newest second that every source has reported (else the newest one)."""
        with self._lock:
            if not self._seconds:
                return readings_to_json(0, (), [])
            newest = sorted(self._seconds)
            complete = newest[-2] if len(newest) > 1 else newest[-1]
            return readings_to_json(complete, tuple(self._seconds[complete]),
                                    self._errors.get(complete, []))

    def info(self) -> dict[str, Any]:
        return {**describe(), "monitors": [spec.shown for spec in self.specs]}

    def allowed(self, header: str | None) -> bool:
        if not self.token:
            return True
        given = (header or "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), self.token.encode())


def make_server(agent: Agent, host: str, port: int) -> ThreadingHTTPServer:
    routes: dict[str, Callable[[], dict[str, Any]]] = {"/v1/info": agent.info,
                                                      "/v1/sample": agent.latest}

    class Handler(BaseHTTPRequestHandler):
        server_version = "swarmdeck-agent"

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if not agent.allowed(self.headers.get("Authorization")):
                self._send(401, {"error": "a valid token is required"})
                return
            route = routes.get(self.path.split("?", 1)[0])
            if route is None:
                self._send(404, {"error": "not found", "paths": sorted(routes)})
                return
            self._send(200, route())

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: one request a second per run

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
