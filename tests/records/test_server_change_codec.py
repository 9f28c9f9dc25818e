"""The comparison's server-side medians (``"server"``) in its JSON: written only when
either run had Server-Timing, read back into the same records; comparisons stored before
it read with none."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from swarmdeck.records.codec import comparison_from_json, comparison_to_json
from swarmdeck.records.comparison import Comparison, RunRef, ServerChange

RUN = RunRef(run_id=2, ref="2", started_at=datetime(2026, 1, 1, tzinfo=UTC), host="h")


def test_server_changes_round_trip() -> None:
    comparison = Comparison(base=RUN, candidate=RUN, server=(
        ServerChange("GET", "/blog", "queries", 30.0, 2.0, unit="queries"),
        ServerChange("GET", "/blog", "app", 41.1, 2.62),
        ServerChange("GET", "/new", "db", None, 0.5)))
    data = json.loads(json.dumps(comparison_to_json(comparison)))
    assert data["server"][0] == {"method": "GET", "name": "/blog", "metric": "queries",
                                 "unit": "queries", "base": 30.0, "candidate": 2.0}
    assert comparison_from_json(data) == comparison


def test_without_server_timing_the_key_is_absent_and_old_comparisons_read() -> None:
    assert "server" not in comparison_to_json(Comparison(base=RUN, candidate=RUN))
    stored = json.loads(Path(__file__).with_name("comparisons_v1.json").read_text())
    assert all(comparison_from_json(data).server == () for data in stored)
