"""Gunicorn settings for shopfront: ``gunicorn -c python:shopfront.gunicorn_conf``.

Production-like: several sync workers (the guide's "production-like Gunicorn worker
settings"), a request timeout, no access log on the hot path (errors still logged).
Each value can be overridden from the environment or on the command line. With
``GUNICORN_STATSD_HOST=127.0.0.1:8125`` Gunicorn sends its metrics over StatsD (swarmdeck's
``--monitor statsd://127.0.0.1:8125`` listens for them).
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "shopfront:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Gunicorn 24+ opens a control socket at a fixed path per user; several shopfront servers
# (naive beside tuned, parallel tests) would fight over it, and nothing here uses it.
control_socket_disable = True
# Send Gunicorn's own metrics (requests, durations, status codes, workers) to a StatsD
# listener, e.g. `swarmdeck run --monitor statsd://127.0.0.1:8125`
statsd_host = os.environ.get("GUNICORN_STATSD_HOST") or None
statsd_prefix = os.environ.get("GUNICORN_STATSD_PREFIX", "")
