"""``swarmdeck serve``: the dashboard under Gunicorn (gthread workers; no gevent here).

The app is created in each worker (the store's connection pool must not cross a fork);
the secret key is made once here so that every worker accepts the same login cookie and
CSRF tokens.
"""

from __future__ import annotations

import secrets
import socket
import sys
from collections.abc import Callable, Mapping
from typing import Any

from gunicorn.app.base import BaseApplication

from swarmdeck.errors import CouldNotRun
from swarmdeck.plan.values import HostPort
from swarmdeck.web.config import Auth

WORKERS = 2
THREADS = 4


def check_port(bind: HostPort) -> None:
    """Fail early, with one line, when the address cannot be listened on."""
    family = socket.AF_INET6 if ":" in bind.host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((bind.host, bind.port))
    except OSError as exc:
        raise CouldNotRun(f"could not listen on {bind}: {exc.strerror or exc}",
                          "pick another --bind port, or stop what uses it") from None
    finally:
        probe.close()


class DashboardServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no hints
    def __init__(self, db_url: str, bind: HostPort, auth: Auth, *,
                 announce: Callable[[str], None] = print, workers: int = WORKERS,
                 threads: int = THREADS, config: Mapping[str, Any] | None = None) -> None:
        self.app_config = {"SWARMDECK_DB": db_url, "AUTH": auth,
                           "SECRET_KEY": secrets.token_hex(32), "SCHEDULER": True,
                           **(config or {})}
        self.bind = bind
        self.announce = announce
        self.workers = workers
        self.threads = threads
        super().__init__()

    def load_config(self) -> None:
        settings: dict[str, Any] = {
            "bind": str(self.bind), "workers": self.workers, "worker_class": "gthread",
            "threads": self.threads, "timeout": 60, "graceful_timeout": 5, "keepalive": 5,
            "accesslog": None, "errorlog": "-", "loglevel": "warning",
            "proc_name": "swarmdeck-serve", "control_socket_disable": True,
            "when_ready": self._ready, "worker_exit": _worker_exit,
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from swarmdeck.web import create_app

        return create_app(self.app_config)

    def _ready(self, server: Any) -> None:
        port = server.LISTENERS[0].sock.getsockname()[1]
        self.announce(f"http://{HostPort(self.bind.host, port)}/")

    def serve(self) -> int:
        """Run until Ctrl-C or SIGTERM; Gunicorn's exit status."""
        try:
            self.run()
        except SystemExit as exc:
            code = exc.code
            return code if isinstance(code, int) else (0 if code is None else 1)
        return 0


def _worker_exit(server: Any, worker: Any) -> None:
    from swarmdeck.web import close_app

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        close_app(app)
    sys.stdout.flush()
