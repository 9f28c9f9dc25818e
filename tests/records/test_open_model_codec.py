"""An open-model run's stored details (its pool, a capacity search's steps and result) and a
comparison's latency kind read back as written; older details read without them."""

from __future__ import annotations

import json

from swarmdeck.records import (
    CapacityResult,
    CapacityStep,
    OpenModelRecord,
    RunDetails,
    Saturation,
)
from swarmdeck.records.codec import (
    comparison_from_json,
    comparison_to_json,
    details_from_json,
    details_to_json,
)
from swarmdeck.records.comparison import Comparison, RunRef


def test_open_model_details_round_trip() -> None:
    step = CapacityStep(rate=200.0, start_s=0.0, end_s=10.0, judged_from_s=2.0, passed=False,
                        requests=1600, achieved_rate=199.5, p50_ms=4.0, p95_ms=812.0,
                        error_rate=0.0, dropped=3, why="p95 < 500ms: observed 812 ms",
                        confirm=False, generator_limited=False, judged_to_s=9.0)
    capacity = CapacityResult(found=True, rate=150.0, upper=200.0, confirmed=True,
                              first_broken="GET /", message="150/s", exit_code=0,
                              saturation=(Saturation(
                                  series="gunicorn.utilization", source="statsd://x:1",
                                  what="Gunicorn's workers busy", reached=True, rate=200.0,
                                  step=0, value=97.5, limit=90.0, unit="%"),))
    details = RunDetails(open_model=OpenModelRecord(first_users=10, max_users=400,
                                                    max_lag_s=1.0, generators=2,
                                                    steps=(step,), capacity=capacity))
    stored = json.loads(json.dumps(details_to_json(details)))
    assert details_from_json(stored) == details
    assert stored["open_model"]["capacity"]["saturated_first"]["series"] == (
        "gunicorn.utilization")
    del stored["open_model"]["capacity"]["saturation"]  # a search stored before it was kept
    assert details_from_json(stored).open_model.capacity.saturation == ()  # type: ignore[union-attr]


def test_details_without_the_open_model_read_as_a_closed_model_run() -> None:
    assert details_from_json({"version": 2, "ending": "completed"}).open_model is None
    assert "open_model" not in details_to_json(RunDetails())


def test_a_comparison_keeps_what_its_latency_counts_from() -> None:
    from datetime import UTC, datetime

    ref = RunRef(run_id=1, ref="1", started_at=datetime(2024, 1, 1, tzinfo=UTC), host="h")
    for latency in ("from_due", "mixed", "from_send"):
        comparison = Comparison(base=ref, candidate=ref, latency=latency)
        data = comparison_to_json(comparison)
        assert ("latency" in data) == (latency != "from_send")
        assert comparison_from_json(json.loads(json.dumps(data))).latency == latency
