"""Run shopfront under real Gunicorn in a child process: for the demo, the tests and bench/.

``GunicornServer`` binds an ephemeral port (or the one asked for), waits until
``/api/health`` answers, and stops the whole process group on exit.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

LISTENING = re.compile(r"Listening at: http://([\d.]+):(\d+)")


class ServerError(RuntimeError):
    """Gunicorn did not start or did not become healthy; the message carries its log tail."""


class GunicornServer:
    def __init__(self, env: Mapping[str, str], *, workers: int = 2, port: int = 0,
                 startup_timeout: float = 30.0, access_log: Path | None = None,
                 bind_host: str = "127.0.0.1", prefix: Sequence[str] = ()) -> None:
        """``prefix`` runs Gunicorn under another command, e.g. ``ip netns exec NS``."""
        self.env = {**os.environ, **env}
        self.bind_host = bind_host
        self.prefix = list(prefix)
        self.access_log = access_log
        self.workers = workers
        self.port = port
        self.startup_timeout = startup_timeout
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        fd, log = tempfile.mkstemp(prefix="shopfront-gunicorn-", suffix=".log")
        os.close(fd)
        self.log_path = Path(log)  # Gunicorn's output; kept after stop() for a post-mortem

    def log_tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> Self:
        command = [
            *self.prefix, sys.executable, "-m", "gunicorn", "-c", "python:shopfront.gunicorn_conf",
            "--workers", str(self.workers), "--bind", f"{self.bind_host}:{self.port}",
        ]
        if self.access_log is not None:
            command += ["--access-logfile", str(self.access_log)]
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(command, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with {self.process.returncode}:\n"
                                  + self.log_tail())
            if not self.url:
                match = LISTENING.search(self.log_path.read_text(errors="replace"))
                if match:
                    self.url = f"http://{match.group(1)}:{match.group(2)}"
            if self.url and self._healthy():
                return self
            time.sleep(0.1)
        self.stop()
        raise ServerError(f"gunicorn not healthy after {self.startup_timeout:.0f}s:\n"
                          + self.log_tail())

    def served_requests(self) -> int:
        """Requests in the access log, except ``/api/health`` (this class polls it at start-up,
        and a slow poll may be logged late): count what a health-free load test sent."""
        if self.access_log is None or not self.access_log.exists():
            raise ServerError("no access log: pass access_log= to count served requests")
        lines = self.access_log.read_text(errors="replace").splitlines()
        return sum(1 for line in lines if line.strip() and "/api/health" not in line)

    def _healthy(self) -> bool:
        try:
            health = self.url + "/api/health"  # http://HOST:PORT from Gunicorn's own log
            with urllib.request.urlopen(health, timeout=2) as response:  # nosec B310  # http
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
