"""A run's report built by hand (no store) for the tests of the pure renderers: JUnit,
Markdown, the terminal's tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.store.factories import make_meta

from swarmdeck.analysis.summary import TOTAL_NAME, EndpointSummary, ErrorCount
from swarmdeck.records import RunStatus, ThresholdOutcome
from swarmdeck.report.model import RunReport

STARTED = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def row(method: str, name: str, requests: int, failures: int = 0, *, rps: float = 0.0,
        p50_ms: float = 0.0, p95_ms: float = 0.0, p99_ms: float = 0.0,
        errors: tuple[tuple[str, int], ...] = ()) -> EndpointSummary:
    return EndpointSummary(name=name, method=method, requests=requests, failures=failures,
                           rps=rps, avg_ms=p50_ms, p50_ms=p50_ms, p90_ms=p95_ms,
                           p95_ms=p95_ms, p99_ms=p99_ms, p999_ms=p99_ms, max_ms=p99_ms,
                           errors=tuple(ErrorCount(r, c) for r, c in errors))


ORDERS = "/api/orders <&>"
THRESHOLDS = (
    ThresholdOutcome(expr="p95 < 300ms", endpoint=None, observed=80.0, observed_text="80 ms",
                     passed=True),
    ThresholdOutcome(expr="error_rate < 1%", endpoint=f"POST {ORDERS}", observed=0.06,
                     observed_text="6%", passed=False, abort=True),
)
REPORT = RunReport(
    run_id=17, status=RunStatus.FAILED, message=None,
    meta=make_meta(host="http://127.0.0.1:8000", locustfile="scenarios/jwt_api.py",
                   started_at=STARTED),
    ended_at=STARTED + timedelta(seconds=60.25), duration_s=60.25,
    totals=row("", TOTAL_NAME, 1200, 12, rps=19.9, p50_ms=12.0, p95_ms=80.0, p99_ms=120.0),
    endpoints=(row("GET", "/api/products", 1000),
               row("POST", ORDERS, 200, 12,
                   errors=(("HTTP 409: cart is empty", 9), ("HTTP 500", 3)))),
    regions={}, thresholds=THRESHOLDS, findings=(),
)
