"""Runs made through the store API for the report tests (document, HTML, browser)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from tests.store.factories import make_interval, make_meta, record_verdict

from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.iterations import IterationInterval
from swarmdeck.metrics.server_timing import ServerTiming
from swarmdeck.plan.shape_spec import Defaults, ShapeSpec
from swarmdeck.records import OpenModelRecord, RunDetails, RunStatus
from swarmdeck.records.codec import details_from_json
from swarmdeck.store import Store

T0 = 1_714_564_800  # 2024-05-01 12:00:00 UTC
SCRIPT_NAME = "/<script>alert(1)</script>"
IMG_NAME = '/<img src=x onerror="window.__pwned = 1">'
CLOSING_NAME = '/x</script><script>window.__pwned = 2</script>'
HOSTILE_REASON = '<img src=x onerror="window.__pwned = 3"> & </script>'
HOSTILE_TAG = '<script>window.__pwned = 4</script>'
OPEN_SECONDS = 20


def make_run(store: Store, *, seconds: int = 120, names: tuple[str, ...] = ("/a", "/b"),
             scale_us: int = 5_000, seed: int = 1, shape: bool = True,
             start: int = T0, verdict: dict[str, Any] | None = None,
             tags: dict[str, str] | None = None, details: dict[str, Any] | None = None,
             queries: int | None = None) -> int:
    """A finished run: GET on each name (POST on the second), users ramping to 10 over
    the first 10 s, /a's latency doubling halfway, failures "HTTP 500" on /b. ``details``:
    what the engine stores when the run ends; ``verdict``: what the verdict adds.
    ``queries``: /a's server sent Server-Timing, ``queries`` queries a request (db 60% of
    the response time, app 80%), with ``server_header`` (below)."""
    rng = random.Random(seed)
    shape_dict = (ShapeSpec.build("step", {}, Defaults(users=10, spawn_rate=5.0,
                                                         run_time_s=seconds)).to_dict()
                  if shape else None)
    meta = make_meta(started_at=datetime.fromtimestamp(start, UTC),
                     plan={"users": 10, "shape": shape_dict, "run_time_s": seconds},
                     shape="step" if shape else None, run_time_s=float(seconds),
                     tags=tags if tags is not None else {"branch": "main"})
    run_id = store.create_run(meta)
    for second in range(seconds):
        batch = []
        for index, name in enumerate(names):
            slow = 2 if (name == "/a" and second >= seconds // 2) else 1
            samples = [int(rng.lognormvariate(0, 0.5) * scale_us * slow * (1 + index))
                       for _ in range(rng.randint(5, 15))]
            failures = 1 if index >= 1 and second % 10 == 0 else 0
            interval = make_interval(
                start + second, name, samples[failures:], method="POST" if index == 1 else "GET",
                failed=samples[:failures], errors={"HTTP 500" if index == 1 else HOSTILE_REASON:
                                                   failures} if failures else None,
                nbytes=100 * len(samples))
            if queries is not None and name == "/a":
                interval.server_timing = ServerTiming()
                ok = samples[failures:]
                interval.server_timing.add_headers(
                    [server_header(us / 1000, queries) for us in ok], sum(ok) / 1000)
            batch.append(interval)
        store.add_intervals(run_id, batch)
    store.add_user_counts(run_id, [(start + s + 0.5, min(10, s + 1)) for s in range(seconds)])
    store.finish_run(run_id, RunStatus.PASSED, datetime.fromtimestamp(start + seconds, UTC),
                     details=details_from_json(details))
    if verdict is not None:
        record_verdict(store, run_id, verdict)
    return run_id


def server_header(client_ms: float, queries: int) -> str:
    """What a server with swarmdeck's extension says of a request that took ``client_ms``
    at the client: app 80% of it, db 60%, a repeated statement."""
    return (f"app;dur={client_ms * 0.8:.3f}, db;dur={client_ms * 0.6:.3f};"
            f'desc="{queries} queries", sql-repeat;dur={client_ms * 0.5:.3f};'
            f'desc="{max(queries - 1, 1)}x #1a2b3c4d SELECT reviews.id, reviews.rating, '
            f'... FROM reviews WHERE ? = reviews.product_id"')


THRESHOLDS = [
    {"expr": "p95 < 500ms", "endpoint": None, "observed": 21.5, "observed_text": "21.5 ms",
     "passed": True, "abort": False},
    {"expr": "error_rate < 0.1%", "endpoint": "POST /b", "observed": 0.0083,
     "observed_text": "0.83%", "passed": False, "abort": False},
]
FINDINGS = [
    {"code": "dev-server", "severity": "warning", "endpoint": None,
     "message": "The target answered with Werkzeug's development server.",
     "evidence": {"server": "Werkzeug/3.0"}, "fix": "Run it under Gunicorn."},
    {"code": "csrf-missing", "severity": "error", "endpoint": IMG_NAME,
     "message": "POST answered 400: " + HOSTILE_REASON, "evidence": {"status": 400},
     "fix": "Read the CSRF token first."},
]

# an outage finding (analysis/target_findings.py): the charts shade its window
OUTAGE = {"code": "outage", "severity": "error", "endpoint": None,
          "message": "the target was down from 0:08 to 0:18 (10 s): 600 of 600 requests "
                     "failed (600 connection refused); it recovered 2 s after it",
          "evidence": {"start_s": 8, "end_s": 18, "start_epoch": T0 + 8, "end_epoch": T0 + 18,
                       "outage_failures": 600, "recovery_s": 2},
          "fix": "find what stopped the target"}


def make_open_run(store: Store, start: int = T0) -> int:
    """An open-model run: 100 iterations/s for 20 s (OPEN_SECONDS); in seconds 10 and 11
    twenty waited 300 ms for a user (sent quickly once they had one), five of them were
    dropped (in second 11)."""
    meta = make_meta(started_at=datetime.fromtimestamp(start, UTC), shape="arrival",
                     plan={"shape": None, "arrival_rate": 100.0, "run_time_s": OPEN_SECONDS},
                     users=200)
    run_id = store.create_run(meta)
    for second in range(OPEN_SECONDS):
        stalled = second in (10, 11)
        due = [2_000] * (80 if stalled else 100) + ([300_000] * 20 if stalled else [])
        interval = make_interval(start + second, "/", due)
        service = LatencyHistogram()
        for _ in due:
            service.record(2_000)
        interval.service_histogram = service
        store.add_intervals(run_id, [interval])
        it = IterationInterval(start=start + second, scheduled=100, started=100, dropped=0)
        for value in due:
            it.lag.record(value - 2_000 + 100)
        store.add_iterations(run_id, [it])
    store.add_iterations(run_id, [IterationInterval(start=start + 11, scheduled=5, dropped=5)])
    details = RunDetails(open_model=OpenModelRecord(first_users=10, max_users=20,
                                                    max_lag_s=1.0))
    store.finish_run(run_id, RunStatus.PASSED, datetime.fromtimestamp(start + OPEN_SECONDS, UTC),
                     message=None, details=details)
    return run_id
