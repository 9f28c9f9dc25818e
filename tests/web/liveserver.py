"""The dashboard served for real (werkzeug, threaded) on 127.0.0.1, a free port: for the
browser tests and the screenshot script."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Self

from werkzeug.serving import make_server

from swarmdeck.web import close_app, create_app


class LiveDashboard:
    def __init__(self, db_url: str, **config: Any) -> None:
        self.app = create_app({"SWARMDECK_DB": db_url, **config})
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        close_app(self.app)
