"""What the capacity controller's tests share: a search's settings, a clock the test
moves, and one second's measurements as the collector hands them over."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.plan.capacity import CapacitySettings
from swarmdeck.plan.resolve import resolve_command

T0 = 1_700_000_000.0


def settings(*, workers: int | None = None, **changes: object) -> CapacitySettings:
    cli: dict[str, Any] = {"locustfile": "locustfile.py", "host": "http://127.0.0.1:1",
                           "slo": ["p95 < 100ms"]}
    if workers is not None:
        cli["workers"] = workers
    resolved = resolve_command("capacity", cli, {}, Path.cwd())
    return replace(resolved, **changes)  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def second(start: float, requests: int) -> EndpointInterval:
    histogram = LatencyHistogram()
    for _ in range(requests):
        histogram.record_ms(20.0)
    return EndpointInterval(start=int(start), method="GET", name="/", requests=requests,
                            histogram=histogram, service_histogram=histogram)
