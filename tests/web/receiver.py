"""Small HTTP servers on 127.0.0.1 for the platform's tests: a webhook receiver that keeps
what it is sent (failing its first N requests), and a target that answers every GET with a
fixed status."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Receiver(http.server.ThreadingHTTPServer):
    fail_first = 0
    received: list[Any]
    statuses: list[int]
    get_status = 200

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        status = 503 if self.server.fail_first > 0 else 200
        self.server.fail_first -= 1
        self.server.received.append(body)
        self.server.statuses.append(status)
        self._answer(status)

    def do_GET(self) -> None:
        self._answer(self.server.get_status)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def receiver(fail_first: int = 0, get_status: int = 200) -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), _Handler)
    server.fail_first, server.get_status = fail_first, get_status
    server.received, server.statuses = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
