"""Runs written through the store API for the dashboard tests (and its benchmark)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tests.store.factories import make_meta, record_verdict

from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.store import Store

XSS_NAME = '/search?q=<script>window.__xss=1</script>'
XSS_IMG = '<img src=x onerror="window.__xss=2">'
XSS_REASON = 'HTTP 500: <script>window.__xss=3</script><img src=x onerror="window.__xss=4">'


def interval(start: int, name: str, latencies_us: Sequence[int], *, method: str = "GET",
             failures: int = 0, reason: str = "HTTP 500") -> EndpointInterval:
    histogram = LatencyHistogram()
    for value in latencies_us:
        histogram.record(value)
    return EndpointInterval(start=start, method=method, name=name, region="local",
                            requests=len(latencies_us), failures=failures,
                            bytes=200 * len(latencies_us), histogram=histogram,
                            errors=Counter({reason: failures} if failures else {}))


def seed_run(store: Store, *, started_at: datetime, seconds: int = 20,
             endpoints: Sequence[tuple[str, str]] = (("GET", "/"), ("GET", "/products")),
             host: str = "http://127.0.0.1:5000", tags: dict[str, str] | None = None,
             status: str = "passed", per_second: int = 5, base_ms: float = 20.0,
             failure_every: int = 0, reason: str = "HTTP 500", users: int = 10,
             seed: int = 1, verdict: dict[str, Any] | None = None) -> int:
    """A run of ``seconds`` one-second intervals per endpoint; finished with ``status``
    (``running`` leaves it running)."""
    rng = random.Random(seed)
    meta = make_meta(host=host, tags=tags if tags is not None else {"branch": "main"},
                     started_at=started_at, users=users,
                     run_time_s=float(seconds))
    run_id = store.create_run(meta)
    t0 = int(started_at.timestamp())
    batch = []
    for second in range(seconds):
        for i, (method, name) in enumerate(endpoints):
            latencies = [int(rng.lognormvariate(0, 0.4) * base_ms * 1000 * (1 + i * 0.3))
                         for _ in range(per_second)]
            failures = 1 if failure_every and second % failure_every == 0 else 0
            batch.append(interval(t0 + second, name, latencies, method=method,
                                  failures=failures, reason=reason))
    store.add_intervals(run_id, batch)
    store.add_user_counts(run_id, [(t0 + s, min(users, 1 + s)) for s in range(seconds)])
    if status != "running":
        store.finish_run(run_id, status, started_at + timedelta(seconds=seconds))
        if verdict:
            record_verdict(store, run_id, verdict)
    return run_id
