"""A small app exposing Prometheus metrics with prometheus_client, on a free port, for the
monitor tests (a counter, a gauge, a histogram)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class PromApp:
    url: str
    requests: Counter
    queue: Gauge
    latency: Histogram
    server: WSGIServer


@contextmanager
def prom_app() -> Iterator[PromApp]:
    registry = CollectorRegistry()
    requests = Counter("app_requests", "requests served", ["code"], registry=registry)
    queue = Gauge("app_queue_depth", "jobs waiting", registry=registry)
    latency = Histogram("app_latency_seconds", "request latency", registry=registry)
    server = make_server("127.0.0.1", 0, make_wsgi_app(registry), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PromApp(f"http://127.0.0.1:{server.server_port}/metrics", requests, queue,
                      latency, server)
    finally:
        server.shutdown()
        server.server_close()
