"""``swarmdeck node``: a generator machine registered with a platform, in a region.

It says hello every ``HEARTBEAT_S`` (``POST /api/nodes/heartbeat`` with a tester's API
token), and when the answer assigns it to a run, starts ``swarmdeck worker`` against that
run's master (the platform's host, the port and worker token of the assignment; the
locustfile comes from the master) with its region, and reports itself busy until the
worker exits. Ctrl-C (or SIGTERM) stops its worker and ends it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from swarmdeck.errors import BadInput, CouldNotRun

HEARTBEAT_S = 2.0
TIMEOUT_S = 10.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assignment:
    launch_id: int
    master_port: int
    worker_token: str


class NodeClient:
    def __init__(self, server: str, token: str, region: str, name: str | None) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.region = region
        self.name = name or socket.gethostname()
        self.master_host = urlsplit(self.server).hostname or "127.0.0.1"
        self.worker: subprocess.Popen[bytes] | None = None
        self.launch_id: int | None = None
        self._stop = threading.Event()

    def heartbeat(self) -> Assignment | None:
        """Tell the platform who, where and how busy; the run to join, if any."""
        body = json.dumps({"name": self.name, "region": self.region,
                           "busy": self.worker is not None,
                           "launch_id": self.launch_id}).encode()
        request = urllib.request.Request(
            self.server + "/api/nodes/heartbeat", data=body, method="POST",
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
                data: dict[str, Any] = json.load(answer)
        except urllib.error.HTTPError as exc:
            detail = _error_of(exc)
            if exc.code in (401, 403):
                raise BadInput(f"the platform at {self.server} refused this node: {detail}",
                               "give a tester's API token (the Account page) in "
                               "SWARMDECK_NODE_TOKEN or --token") from None
            raise CouldNotRun(f"the platform at {self.server} answered {exc.code}: {detail}",
                              "check the server's log") from None
        except (urllib.error.URLError, OSError) as exc:
            raise CouldNotRun(f"cannot reach the platform at {self.server}: "
                              f"{getattr(exc, 'reason', exc)}",
                              "check --server and that swarmdeck serve runs there") from None
        found = data.get("assignment")
        if not found:
            return None
        return Assignment(int(found["launch_id"]), int(found["master_port"]),
                          str(found["worker_token"]))

    def _start_worker(self, assignment: Assignment) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWARMDECK_")}
        env["SWARMDECK_TOKEN"] = assignment.worker_token
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "swarmdeck", "worker", "--master",
             f"{self.master_host}:{assignment.master_port}", "--region", self.region],
            env=env, stdin=subprocess.DEVNULL)
        self.launch_id = assignment.launch_id
        log.warning("node %s (%s) joined run launch %s", self.name, self.region,
                    assignment.launch_id)

    def _reap(self) -> None:
        if self.worker is not None and self.worker.poll() is not None:
            self.worker = None
            self.launch_id = None

    def run(self, announce: Any = print) -> int:
        """Until Ctrl-C or SIGTERM: heartbeat, join the runs assigned."""
        def stop(signum: int, frame: FrameType | None) -> None:
            self._stop.set()

        previous = [signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)]
        try:
            first = True
            while not self._stop.is_set():
                self._reap()
                assignment = self.heartbeat()
                if first:
                    announce(f"swarmdeck node {self.name} ({self.region}) registered with "
                             f"{self.server}; waiting for runs (Ctrl-C stops it)")
                    first = False
                if assignment is not None and self.worker is None:
                    self._start_worker(assignment)
                self._stop.wait(HEARTBEAT_S)
        finally:
            for signum, handler in zip((signal.SIGINT, signal.SIGTERM), previous,
                                       strict=True):
                signal.signal(signum, handler)
            if self.worker is not None and self.worker.poll() is None:
                self.worker.send_signal(signal.SIGINT)
                try:
                    self.worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.worker.kill()
        return 0


def _error_of(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.load(exc).get("error"))[:300]
    except (ValueError, AttributeError, OSError):
        return exc.reason if isinstance(exc.reason, str) else str(exc.code)
